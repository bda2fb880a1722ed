package io.pilotfish.sink.datadog.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The traces sink against the testkit's intake recorder; bodies read back with protobuf-java's parser. */
class DatadogTracesSinkTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    private static final TagSet GLOBAL = TagSet.of("env:test", "service:pilotfish");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final DatadogTracesSinkFactory factory = new DatadogTracesSinkFactory();
    private HttpClient http;
    private IntakeRecorder intake;
    private TestContext context;

    @BeforeEach
    void start() {
        intake = IntakeRecorder.builder().acceptKeys(TestContext.API_KEY).start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        context = new TestContext("datadog-traces", http, CLOCK, "datadoghq.com", Optional.empty(), GLOBAL);
    }

    @AfterEach
    void stop() {
        intake.close();
        http.shutdownNow();
    }

    private DatadogTracesSink sink(String... keyValues) {
        Map<String, String> keys = new HashMap<>();
        keys.put("url", intake.uri().toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            keys.put(keyValues[i], keyValues[i + 1]);
        }
        MapPluginConfig config = MapPluginConfig.of("traces", keys);
        DatadogTracesConfig typed = factory.configure(config);
        assertEquals(List.of(), config.problems());
        return (DatadogTracesSink) factory.create(typed, context);
    }

    private static ExportResult export(DatadogTracesSink sink, List<? extends Signal> batch) throws Exception {
        return sink.export(new ArrayList<>(batch)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static AgentPayloadReader.Payload payloadOf(RecordedRequest request) {
        return AgentPayloadReader.read(request.body());
    }

    private static List<TraceChunk> sample() {
        return List.of(Traces.chunk(Traces.tracer("java"), 1, 3), Traces.chunk(Traces.tracer("python"), 2, 2),
                Traces.chunk(Traces.tracer("go"), 3, 1), Traces.chunk(Traces.tracer("java"), 4, 1));
    }

    // ---- what arrives --------------------------------------------------------------------------------------------

    @Test
    void theIntakeGetsOneGzipProtobufRequestWithTheTraceAgentsHeaders() throws Exception {
        assertInstanceOf(ExportResult.Success.class, export(sink(), sample()));

        RecordedRequest request = intake.awaitRequest(r -> true, WAIT);
        assertEquals(1, intake.requests().size(), "one batch, one request");
        assertEquals("POST", request.method());
        assertEquals("/api/v0.2/traces", request.path());
        assertTrue(request.accepted(), request + " " + request.rejection().orElse(""));
        assertTrue(request.apiKeyMatches(TestContext.API_KEY));
        assertEquals("application/x-protobuf", request.header("Content-Type").orElseThrow());
        assertEquals("gzip", request.contentEncoding());
        assertTrue(request.wireBytes() < request.body().length, "compressed: " + request.wireBytes() + " of "
                + request.body().length);
        assertEquals("go|java|python", request.header("X-Datadog-Reported-Languages").orElseThrow());
        assertEquals("Datadog Trace Agent/1.2.3/pilotfish", request.header("User-Agent").orElseThrow());

        AgentPayloadReader.Payload payload = payloadOf(request);
        assertEquals("", payload.hostName(), "the agent's host name: none on Fargate");
        assertEquals("test", payload.env(), "the agent's env: tag");
        assertEquals("1.2.3", payload.agentVersion());
        assertEquals(10.0, payload.targetTps(), "the trace-agent's default");
        assertEquals(10.0, payload.errorTps(), "the trace-agent's default");
        assertEquals(false, payload.rareSamplerEnabled());
        assertEquals(List.of("java", "python", "go", "java"), payload.tracerPayloads().stream()
                .map(AgentPayloadReader.Tracer::languageName).toList());
        assertEquals(7, payload.tracerPayloads().stream().flatMap(t -> t.chunks().stream())
                .mapToInt(c -> c.spans().size()).sum());
        assertEquals(7, context.counter("sink.spans.sent"));
    }

    @Test
    void theSinksKeysSetTheAgentPayloadsFields() throws Exception {
        export(sink("hostname", "ip-10-0-0-1", "env", "staging", "target-tps", "2.5", "error-tps", "0",
                "rare-sampler-enabled", "true"), sample());

        AgentPayloadReader.Payload payload = payloadOf(intake.awaitRequest(r -> true, WAIT));
        assertEquals("ip-10-0-0-1", payload.hostName());
        assertEquals("staging", payload.env());
        assertEquals(2.5, payload.targetTps());
        assertEquals(0.0, payload.errorTps());
        assertEquals(true, payload.rareSamplerEnabled());
    }

    @Test
    void withoutAnEnvTagTheEnvIsNoneAsInTheTraceAgent() throws Exception {
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.of("service:x")));
        export(sink(), sample());
        assertEquals("none", payloadOf(intake.awaitRequest(r -> true, WAIT)).env());
    }

    @Test
    void aChunkTooLargeForAnyPayloadIsDroppedAndCountedOnceTheBatchIsDone() throws Exception {
        DatadogTracesSink sink = sink("max-payload-bytes", "20000");
        List<Signal> batch = List.of(Traces.chunk(Traces.tracer("java"), 1, 2),
                Traces.chunkOfSize(Traces.tracer("java"), 2, 30_000));

        intake.respondNext(503);
        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertEquals(0, context.counter("sink.traces.dropped", "reason:too_large"), "not final yet: retried");

        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(1, context.counter("sink.traces.dropped", "reason:too_large"));
        assertEquals(1, context.counter("sink.spans.dropped", "reason:too_large"));
        assertEquals(2, context.counter("sink.spans.sent"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("trace_too_large")), context.log.lines
                .toString());
        List<RecordedRequest> requests = intake.requests();
        assertEquals(1, payloadOf(requests.get(1)).tracerPayloads().get(0).chunks().size());
    }

    @Test
    void aBatchOverThePayloadLimitIsTooLargeAndNothingIsSent() throws Exception {
        List<Signal> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(Traces.chunkOfSize(Traces.tracer("java"), i + 1, 6000));
        }
        ExportResult result = export(sink("max-payload-bytes", "20000"), batch);

        assertTrue(assertInstanceOf(ExportResult.TooLarge.class, result).reason().contains("20000"), result.toString());
        assertEquals(0, intake.requestCount());
    }

    @Test
    void signalsThatAreNoTracesAreDroppedAndCounted() throws Exception {
        List<Signal> batch = List.of(Metric.gauge("m", 1, 1, TagSet.EMPTY), Traces.chunk(Traces.tracer("go"), 1, 1));
        assertInstanceOf(ExportResult.Success.class, export(sink(), batch));
        assertEquals(1, context.counter("sink.signals.dropped", "reason:unsupported_signal"));

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(Metric.gauge("m", 1, 1, TagSet.EMPTY))));
        assertEquals(1, intake.requestCount(), "a batch with no traces sends nothing");
    }

    // ---- answers, as the trace-agent's sender and the platform classify them -------------------------------------

    @ParameterizedTest
    @CsvSource({"408, Retryable", "500, Retryable", "502, Retryable", "503, Retryable", "504, Retryable",
        "429, Retryable", "400, Permanent", "404, Permanent", "422, Permanent", "413, TooLarge",
        "401, CredentialsRejected", "403, CredentialsRejected", "202, Success", "200, Success"})
    void answersAreClassified(int status, String expected) throws Exception {
        intake.respondNext(ScriptedResponse.status(status));
        ExportResult result = export(sink(), sample());
        assertEquals(expected, result.getClass().getSimpleName(), result.toString());
        assertEquals(1, intake.requestCount(), "the sink never retries on its own");
    }

    @Test
    void noAnswerIsRetryable() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Map<String, String> keys = Map.of("url", "http://127.0.0.1:" + port);
        DatadogTracesSink sink = (DatadogTracesSink) factory.create(factory.configure(MapPluginConfig.of("t",
                keys)), context);
        assertInstanceOf(ExportResult.Retryable.class, export(sink, sample()));
    }

    @Test
    void withoutAnApiKeyNothingIsSentAndTheBatchIsKept() throws Exception {
        context.apiKey.set(Optional.empty());
        assertInstanceOf(ExportResult.Retryable.class, export(sink(), sample()));
        assertEquals(0, intake.requestCount());
    }

    // ---- where it sends -------------------------------------------------------------------------------------

    private URI tracesUriFor(String site, Optional<URI> ddUrl, Map<String, String> keys) {
        TestContext other = new TestContext("datadog-traces", http, CLOCK, site, ddUrl, TagSet.EMPTY);
        return ((DatadogTracesSink) factory.create(factory.configure(MapPluginConfig.of("t", keys)), other))
                .tracesUri();
    }

    @ParameterizedTest
    @ValueSource(strings = {"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
        "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com"})
    void everySiteMapsToItsTraceIntake(String site) {
        assertEquals(URI.create("https://trace.agent." + site + "/api/v0.2/traces"),
                tracesUriFor(site, Optional.empty(), Map.of()));
    }

    @Test
    void noSiteMeansTheDefaultSiteAndCaseAndATrailingDotDoNotMatter() {
        assertEquals(URI.create("https://trace.agent.datadoghq.com/api/v0.2/traces"),
                tracesUriFor("", Optional.empty(), Map.of()));
        assertEquals(URI.create("https://trace.agent.datadoghq.eu/api/v0.2/traces"),
                tracesUriFor("DatadogHQ.eu.", Optional.empty(), Map.of()));
    }

    @Test
    void theUrlKeyWinsAndDdUrlIsNotForTraces() {
        Optional<URI> ddUrl = Optional.of(URI.create("https://metrics-proxy.example"));
        assertEquals(URI.create("https://trace.agent.datadoghq.eu/api/v0.2/traces"),
                tracesUriFor("datadoghq.eu", ddUrl, Map.of()), "the trace-agent does not read DD_DD_URL");
        assertEquals(URI.create("https://apm-proxy.internal:8443/dd/api/v0.2/traces"),
                tracesUriFor("datadoghq.eu", ddUrl, Map.of("url", "https://apm-proxy.internal:8443/dd/")));
    }

    @Test
    void anUnusableSiteFailsCreateNamingTheSetting() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> tracesUriFor("https://datadoghq.eu", Optional.empty(), Map.of()));
        assertTrue(error.getMessage().startsWith("DD_SITE=\"https://datadoghq.eu\""), error.getMessage());
    }

    @Test
    void aReloadedSiteAppliesToTheNextExport() throws Exception {
        DatadogTracesSink sink = (DatadogTracesSink) factory.create(DatadogTracesConfig.DEFAULTS, context);
        context.agent.set(context.settings("us5.datadoghq.com", Optional.empty(), GLOBAL));
        assertEquals(URI.create("https://trace.agent.us5.datadoghq.com/api/v0.2/traces"), sink.tracesUri());
        context.agent.set(context.settings("not a site", Optional.empty(), GLOBAL));
        ExportResult result = export(sink, sample());
        assertTrue(assertInstanceOf(ExportResult.Retryable.class, result).reason().contains("DD_SITE"),
                result.toString());
    }

    @Test
    void toStringNamesTheIntakeWithoutCredentials() {
        DatadogTracesSink sink = (DatadogTracesSink) factory.create(factory.configure(MapPluginConfig.of("t",
                Map.of("url", "https://user:secret@apm-proxy.internal/dd?token=abc"))), context);
        String text = sink.toString();
        assertTrue(text.contains("apm-proxy.internal/dd/api/v0.2/traces"), text);
        assertTrue(!text.contains("secret") && !text.contains("token"), text);
    }
}
