package io.pilotfish.sink.datadog.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.testing.FakeIntake;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stats sink against the testkit's intake recorder; bodies read back with a strict msgpack reader. */
class DatadogApmStatsSinkTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    private static final TagSet GLOBAL = TagSet.of("env:test");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final DatadogApmStatsSinkFactory factory = new DatadogApmStatsSinkFactory();
    private HttpClient http;
    private IntakeRecorder intake;
    private TestContext context;

    @BeforeEach
    void start() {
        intake = IntakeRecorder.builder().acceptKeys(TestContext.API_KEY).start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        context = new TestContext("datadog-apm-stats", http, CLOCK, "datadoghq.com", Optional.empty(), GLOBAL);
    }

    @AfterEach
    void stop() {
        intake.close();
        http.shutdownNow();
    }

    private DatadogApmStatsSink sink(URI base, String... keyValues) {
        Map<String, String> keys = new HashMap<>();
        keys.put("url", base.toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            keys.put(keyValues[i], keyValues[i + 1]);
        }
        MapPluginConfig config = MapPluginConfig.of("stats", keys);
        DatadogApmStatsConfig typed = factory.configure(config);
        assertEquals(List.of(), config.problems());
        return (DatadogApmStatsSink) factory.create(typed, context);
    }

    private DatadogApmStatsSink sink(String... keyValues) {
        return sink(intake.uri(), keyValues);
    }

    private static ExportResult export(DatadogApmStatsSink sink, List<? extends Signal> batch) throws Exception {
        return sink.export(new ArrayList<>(batch)).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static Map<String, Object> payloadOf(byte[] body) {
        return MsgpackReader.map(MsgpackReader.read(body));
    }

    /** Every group a payload carries, as runtime id and resource. */
    private static List<String> groupsOf(Map<String, Object> payload) {
        List<String> groups = new ArrayList<>();
        for (Object client : MsgpackReader.list(payload.get("Stats"))) {
            Map<String, Object> stats = MsgpackReader.map(client);
            for (Object bucket : MsgpackReader.list(stats.get("Stats"))) {
                for (Object group : MsgpackReader.list(MsgpackReader.map(bucket).get("Stats"))) {
                    groups.add(stats.get("RuntimeID") + ":" + MsgpackReader.map(group).get("Resource"));
                }
            }
        }
        return groups;
    }

    private List<String> acceptedGroups() {
        List<String> groups = new ArrayList<>();
        for (RecordedRequest request : intake.requests()) {
            if (request.accepted()) {
                groups.addAll(groupsOf(payloadOf(request.body())));
            }
        }
        return groups;
    }

    // ---- what arrives --------------------------------------------------------------------------------------------

    @Test
    void theIntakeGetsGzipMsgpackWithTheTraceAgentsHeaders() throws Exception {
        List<Signal> batch = List.of(Traces.stats("java", 3, 2, false), Traces.stats("go", 2, 1, false));
        assertInstanceOf(ExportResult.Success.class, export(sink(), batch));

        RecordedRequest request = intake.awaitRequest(r -> true, WAIT);
        assertEquals(1, intake.requests().size());
        assertEquals("/api/v0.2/stats", request.path());
        assertTrue(request.accepted(), request.toString());
        assertTrue(request.apiKeyMatches(TestContext.API_KEY));
        assertEquals("application/msgpack", request.header("Content-Type").orElseThrow());
        assertEquals("gzip", request.contentEncoding());
        assertEquals("go|java", request.header("X-Datadog-Reported-Languages").orElseThrow());
        assertEquals("Datadog Trace Agent/1.2.3/pilotfish", request.header("User-Agent").orElseThrow());

        Map<String, Object> payload = payloadOf(request.body());
        assertEquals("", payload.get("AgentHostname"));
        assertEquals("test", payload.get("AgentEnv"));
        assertEquals("1.2.3", payload.get("AgentVersion"));
        assertEquals(false, payload.get("ClientComputed"));
        assertEquals(false, payload.get("SplitPayload"));
        assertEquals(5, groupsOf(payload).size());
        assertEquals(5, context.counter("sink.apm_stats.groups.sent"));
    }

    @Test
    void theHostnameAndEnvKeysSetTheAgentFields() throws Exception {
        export(sink("hostname", "ip-10-0-0-1", "env", "staging"), List.of(Traces.stats("java", 1, 1, true)));
        Map<String, Object> payload = payloadOf(intake.awaitRequest(r -> true, WAIT).body());
        assertEquals("ip-10-0-0-1", payload.get("AgentHostname"));
        assertEquals("staging", payload.get("AgentEnv"));
        assertEquals(true, payload.get("ClientComputed"));
    }

    @Test
    void fourThousandAndOneGroupsGoInTwoRequestsMarkedSplit() throws Exception {
        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(Traces.stats("java", 4001, 6, false))));

        List<RecordedRequest> requests = intake.requests();
        assertEquals(2, requests.size());
        for (RecordedRequest request : requests) {
            Map<String, Object> payload = payloadOf(request.body());
            assertEquals(true, payload.get("SplitPayload"));
            assertTrue(groupsOf(payload).size() <= 4000);
        }
        assertEquals(4001, new HashSet<>(acceptedGroups()).size());
        assertEquals(4001, context.counter("sink.apm_stats.groups.sent"));
        assertEquals(2, context.counter("sink.apm_stats.payloads.split"));
    }

    // ---- retries: what was accepted is not sent again --------------------------------------------------------

    @Test
    void aRetryAfterAPartialFailureSendsOnlyWhatWasNotAccepted() throws Exception {
        DatadogApmStatsSink sink = sink();
        List<Signal> batch = List.of(Traces.stats("java", 4001, 6, false));

        intake.respondNext(202);
        intake.respondNext(503, "1");
        ExportResult first = export(sink, batch);
        assertInstanceOf(ExportResult.Retryable.class, first);
        assertEquals(1, sink.rememberedBatches());

        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(3, intake.requests().size(), "the retry sent only the payload that failed");
        List<String> accepted = acceptedGroups();
        assertEquals(4001, accepted.size(), "every group accepted exactly once");
        assertEquals(4001, new HashSet<>(accepted).size());
        assertEquals(0, sink.rememberedBatches(), "forgotten once the batch is done");
    }

    @Test
    void anEqualButDistinctBatchIsSentWhole() throws Exception {
        DatadogApmStatsSink sink = sink();
        intake.respondNext(202);
        intake.respondNext(503);
        export(sink, List.of(Traces.stats("java", 4001, 6, false)));

        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(Traces.stats("java", 4001, 6, false))));
        assertEquals(4, intake.requests().size(), "other signal objects: other stats, all sent");
    }

    @Test
    void aPayloadRefusedAfterAnotherWasAcceptedIsDroppedAndCounted() throws Exception {
        DatadogApmStatsSink sink = sink();
        intake.respondNext(202);
        intake.respondNext(400);

        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(Traces.stats("java", 4001, 6, false))));
        assertEquals(2001, context.counter("sink.apm_stats.groups.dropped", "reason:rejected"));
        assertEquals(2000, context.counter("sink.apm_stats.groups.sent"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("stats_rejected")), context.log.lines
                .toString());
        assertEquals(0, sink.rememberedBatches());
    }

    @Test
    void aRefusalBeforeAnAcceptanceIsDroppedTooAndTheOthersStillGo() throws Exception {
        intake.respondNext(413);
        intake.respondNext(202);

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(Traces.stats("java", 4001, 6, false))));
        assertEquals(2000, context.counter("sink.apm_stats.groups.dropped", "reason:too_large"));
        assertEquals(2001, context.counter("sink.apm_stats.groups.sent"));
    }

    @Test
    void whenNothingIsAcceptedTheRefusalIsTheBatchs() throws Exception {
        DatadogApmStatsSink sink = sink();
        List<Signal> batch = List.of(Traces.stats("java", 10, 1, false));

        intake.alwaysRespond(400);
        assertInstanceOf(ExportResult.Permanent.class, export(sink, batch));
        intake.alwaysRespond(413);
        assertInstanceOf(ExportResult.TooLarge.class, export(sink, batch), "the platform splits or drops it");
        intake.alwaysRespond(403);
        assertInstanceOf(ExportResult.CredentialsRejected.class, export(sink, batch));
        assertEquals(0, context.counter("sink.apm_stats.groups.dropped", "reason:rejected"),
                "the platform counts a batch it drops");
        assertEquals(0, sink.rememberedBatches());
    }

    @Test
    void aLateAcceptanceAfterThePlatformStoppedWaitingIsNotSentAgain() throws Exception {
        try (FakeIntake held = FakeIntake.start()) {
            DatadogApmStatsSink sink = sink(held.baseUri());
            List<Signal> batch = List.of(Traces.stats("java", 10, 1, false));
            held.hold();

            CompletableFuture<ExportResult> first = sink.export(new ArrayList<>(batch)).toCompletableFuture();
            held.take();
            // The platform's request timeout: it completes the stage itself and will retry the same batch.
            first.orTimeout(1, TimeUnit.MILLISECONDS);
            Thread.sleep(20);
            assertTrue(first.isCompletedExceptionally());
            CompletableFuture<ExportResult> retry = sink.export(new ArrayList<>(batch)).toCompletableFuture();
            held.release(1); // the first request is accepted late

            assertInstanceOf(ExportResult.Success.class, retry.get(10, TimeUnit.SECONDS));
            assertEquals(0, held.received(), "the retry found the payload accepted and sent nothing");
            assertTrue(first.isCompletedExceptionally() && first.exceptionNow() instanceof TimeoutException);
        }
    }

    @Test
    void otherSignalsAndStatsWithoutGroupsSendNothing() throws Exception {
        List<Signal> batch = List.of(Metric.gauge("m", 1, 1, TagSet.EMPTY), Traces.stats("go", 0, 1, false));
        assertInstanceOf(ExportResult.Success.class, export(sink(), batch));
        assertEquals(0, intake.requestCount());
        assertEquals(1, context.counter("sink.signals.dropped", "reason:unsupported_signal"));
    }

    @Test
    void everySiteMapsToItsTraceIntake() {
        for (String site : List.of("datadoghq.com", "datadoghq.eu", "us3.datadoghq.com", "ddog-gov.com")) {
            TestContext other = new TestContext("s", http, CLOCK, site, Optional.of(URI.create("https://x.example")),
                    TagSet.EMPTY);
            DatadogApmStatsSink sink = (DatadogApmStatsSink) factory.create(DatadogApmStatsConfig.DEFAULTS, other);
            assertEquals(URI.create("https://trace.agent." + site + "/api/v0.2/stats"), sink.statsUri());
        }
        String text = sink().toString();
        assertTrue(text.contains(intake.uri().getPort() + "/api/v0.2/stats"), text);
    }
}
