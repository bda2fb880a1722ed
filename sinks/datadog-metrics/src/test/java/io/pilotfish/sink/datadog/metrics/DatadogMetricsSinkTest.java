package io.pilotfish.sink.datadog.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.testing.DatadogSinkTestBase;
import io.pilotfish.sink.datadog.common.testing.FakeIntake;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.PublishedSchema;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedSeries;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogMetricsSinkTest extends DatadogSinkTestBase<DatadogMetricsSink, DatadogMetricsConfig> {

    private static final String API_KEY_LAST4 = io.pilotfish.sink.datadog.common.testing.TestContext.API_KEY
            .substring(io.pilotfish.sink.datadog.common.testing.TestContext.API_KEY.length() - 4);

    /** The key after a rotation: another fresh 32-hex value. */
    private static final String ROTATED_KEY = java.util.UUID.randomUUID().toString().replace("-", "");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The ECS Fargate check's origin as the Agent sends it: Agent, integration metrics, ecs_fargate. */
    private static final MetricOrigin ECS_FARGATE_CHECK = new MetricOrigin(10, 11, 52);

    DatadogMetricsSinkTest() {
        super(new DatadogMetricsSinkFactory(), DatadogMetricsSink.class, "datadog-metrics", "dd");
    }

    private static Metric gauge(String name, double value, long timestamp, String... tags) {
        return Metric.gauge(name, value, timestamp, TagSet.of(tags));
    }

    // ---- wire format -------------------------------------------------------------------------------------------

    @Test
    void sendsOneSeriesPerDistinctSeriesWithAllItsPoints() throws Exception {
        DatadogMetricsSink sink = sink();
        List<Metric> batch = List.of(
                gauge("ecs.fargate.cpu.percent", 0.87, NOW - 10, "cluster_name:prod"),
                Metric.rate("ecs.fargate.io.bytes", 512.5, NOW, 10, TagSet.of("cluster_name:prod")),
                gauge("ecs.fargate.cpu.percent", 0.91, NOW, "cluster_name:prod"),
                new Metric("container.memory.usage", MetricType.GAUGE, 1024, NOW, TagSet.of("env:test"), 0, "byte",
                        "i-0abc"),
                Metric.count("ecs.fargate.mem.page_faults", 7, NOW, 15, TagSet.of("container_name:app")));

        assertInstanceOf(ExportResult.Success.class, export(sink, batch));

        FakeIntake.Request request = intake.take();
        assertEquals("POST", request.method());
        assertEquals("/api/v2/series", request.path());
        JsonNode series = request.json().get("series");
        assertEquals(4, series.size(), "the two cpu.percent points share a series");

        JsonNode cpu = series.get(0);
        assertEquals("ecs.fargate.cpu.percent", cpu.get("metric").asText());
        assertEquals(3, cpu.get("type").asInt());
        assertNull(cpu.get("interval"), "a gauge without an interval carries none");
        assertEquals(2, cpu.get("points").size());
        assertEquals(NOW - 10, cpu.get("points").get(0).get("timestamp").asLong());
        assertEquals(0.87, cpu.get("points").get(0).get("value").asDouble());
        assertEquals(NOW, cpu.get("points").get(1).get("timestamp").asLong());
        assertEquals(0.91, cpu.get("points").get(1).get("value").asDouble());
        assertEquals(hostResource(""), cpu.get("resources"), "no host (Fargate): the host resource, named \"\"");
        assertEquals(List.of("cluster_name:prod", "env:test", "service:pilotfish"), texts(cpu.get("tags")));
        assertNull(cpu.get("unit"));

        JsonNode rate = series.get(1);
        assertEquals("ecs.fargate.io.bytes", rate.get("metric").asText());
        assertEquals(2, rate.get("type").asInt());
        assertEquals(10, rate.get("interval").asLong());
        assertEquals(512.5, rate.get("points").get(0).get("value").asDouble());

        JsonNode memory = series.get(2);
        assertEquals(3, memory.get("type").asInt());
        assertEquals("byte", memory.get("unit").asText());
        assertEquals(1, memory.get("resources").size());
        assertEquals("host", memory.get("resources").get(0).get("type").asText());
        assertEquals("i-0abc", memory.get("resources").get(0).get("name").asText());
        assertEquals(List.of("env:test", "service:pilotfish"), texts(memory.get("tags")),
                "a tag present in both sets is sent once");

        JsonNode count = series.get(3);
        assertEquals(1, count.get("type").asInt());
        assertEquals(15, count.get("interval").asLong());
        assertEquals(7.0, count.get("points").get(0).get("value").asDouble());
    }

    /** {@code [{"type":"host","name":<host>}]} as the intake gets it. */
    private static JsonNode hostResource(String host) {
        return JSON.createArrayNode().add(JSON.createObjectNode().put("type", "host").put("name", host));
    }

    @Test
    void everySeriesCarriesTheHostResourceEmptyOnFargateAsTheAgentWritesIt() throws Exception {
        export(sink(), List.of(
                gauge("ecs.fargate.cpu.percent", 0.5, NOW, "task_arn:t1"),
                new Metric("container.memory.usage", MetricType.GAUGE, 1024, NOW, TagSet.of("env:test"), 0, "",
                        "i-0abc")));

        JsonNode series = intake.take().json().get("series");
        assertEquals(hostResource(""), series.get(0).get("resources"),
                "a Fargate series names the host resource with an empty name, as the Agent's serializer does");
        assertEquals(hostResource("i-0abc"), series.get(1).get("resources"));
    }

    @Test
    void theOriginIsSentUnderTheNamesDatadogsJsonSendersUse() throws Exception {
        export(sink(), List.of(
                gauge("app.requests", 3, NOW).withOrigin(MetricOrigin.DOGSTATSD),
                gauge("ecs.fargate.cpu.percent", 0.5, NOW).withOrigin(ECS_FARGATE_CHECK),
                gauge("unclassified", 1, NOW)));

        JsonNode series = intake.take().json().get("series");
        assertEquals(JSON.readTree("{\"origin\":{\"origin_product\":10,\"origin_sub_product\":10,"
                + "\"origin_product_detail\":0}}"), series.get(0).get("metadata"), "DogStatsD: Agent, DogStatsD");
        assertEquals(JSON.readTree("{\"origin\":{\"origin_product\":10,\"origin_sub_product\":11,"
                + "\"origin_product_detail\":52}}"), series.get(1).get("metadata"),
                "an ECS check: Agent, integration metrics, ecs_fargate");
        assertNull(series.get(2).get("metadata"), "no origin said: no metadata");
    }

    @Test
    void pointsThatDifferOnlyInOriginAreSeparateSeries() throws Exception {
        export(sink(), List.of(
                gauge("m", 1, NOW, "a:1").withOrigin(MetricOrigin.DOGSTATSD),
                gauge("m", 2, NOW, "a:1").withOrigin(ECS_FARGATE_CHECK),
                gauge("m", 3, NOW + 10, "a:1").withOrigin(MetricOrigin.DOGSTATSD)));

        JsonNode series = intake.take().json().get("series");
        assertEquals(2, series.size(), "one series per origin");
        assertEquals(10, series.get(0).at("/metadata/origin/origin_sub_product").asInt());
        assertEquals(2, series.get(0).get("points").size());
        assertEquals(11, series.get(1).at("/metadata/origin/origin_sub_product").asInt());
        assertEquals(1, series.get(1).get("points").size());
    }

    @Test
    void aGaugeCarriesItsIntervalWhenItHasOne() throws Exception {
        export(sink(), List.of(
                new Metric("app.queue.depth", MetricType.GAUGE, 4, NOW, TagSet.EMPTY, 10, "", "",
                        MetricOrigin.DOGSTATSD),
                new Metric("ecs.fargate.cpu.percent", MetricType.GAUGE, 0.5, NOW, TagSet.EMPTY, 0, "", "")));

        JsonNode series = intake.take().json().get("series");
        assertEquals(10, series.get(0).get("interval").asLong(), "a DogStatsD gauge stands for its 10 s bucket");
        assertNull(series.get(1).get("interval"), "an interval of 0 is not sent");
    }

    @Test
    void gaugesThatDifferOnlyInIntervalAreSeparateSeries() throws Exception {
        export(sink(), List.of(
                new Metric("m", MetricType.GAUGE, 1, NOW, TagSet.EMPTY, 10, "", ""),
                new Metric("m", MetricType.GAUGE, 2, NOW, TagSet.EMPTY, 0, "", "")));

        JsonNode series = intake.take().json().get("series");
        assertEquals(2, series.size(), "each series carries its own interval");
    }

    @Test
    void whatIsSentConformsToDatadogsPublishedSeriesSchemaResourcesAndOriginIncluded() throws Exception {
        export(sink(), List.of(
                new Metric("app.queue.depth", MetricType.GAUGE, 4, NOW, TagSet.of("a:1"), 10, "", "",
                        MetricOrigin.DOGSTATSD),
                Metric.rate("ecs.fargate.io.bytes", 512.5, NOW, 10, TagSet.EMPTY).withOrigin(ECS_FARGATE_CHECK),
                new Metric("container.memory.usage", MetricType.GAUGE, 1024, NOW, TagSet.EMPTY, 0, "byte", "i-0abc"),
                Metric.count("app.hits", 7, NOW, 10, TagSet.EMPTY)));

        JsonNode payload = intake.take().json();

        assertEquals(List.of(), PublishedSchema.v2Intake(PublishedSchema.sharedDir("../../../shared")).violations("MetricPayload", payload));
        for (JsonNode series : payload.get("series")) {
            assertEquals("host", series.at("/resources/0/type").asText(), "what was validated has its resources");
        }
        assertTrue(payload.at("/series/0/metadata/origin").isObject(), "and its origins");
        assertTrue(payload.at("/series/1/metadata/origin").isObject());
    }

    @Test
    void theTestkitsIntakeReadsTheHostResourceAndTheOrigin() throws Exception {
        try (IntakeRecorder recorder = IntakeRecorder.builder().acceptKeys(TestContext.API_KEY).start()) {
            DatadogMetricsSink sink = (DatadogMetricsSink) factory.create(factory.configure(
                    MapPluginConfig.of("dd", Map.of("url", recorder.uri().toString()))), context);

            assertInstanceOf(ExportResult.Success.class, export(sink, List.of(
                    gauge("app.requests", 3, NOW).withOrigin(MetricOrigin.DOGSTATSD),
                    gauge("unclassified", 1, NOW))));

            RecordedSeries dogstatsd = recorder.awaitSeries("app.requests", Duration.ofSeconds(10));
            assertEquals(MetricOrigin.DOGSTATSD, dogstatsd.origin());
            assertEquals(Optional.of(""), dogstatsd.host(), "the host resource is there, its name empty");
            assertEquals(MetricOrigin.UNSPECIFIED, recorder.awaitSeries("unclassified", Duration.ofSeconds(10))
                    .origin());
        }
    }

    @Test
    void theSchemaCheckFindsWhatTheSchemaForbids() throws Exception {
        JsonNode wrong = JSON.readTree("{\"series\":[{\"metric\":\"m\",\"type\":7,\"points\":"
                + "[{\"timestamp\":1.5,\"value\":\"high\"}],\"resources\":{\"type\":\"host\"}},{\"points\":[]}]}");

        List<String> violations = PublishedSchema.v2Intake(PublishedSchema.sharedDir("../../../shared")).violations("MetricPayload", wrong);

        assertEquals(List.of(
                "$.series[0].type: 7 is not one of [0, 1, 2, 3]",
                "$.series[0].points[0].timestamp: expected integer but was 1.5",
                "$.series[0].points[0].value: expected number but was \"high\"",
                "$.series[0].resources: expected array but was {\"type\":\"host\"}",
                "$.series[1]: missing required property metric"), violations);
    }

    @Test
    void pointsThatDifferInTagsHostUnitOrIntervalAreSeparateSeries() throws Exception {
        DatadogMetricsSink sink = sink();
        List<Metric> batch = List.of(
                Metric.rate("m", 1, NOW, 10, TagSet.of("a:1")),
                Metric.rate("m", 2, NOW, 10, TagSet.of("a:2")),
                Metric.rate("m", 3, NOW, 20, TagSet.of("a:1")),
                new Metric("m", MetricType.RATE, 4, NOW, TagSet.of("a:1"), 10, "", "host-b"),
                new Metric("m", MetricType.RATE, 5, NOW, TagSet.of("a:1"), 10, "second", ""),
                Metric.count("m", 6, NOW, 10, TagSet.of("a:1")),
                Metric.rate("m", 7, NOW + 10, 10, TagSet.of("a:1")));

        export(sink, batch);

        JsonNode series = intake.take().json().get("series");
        assertEquals(6, series.size());
        assertEquals(2, series.get(0).get("points").size(), "only the last point joins the first series");
    }

    @Test
    void headersCarryKeyTypeEncodingAndAgentVersion() throws Exception {
        export(sink(), List.of(gauge("m", 1, NOW)));

        FakeIntake.Request request = intake.take();
        assertEquals(TestContext.API_KEY, request.header("DD-API-KEY"));
        assertEquals("application/json", request.header("Content-Type"));
        assertEquals("deflate", request.header("Content-Encoding"), "deflate is the default");
        assertEquals("pilotfish/1.2.3", request.header("User-Agent"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate", "GZIP"})
    void bodyDecodesWithTheAnnouncedEncoding(String compression) throws Exception {
        List<Metric> batch = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            batch.add(gauge("ecs.fargate.mem.usage", i * 1.5, NOW, "container_name:c" + (i % 50)));
        }
        export(sink("compression", compression), batch);

        FakeIntake.Request request = intake.take();
        assertEquals(compression.toLowerCase(), request.header("Content-Encoding"));
        JsonNode series = request.json().get("series");
        int points = 0;
        for (JsonNode one : series) {
            points += one.get("points").size();
        }
        assertEquals(50, series.size());
        assertEquals(2000, points);
        assertTrue(request.body().length < request.decodedBody().length / 5, "the body is compressed");
    }

    @Test
    void deflateIsZlibFramed() throws Exception {
        export(sink("compression", "deflate"), List.of(gauge("m", 1, NOW)));

        byte[] body = intake.take().body();
        // RFC 1950: CMF 0x78 (deflate, 32K window) and a header checksum divisible by 31.
        assertEquals(0x78, body[0] & 0xff);
        assertEquals(0, ((body[0] & 0xff) * 256 + (body[1] & 0xff)) % 31);
    }

    @Test
    void globalTagsAreReadAtEachExportSoReloadsApply() throws Exception {
        DatadogMetricsSink sink = sink();
        export(sink, List.of(gauge("m", 1, NOW, "a:1")));
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.of("env:staging")));
        export(sink, List.of(gauge("m", 2, NOW, "a:1")));

        assertEquals(List.of("a:1", "env:test", "service:pilotfish"),
                texts(intake.take().json().get("series").get(0).get("tags")));
        assertEquals(List.of("a:1", "env:staging"), texts(intake.take().json().get("series").get(0).get("tags")));
    }

    @Test
    void seriesWithoutAnyTagsHasNoTagsField() throws Exception {
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.EMPTY));
        export(sink(), List.of(gauge("m", 1, NOW)));

        assertNull(intake.take().json().get("series").get(0).get("tags"));
    }

    // ---- invalid points ----------------------------------------------------------------------------------------

    @Test
    void nanAndInfiniteValuesAreDroppedAndCountedTheRestIsSent() throws Exception {
        DatadogMetricsSink sink = sink();
        ExportResult result = export(sink, List.of(gauge("m", Double.NaN, NOW), gauge("m", 3, NOW),
                gauge("m", Double.POSITIVE_INFINITY, NOW), gauge("n", Double.NEGATIVE_INFINITY, NOW)));

        assertInstanceOf(ExportResult.Success.class, result);
        JsonNode series = intake.take().json().get("series");
        assertEquals(1, series.size());
        assertEquals(1, series.get(0).get("points").size());
        assertEquals(3.0, series.get(0).get("points").get(0).get("value").asDouble());
        assertEquals(3, context.counter("sink.points.dropped", "reason:invalid_value"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("invalid_value") && l.contains("NaN")));
    }

    @Test
    void aBatchOfOnlyInvalidPointsSendsNothingAndCountsThem() throws Exception {
        DatadogMetricsSink sink = sink();
        ExportResult result = export(sink, List.of(gauge("m", Double.NaN, NOW), gauge("", 1, NOW),
                new ServiceCheck("ecs.up", ServiceCheck.Status.OK, NOW, TagSet.EMPTY, "", "")));

        assertInstanceOf(ExportResult.Success.class, result);
        assertEquals(0, intake.received());
        assertEquals(1, context.counter("sink.points.dropped", "reason:invalid_value"));
        assertEquals(1, context.counter("sink.points.dropped", "reason:invalid_name"));
        assertEquals(1, context.counter("sink.points.dropped", "reason:unsupported_signal"));
    }

    @Test
    void invalidPointsAreCountedOnceEvenWhenTheBatchIsRetried() throws Exception {
        DatadogMetricsSink sink = sink();
        List<Metric> batch = List.of(gauge("m", Double.NaN, NOW), gauge("m", 1, NOW));
        intake.answer(503, Map.of(), "");
        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertEquals(0, context.counter("sink.points.dropped", "reason:invalid_value"));

        intake.answer(202, Map.of(), "{\"errors\":[]}");
        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(1, context.counter("sink.points.dropped", "reason:invalid_value"));
    }

    // ---- size limits -------------------------------------------------------------------------------------------

    @Test
    void compressedBodyOverMaxPayloadBytesIsTooLargeAndNotSent() throws Exception {
        DatadogMetricsSink sink = sink("max-payload-bytes", "60");
        List<Metric> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            batch.add(gauge("metric." + i, i, NOW, "container_id:" + Integer.toHexString(i * 7919)));
        }

        ExportResult result = export(sink, batch);

        ExportResult.TooLarge tooLarge = assertInstanceOf(ExportResult.TooLarge.class, result);
        assertTrue(tooLarge.reason().contains("max-payload-bytes"), tooLarge.reason());
        assertEquals(0, intake.received());
    }

    @Test
    void jsonOverMaxUncompressedBytesIsTooLargeAndNotSent() throws Exception {
        DatadogMetricsSink sink = sink("max-uncompressed-bytes", "200");
        List<Metric> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(gauge("ecs.fargate.cpu.percent", i, NOW + i));
        }

        ExportResult result = export(sink, batch);

        ExportResult.TooLarge tooLarge = assertInstanceOf(ExportResult.TooLarge.class, result);
        assertTrue(tooLarge.reason().contains("max-uncompressed-bytes"), tooLarge.reason());
        assertEquals(0, intake.received());
    }

    @Test
    void aBatchWithinTheLimitsIsSent() throws Exception {
        DatadogMetricsSink sink = sink("max-uncompressed-bytes", "2000", "max-payload-bytes", "1000");
        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(gauge("m", 1, NOW))));
        assertEquals(1, intake.received());
    }

    // ---- response classification -------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "200, Success", "202, Success",
        "413, TooLarge",
        "429, Retryable", "503, Retryable", "408, Retryable", "500, Retryable", "502, Retryable",
        "504, Retryable",
        "400, Permanent", "401, CredentialsRejected", "403, CredentialsRejected", "404, Permanent", "422, Permanent",
        "302, Permanent"})
    void statusesAreClassified(int status, String expected) throws Exception {
        intake.answer(status, status == 302 ? Map.of("Location", "https://elsewhere.example/") : Map.of(),
                "{\"errors\":[\"status " + status + "\"]}");

        ExportResult result = export(sink(), List.of(gauge("m", 1, NOW)));

        assertEquals(expected, result.getClass().getSimpleName(), String.valueOf(result));
        String statusClass = "status_class:" + status / 100 + "xx";
        assertEquals(1, context.counter("sink.requests", statusClass));
        assertTrue(context.counter("sink.bytes.sent") > 0);
    }

    @Test
    void forbiddenSaysTheKeyWasRejectedAndWhatToCheck() throws Exception {
        intake.answer(403, Map.of(), "{\"errors\":[\"Forbidden\"]}");

        ExportResult result = export(sink(), List.of(gauge("m", 1, NOW)));

        String reason = assertInstanceOf(ExportResult.CredentialsRejected.class, result).reason();
        assertTrue(reason.contains("API key was rejected"), reason);
        assertTrue(reason.contains("DD_API_KEY"), reason);
        assertTrue(reason.contains("DD_SITE"), reason);
        assertFalse(reason.contains(TestContext.API_KEY));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("api_key_rejected")));
    }

    @Test
    void badRequestShowsAShortExcerptOfTheBody() throws Exception {
        intake.answer(400, Map.of(), "{\"errors\":[\"Invalid timestamp\"]}\n\n" + "x".repeat(5000));

        ExportResult result = export(sink(), List.of(gauge("m", 1, NOW)));

        String reason = assertInstanceOf(ExportResult.Permanent.class, result).reason();
        assertTrue(reason.contains("HTTP 400"), reason);
        assertTrue(reason.contains("{\"errors\":[\"Invalid timestamp\"]}"), reason);
        assertTrue(reason.length() < 320, "excerpt is short: " + reason.length());
        assertFalse(reason.contains("\n"));
    }

    @Test
    void retryAfterInDeltaSeconds() throws Exception {
        intake.answer(429, Map.of("Retry-After", "120"), "");

        ExportResult.Retryable result = assertInstanceOf(ExportResult.Retryable.class,
                export(sink(), List.of(gauge("m", 1, NOW))));

        assertEquals(Optional.of(Duration.ofSeconds(120)), result.retryAfter());
    }

    @Test
    void retryAfterAsHttpDate() throws Exception {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.ofEpochSecond(NOW + 90).atZone(ZoneOffset.UTC));
        intake.answer(503, Map.of("Retry-After", date), "");

        ExportResult.Retryable result = assertInstanceOf(ExportResult.Retryable.class,
                export(sink(), List.of(gauge("m", 1, NOW))));

        assertEquals(Optional.of(Duration.ofSeconds(90)), result.retryAfter());
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-5", "1.5", "Tue, 99 Foo 2023 00:00:00 GMT"})
    void garbageRetryAfterIsIgnored(String value) throws Exception {
        intake.answer(429, Map.of("Retry-After", value), "");

        ExportResult.Retryable result = assertInstanceOf(ExportResult.Retryable.class,
                export(sink(), List.of(gauge("m", 1, NOW))));

        assertEquals(Optional.empty(), result.retryAfter());
    }

    @Test
    void absentRetryAfterIsEmpty() throws Exception {
        intake.answer(429, Map.of(), "");

        ExportResult.Retryable result = assertInstanceOf(ExportResult.Retryable.class,
                export(sink(), List.of(gauge("m", 1, NOW))));

        assertEquals(Optional.empty(), result.retryAfter());
    }

    @Test
    void refusedConnectionIsRetryable() throws Exception {
        int closedPort = closedPort();
        DatadogMetricsSink sink = sink("url", "http://127.0.0.1:" + closedPort);

        ExportResult result = export(sink, List.of(gauge("m", 1, NOW)));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("127.0.0.1"), reason);
        assertEquals(1, context.counter("sink.requests", "status_class:error"));
    }

    @Test
    void anIntakeThatNeverAnswersTimesOutAsRetryable() throws Exception {
        intake.hang();
        MapPluginConfig config = MapPluginConfig.of("dd", Map.of("url", intake.baseUri().toString()));
        DatadogMetricsSink sink = new DatadogMetricsSink(factory.configure(config), context, Duration.ofMillis(300));

        ExportResult result = export(sink, List.of(gauge("m", 1, NOW)));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("within 300ms"), reason);
    }

    // ---- the API key -------------------------------------------------------------------------------------------

    @Test
    void withoutAnApiKeyNothingIsSentAndTheBatchStaysQueued() throws Exception {
        context.apiKey.set(Optional.empty());

        ExportResult result = export(sink(), List.of(gauge("m", 1, NOW)));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.startsWith("no API key configured: set DD_API_KEY"), reason);
        assertEquals(0, intake.received());
    }

    @Test
    void aRotatedKeyIsUsedFromTheNextExport() throws Exception {
        DatadogMetricsSink sink = sink();
        export(sink, List.of(gauge("m", 1, NOW)));
        context.apiKey.set(Optional.of(new Secret(ROTATED_KEY)));
        export(sink, List.of(gauge("m", 1, NOW)));

        assertEquals(TestContext.API_KEY, intake.take().header("DD-API-KEY"));
        assertEquals(ROTATED_KEY, intake.take().header("DD-API-KEY"));
    }

    @Test
    void whitespaceAroundTheKeyIsIgnored() throws Exception {
        context.apiKey.set(Optional.of(new Secret(" " + TestContext.API_KEY + "\n")));

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(gauge("m", 1, NOW))));

        assertEquals(TestContext.API_KEY, intake.take().header("DD-API-KEY"));
    }

    @Test
    void aKeyThatCannotBeAHeaderValueKeepsTheBatchQueuedAndIsNotShown() throws Exception {
        String broken = "0123456789\nabcdef";
        context.apiKey.set(Optional.of(new Secret(broken)));

        ExportResult result = export(sink(), List.of(gauge("m", 1, NOW)));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("check the value of DD_API_KEY"), reason);
        assertFalse(reason.contains("0123456789"), reason);
        assertEquals(0, intake.received());
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 403, 404, 500, 503, 302})
    void theKeyNeverAppearsInReasonsEvenWhenTheServerEchoesIt(int status) throws Exception {
        intake.answer(status, Map.of("Location", "https://x.example/?api_key=" + TestContext.API_KEY),
                "{\"errors\":[\"bad key " + TestContext.API_KEY + "\"]}");
        DatadogMetricsSink sink = sink();

        ExportResult result = export(sink, List.of(gauge("m", 1, NOW)));

        assertFalse(result.toString().contains(TestContext.API_KEY), result.toString());
        assertFalse(sink.toString().contains(TestContext.API_KEY));
        context.log.lines.forEach(line -> assertFalse(line.contains(TestContext.API_KEY), line));
    }

    @Test
    void theKeyIsMaskedWhereAnEchoedBodyIsShown() throws Exception {
        intake.answer(400, Map.of(), "{\"errors\":[\"bad key " + TestContext.API_KEY + "\"]}");

        String reason = assertInstanceOf(ExportResult.Permanent.class,
                export(sink(), List.of(gauge("m", 1, NOW)))).reason();

        assertTrue(reason.contains("bad key ****" + API_KEY_LAST4), reason);
    }

    // ---- endpoint ----------------------------------------------------------------------------------------------

    @Test
    void ddUrlWithAPathPrefixIsHonoured() throws Exception {
        context.agent.set(context.settings("datadoghq.com",
                Optional.of(URI.create(intake.baseUri() + "/datadog/")), GLOBAL));
        MapPluginConfig config = MapPluginConfig.of("dd", Map.of());
        DatadogMetricsSink sink = (DatadogMetricsSink) factory.create(factory.configure(config), context);

        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(gauge("m", 1, NOW))));

        assertEquals("/datadog/api/v2/series", intake.take().path());
    }

    @Test
    void theSinkNamesItsTargetWithoutCredentials() {
        context.agent.set(context.settings("datadoghq.com",
                Optional.of(URI.create("https://user:pa55word@proxy.example:8443/dd")), GLOBAL));
        DatadogMetricsSink sink = (DatadogMetricsSink) factory.create(
                factory.configure(MapPluginConfig.of("dd", Map.of())), context);

        assertEquals("DatadogMetricsSink[datadog-metrics -> https://proxy.example:8443/dd/api/v2/series, deflate]",
                sink.toString());
        assertNotNull(sink.seriesUri());
    }
}
