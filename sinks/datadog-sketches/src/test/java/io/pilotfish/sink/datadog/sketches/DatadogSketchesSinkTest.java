package io.pilotfish.sink.datadog.sketches;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSketch;
import io.pilotfish.testkit.ScriptedResponse;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The sink against the testkit's intake recorder, which decodes the protobuf with its own reader. */
class DatadogSketchesSinkTest {

    private static final long NOW = 1_700_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final TagSet GLOBAL = TagSet.of("env:test", "service:pilotfish");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final DatadogSketchesSinkFactory factory = new DatadogSketchesSinkFactory();
    private HttpClient http;
    private IntakeRecorder intake;
    private TestContext context;

    @BeforeEach
    void start() {
        intake = IntakeRecorder.builder().acceptKeys(TestContext.API_KEY).start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        context = new TestContext("datadog-sketches", http, CLOCK, "datadoghq.com", Optional.empty(), GLOBAL);
    }

    @AfterEach
    void stop() {
        intake.close();
        http.shutdownNow();
    }

    /** A sink sending to the recorder ({@code url}), with these extra keys (key, value, key, value...). */
    private DatadogSketchesSink sink(String... keyValues) {
        Map<String, String> keys = new HashMap<>();
        keys.put("url", intake.uri().toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            keys.put(keyValues[i], keyValues[i + 1]);
        }
        MapPluginConfig config = MapPluginConfig.of("dd", keys);
        DatadogSketchesConfig typed = factory.configure(config);
        assertEquals(List.of(), config.problems());
        return (DatadogSketchesSink) factory.create(typed, context);
    }

    private static ExportResult export(DatadogSketchesSink sink, List<? extends Signal> batch) throws Exception {
        return sink.export(new ArrayList<>(batch)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static Sketch latency(long timestamp, double... values) {
        return Sketches.of("app.request.latency", timestamp, TagSet.of("route:/checkout"), "", values);
    }

    // ---- what arrives --------------------------------------------------------------------------------------------

    @Test
    void theIntakeDecodesEverySketchWithItsQuantiles() throws Exception {
        Sketch first = latency(NOW - 10, 12, 15, 15, 20, 250, 1200);
        Sketch second = latency(NOW, 3, 4);
        Sketch sized = Sketches.of("app.payload.size", NOW, TagSet.EMPTY, "i-0abc", 512, 2048, -1);

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(second, sized, first)));

        RecordedSketch recorded = intake.awaitSketch("app.request.latency", WAIT);
        assertEquals("", recorded.host());
        assertEquals(List.of("env:test", "route:/checkout", "service:pilotfish"), recorded.tags());
        assertEquals(2, recorded.points().size(), "both points share one series");
        assertEquals(List.of(NOW - 10, NOW), recorded.points().stream().map(RecordedSketch.Point::ts).toList(),
                "in ascending time");
        RecordedSketch.Point point = recorded.points().get(0);
        assertEquals(first.withTags(first.tags().with(GLOBAL)), point.toSignal());
        assertEquals(first.avg(), point.avg());
        for (double q : new double[] {0, 0.5, 0.75, 0.95, 0.99, 1}) {
            assertEquals(first.quantile(q), point.toSignal().quantile(q), "quantile " + q);
        }
        assertEquals(1200.0, point.quantile(1));
        assertTrue(Math.abs(point.quantile(0.5) - 15) / 15 < 0.02, "p50 within the sketch's 1/128 accuracy: "
                + point.quantile(0.5));

        RecordedSketch size = intake.awaitSketch("app.payload.size", WAIT);
        assertEquals("i-0abc", size.host());
        assertArrayEquals(sized.keys(), size.lastPoint().keys());
        assertArrayEquals(sized.counts(), size.lastPoint().counts());
        assertEquals(1, intake.requests().size(), "one batch, one request");
    }

    @Test
    void sketchesArriveMarkedAsDogStatsDDistributionsAsTheAgentMarksThem() throws Exception {
        export(sink(), List.of(latency(NOW, 12, 15),
                Sketches.of("app.payload.size", NOW, TagSet.EMPTY, "i-0abc", 512)));

        assertEquals(MetricOrigin.DOGSTATSD, intake.awaitSketch("app.request.latency", WAIT).origin(),
                "product Agent (10), category DogStatsD (10), no service");
        assertEquals(MetricOrigin.DOGSTATSD, intake.awaitSketch("app.payload.size", WAIT).origin());
    }

    @Test
    void headersCarryKeyProtobufTypeEncodingAndAgentVersion() throws Exception {
        export(sink(), List.of(latency(NOW, 1)));

        RecordedRequest request = intake.awaitRequest(r -> true, WAIT);
        assertEquals("POST", request.method());
        assertEquals("/api/beta/sketches", request.path());
        assertTrue(request.apiKeyMatches(TestContext.API_KEY));
        assertEquals("application/x-protobuf", request.header("Content-Type").orElseThrow());
        assertEquals("deflate", request.contentEncoding(), "deflate is the default");
        assertEquals("pilotfish/1.2.3", request.header("User-Agent").orElseThrow());
        assertTrue(request.accepted(), request.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate", "GZIP"})
    void aLargeBatchArrivesWholeWithEitherCompression(String compression) throws Exception {
        Random random = new Random(7);
        List<Sketch> batch = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            double[] values = new double[1 + random.nextInt(40)];
            for (int v = 0; v < values.length; v++) {
                values[v] = 1 + random.nextDouble() * 5000;
            }
            batch.add(Sketches.of("app.latency", NOW - 10L * (i / 100), TagSet.of("container_name:c" + i % 100),
                    "", values));
        }

        assertInstanceOf(ExportResult.Success.class, export(sink("compression", compression), batch));

        RecordedRequest request = intake.awaitRequest(r -> true, WAIT);
        assertEquals(compression.toLowerCase(), request.contentEncoding());
        assertTrue(request.wireBytes() < request.body().length, "the body is compressed");
        List<RecordedSketch> sketches = intake.sketches("app.latency");
        assertEquals(100, sketches.size(), "one series per container");
        assertEquals(2000, sketches.stream().mapToInt(s -> s.points().size()).sum());
        assertEquals(1, context.counter("sink.requests", "status_class:2xx"));
    }

    @Test
    void globalTagsAreReadAtEachExportSoReloadsApply() throws Exception {
        DatadogSketchesSink sink = sink();
        export(sink, List.of(latency(NOW, 1)));
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.of("env:staging")));
        export(sink, List.of(latency(NOW + 10, 1)));

        List<RecordedSketch> sketches = intake.sketches("app.request.latency");
        assertEquals(List.of("env:test", "route:/checkout", "service:pilotfish"), sketches.get(0).tags());
        assertEquals(List.of("env:staging", "route:/checkout"), sketches.get(1).tags());
    }

    // ---- invalid sketches ----------------------------------------------------------------------------------------

    @Test
    void invalidSketchesAreDroppedCountedAndLoggedTheRestIsSent() throws Exception {
        List<Signal> batch = List.of(
                new Sketch("m", NOW, TagSet.EMPTY, "", 1, Double.NaN, 1, 1, new int[] {1338}, new int[] {1}),
                new Sketch("m", NOW, TagSet.EMPTY, "", 1, 1, 1, Double.POSITIVE_INFINITY, new int[] {1338},
                        new int[] {1}),
                new Sketch("m", NOW, TagSet.EMPTY, "", 5, 1, 1, 5, new int[] {1338}, new int[] {1}),
                new Sketch("", NOW, TagSet.EMPTY, "", 1, 1, 1, 1, new int[] {1338}, new int[] {1}),
                Metric.gauge("not.a.sketch", 1, NOW, TagSet.EMPTY),
                latency(NOW, 5, 6));

        assertInstanceOf(ExportResult.Success.class, export(sink(), batch));

        assertEquals(1, intake.sketches().size());
        assertEquals("app.request.latency", intake.sketches().get(0).metric());
        assertEquals(2, context.counter("sink.points.dropped", "reason:invalid_value"));
        assertEquals(1, context.counter("sink.points.dropped", "reason:invalid_bins"));
        assertEquals(1, context.counter("sink.points.dropped", "reason:invalid_name"));
        assertEquals(1, context.counter("sink.points.dropped", "reason:unsupported_signal"));
        List<String> lines = context.log.lines;
        assertTrue(lines.stream().anyMatch(l -> l.contains("invalid_value") && l.contains("NaN")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("invalid_bins")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("unsupported_signal")
                && l.contains("datadog-sketches")), lines.toString());
    }

    @Test
    void aBatchOfOnlyInvalidSignalsSendsNothingAndSucceeds() throws Exception {
        ExportResult result = export(sink(), List.of(Metric.gauge("m", 1, NOW, TagSet.EMPTY),
                new Sketch(" ", NOW, TagSet.EMPTY, "", 1, 1, 1, 1, new int[] {1338}, new int[] {1})));

        assertInstanceOf(ExportResult.Success.class, result);
        assertEquals(0, intake.requestCount());
        assertEquals(1, context.counter("sink.points.dropped", "reason:unsupported_signal"));
        assertEquals(1, context.counter("sink.points.dropped", "reason:invalid_name"));
    }

    @Test
    void droppedSketchesAreCountedOnceEvenWhenTheBatchIsRetried() throws Exception {
        DatadogSketchesSink sink = sink();
        List<Signal> batch = List.of(Metric.gauge("m", 1, NOW, TagSet.EMPTY), latency(NOW, 1));
        intake.respondNext(503);
        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertEquals(0, context.counter("sink.points.dropped", "reason:unsupported_signal"));

        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(1, context.counter("sink.points.dropped", "reason:unsupported_signal"));
    }

    // ---- size limits -------------------------------------------------------------------------------------------

    @Test
    void overMaxUncompressedBytesIsTooLargeAndNotSent() throws Exception {
        List<Sketch> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(latency(NOW - 10L * i, i + 1));
        }

        ExportResult result = export(sink("max-uncompressed-bytes", "200"), batch);

        String reason = assertInstanceOf(ExportResult.TooLarge.class, result).reason();
        assertTrue(reason.contains("max-uncompressed-bytes"), reason);
        assertEquals(0, intake.requestCount());
    }

    @Test
    void overMaxPayloadBytesIsTooLargeAndNotSent() throws Exception {
        List<Sketch> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            batch.add(Sketches.of("metric." + i, NOW, TagSet.of("container_id:" + Integer.toHexString(i * 7919)),
                    "", i + 1, i * 3 + 7));
        }

        ExportResult result = export(sink("max-payload-bytes", "100"), batch);

        String reason = assertInstanceOf(ExportResult.TooLarge.class, result).reason();
        assertTrue(reason.contains("max-payload-bytes"), reason);
        assertEquals(0, intake.requestCount());
    }

    // ---- answers -----------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "200, Success", "202, Success",
        "413, TooLarge",
        "429, Retryable", "503, Retryable", "408, Retryable", "500, Retryable", "502, Retryable",
        "400, Permanent", "404, Permanent", "422, Permanent", "302, Permanent",
        "401, CredentialsRejected", "403, CredentialsRejected"})
    void answersAreClassified(int status, String expected) throws Exception {
        intake.alwaysRespond(status);

        ExportResult result = export(sink(), List.of(latency(NOW, 1)));

        assertEquals(expected, result.getClass().getSimpleName(), String.valueOf(result));
        assertEquals(1, context.counter("sink.requests", "status_class:" + status / 100 + "xx"));
        assertTrue(context.counter("sink.bytes.sent") > 0);
    }

    @Test
    void aRejectedKeyIsLoggedAndNamesWhatToCheck() throws Exception {
        intake.acceptKeys("another-key");

        ExportResult result = export(sink(), List.of(latency(NOW, 1)));

        String reason = assertInstanceOf(ExportResult.CredentialsRejected.class, result).reason();
        assertTrue(reason.contains("API key was rejected") && reason.contains("DD_SITE"), reason);
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("api_key_rejected")));
    }

    @Test
    void retryAfterIsPassedOn() throws Exception {
        intake.respondNext(ScriptedResponse.status(429).withRetryAfter("120"));

        ExportResult.Retryable result = assertInstanceOf(ExportResult.Retryable.class,
                export(sink(), List.of(latency(NOW, 1))));

        assertEquals(Optional.of(Duration.ofSeconds(120)), result.retryAfter());
    }

    @Test
    void aRefusedConnectionIsRetryable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        ExportResult result = export(sink("url", "http://127.0.0.1:" + closedPort), List.of(latency(NOW, 1)));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("127.0.0.1"), reason);
        assertEquals(1, context.counter("sink.requests", "status_class:error"));
    }

    // ---- the API key -------------------------------------------------------------------------------------------

    @Test
    void withoutAnApiKeyNothingIsSentAndTheBatchStaysQueued() throws Exception {
        context.apiKey.set(Optional.empty());

        ExportResult result = export(sink(), List.of(latency(NOW, 1)));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.startsWith("no API key configured: set DD_API_KEY"), reason);
        assertEquals(0, intake.requestCount());
    }

    @Test
    void aRotatedKeyIsUsedFromTheNextExport() throws Exception {
        String rotated = java.util.UUID.randomUUID().toString().replace("-", "");
        intake.acceptKeys(TestContext.API_KEY, rotated);
        DatadogSketchesSink sink = sink();
        export(sink, List.of(latency(NOW, 1)));
        context.apiKey.set(Optional.of(new Secret(rotated)));
        export(sink, List.of(latency(NOW, 1)));

        List<RecordedRequest> requests = intake.requests();
        assertTrue(requests.get(0).apiKeyMatches(TestContext.API_KEY));
        assertTrue(requests.get(1).apiKeyMatches(rotated));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 403, 413, 500, 503})
    void theKeyNeverShowsEvenWhenTheIntakeEchoesIt(int status) throws Exception {
        intake.alwaysRespond(ScriptedResponse.status(status).withBody("{\"errors\":[\"bad key "
                + TestContext.API_KEY + "\"]}"));
        DatadogSketchesSink sink = sink();

        ExportResult result = export(sink, List.of(latency(NOW, 1)));

        assertFalse(result.toString().contains(TestContext.API_KEY), result.toString());
        assertFalse(sink.toString().contains(TestContext.API_KEY));
        context.log.lines.forEach(line -> assertFalse(line.contains(TestContext.API_KEY), line));
    }

    // ---- endpoint ----------------------------------------------------------------------------------------------

    @Test
    void ddUrlWithAPathPrefixIsHonoured() throws Exception {
        context.agent.set(context.settings("datadoghq.com", Optional.of(URI.create(intake.uri() + "/datadog/")),
                GLOBAL));
        DatadogSketchesSink sink = (DatadogSketchesSink) factory.create(
                factory.configure(MapPluginConfig.of("dd", Map.of())), context);

        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(latency(NOW, 1))));

        assertEquals("/datadog/api/beta/sketches", intake.awaitRequest(r -> true, WAIT).path());
    }

    @Test
    void anUnusableSiteAfterAReloadKeepsTheBatch() throws Exception {
        DatadogSketchesSink sink = (DatadogSketchesSink) factory.create(
                factory.configure(MapPluginConfig.of("dd", Map.of())), context);
        context.agent.set(context.settings("https://datadoghq.eu", Optional.empty(), GLOBAL));

        String reason = assertInstanceOf(ExportResult.Retryable.class, export(sink, List.of(latency(NOW, 1))))
                .reason();

        assertTrue(reason.startsWith("DD_SITE="), reason);
    }

    @Test
    void theSinkNamesItsTargetWithoutCredentials() {
        context.agent.set(context.settings("datadoghq.com",
                Optional.of(URI.create("https://user:pa55word@proxy.example:8443/dd")), GLOBAL));
        DatadogSketchesSink sink = (DatadogSketchesSink) factory.create(
                factory.configure(MapPluginConfig.of("dd", Map.of())), context);

        assertEquals("DatadogSketchesSink[datadog-sketches -> https://proxy.example:8443/dd/api/beta/sketches, "
                + "deflate]", sink.toString());
    }
}
