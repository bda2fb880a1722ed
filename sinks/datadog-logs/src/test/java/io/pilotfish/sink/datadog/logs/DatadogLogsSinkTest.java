package io.pilotfish.sink.datadog.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.sink.datadog.common.testing.DatadogSinkTestBase;
import io.pilotfish.sink.datadog.common.testing.FakeIntake;
import io.pilotfish.sink.datadog.common.testing.FakeIntake.Answer;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogLogsSinkTest extends DatadogSinkTestBase<DatadogLogsSink, DatadogLogsConfig> {

    private static final String LOGS = "/api/v2/logs";
    private static final long NOW_MS = NOW * 1000;
    private static final String KEY = TestContext.API_KEY;

    DatadogLogsSinkTest() {
        super(new DatadogLogsSinkFactory(), DatadogLogsSink.class, "datadog-logs", "logs");
    }

    private static LogRecord log(String message) {
        return LogRecord.of(message, NOW_MS, "info", "web", "nginx", TagSet.of("container_name:web"));
    }

    // ---- what is sent ----------------------------------------------------------------------------------------------

    @Test
    void aBatchIsOneZstdJsonArrayPostedToTheLogsPathWithTheAgentsHeaders() throws Exception {
        List<LogRecord> batch = List.of(log("GET / 200"), log("GET /health 200"));

        assertInstanceOf(ExportResult.Success.class, export(sink(), batch));

        FakeIntake.Request request = intake.take();
        assertEquals("POST", request.method());
        assertEquals(LOGS, request.path());
        assertEquals(KEY, request.header("DD-API-KEY"));
        assertEquals("application/json", request.header("Content-Type"));
        assertEquals("zstd", request.header("Content-Encoding"), "zstd is the default, as the Agent sends");
        assertEquals("agent-json", request.header("DD-PROTOCOL"));
        assertEquals("agent", request.header("DD-EVP-ORIGIN"));
        assertEquals("1.2.3", request.header("DD-EVP-ORIGIN-VERSION"));
        assertEquals("pilotfish/1.2.3", request.header("User-Agent"));
        // A zstd frame starts with the magic number 0xFD2FB528, little-endian.
        assertEquals(List.of(0x28, 0xB5, 0x2F, 0xFD), List.of(request.body()[0] & 0xFF, request.body()[1] & 0xFF,
                request.body()[2] & 0xFF, request.body()[3] & 0xFF), "zstd magic");

        JsonNode array = request.json();
        assertTrue(array.isArray());
        assertEquals(2, array.size());
        JsonNode first = array.get(0);
        assertEquals("GET / 200", first.get("message").asText());
        assertEquals("info", first.get("status").asText());
        assertEquals(NOW_MS, first.get("timestamp").asLong());
        assertEquals("web", first.get("service").asText());
        assertEquals("nginx", first.get("ddsource").asText());
        assertEquals("container_name:web", first.get("ddtags").asText(), "the record's tags only");
        assertEquals("GET /health 200", array.get(1).get("message").asText());
        assertEquals(0, intake.received(), "one request for the batch");
        assertEquals(2, context.counter("sink.logs.sent"));
        assertEquals(1, context.counter("sink.requests", "status_class:2xx"));
    }

    @Test
    void twoExportsAtOnceReachTheIntakeInOrderAndOneAfterAFailureIsNotSent() throws Exception {
        DatadogLogsSink sink = sink();
        intake.hold();
        java.util.concurrent.CompletableFuture<ExportResult> first = sink.export(List.of(log("first")))
                .toCompletableFuture();
        java.util.concurrent.CompletableFuture<ExportResult> second = sink.export(List.of(log("second")))
                .toCompletableFuture();
        assertEquals("first", intake.take().json().get(0).get("message").asText());
        Thread.sleep(200); // a second request would be at the intake by now
        assertEquals(0, intake.received(), "the second waits for the first's answer");

        intake.respond(request -> Answer.status(503));
        intake.release(1);
        assertInstanceOf(ExportResult.Retryable.class, first.get(20, java.util.concurrent.TimeUnit.SECONDS));
        ExportResult held = second.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertInstanceOf(ExportResult.Retryable.class, held);
        assertTrue(held.toString().contains("not sent"), held.toString());
        assertEquals(0, intake.received(), "never sent: it would have arrived before the first's retry");
        assertEquals(0, context.counter("sink.logs.sent"));

        // Given again (the platform does so only once both ended), they go in order.
        intake.respond(request -> Answer.ACCEPTED);
        java.util.concurrent.CompletableFuture<ExportResult> again = sink.export(List.of(log("first")))
                .toCompletableFuture();
        java.util.concurrent.CompletableFuture<ExportResult> then = sink.export(List.of(log("second")))
                .toCompletableFuture();
        intake.release(2);
        assertInstanceOf(ExportResult.Success.class, again.get(20, java.util.concurrent.TimeUnit.SECONDS));
        assertInstanceOf(ExportResult.Success.class, then.get(20, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("first", intake.take().json().get(0).get("message").asText());
        assertEquals("second", intake.take().json().get(0).get("message").asText());
        assertEquals(2, context.counter("sink.logs.sent"));
    }

    @Test
    void withConcurrentSendsTheSecondGoesOutBeforeTheFirstIsAnsweredAndNeitherWaitsOnTheOthersFailure()
            throws Exception {
        DatadogLogsSink sink = sink("max-concurrent-sends", "2");
        intake.hold();
        intake.respond(request -> request.json().get(0).get("message").asText().equals("first")
                ? Answer.status(503) : Answer.ACCEPTED);
        java.util.concurrent.CompletableFuture<ExportResult> first = sink.export(List.of(log("first")))
                .toCompletableFuture();
        java.util.concurrent.CompletableFuture<ExportResult> second = sink.export(List.of(log("second")))
                .toCompletableFuture();
        // Both are at the intake before either is answered.
        java.util.Set<String> arrived = new java.util.HashSet<>();
        arrived.add(intake.take().json().get(0).get("message").asText());
        arrived.add(intake.take().json().get(0).get("message").asText());
        assertEquals(java.util.Set.of("first", "second"), arrived);

        intake.release(2);
        assertInstanceOf(ExportResult.Retryable.class, first.get(20, java.util.concurrent.TimeUnit.SECONDS));
        assertInstanceOf(ExportResult.Success.class, second.get(20, java.util.concurrent.TimeUnit.SECONDS),
                "taken, although the batch before it failed: its order is not kept");
        assertEquals(1, context.counter("sink.logs.sent"));
    }

    @Test
    void anExportThePlatformGivesUpOnAbortsItsRequestAndOnlyThen() {
        java.util.concurrent.CompletableFuture<String> request = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<String> export = request.thenApply(answer -> answer);
        io.pilotfish.sink.datadog.common.IntakeClient.abortWhenAbandoned(export, request);
        export.completeExceptionally(new java.util.concurrent.TimeoutException()); // the platform's request-timeout
        assertTrue(request.isCancelled(), "the request is aborted, so a late 2xx cannot land");

        java.util.concurrent.CompletableFuture<String> answered = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<String> done = answered.thenApply(answer -> answer);
        io.pilotfish.sink.datadog.common.IntakeClient.abortWhenAbandoned(done, answered);
        answered.complete("202");
        assertFalse(answered.isCancelled());
        assertEquals("202", done.join());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate"})
    void gzipAndDeflateCanBeChosenAtALevel(String compression) throws Exception {
        List<LogRecord> batch = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            batch.add(log("GET /api/orders/" + i + " 200 in " + (i % 17) + " ms"));
        }
        export(sink("compression", compression, "gzip-level", "1"), batch);
        export(sink("compression", compression, "gzip-level", "9"), batch);

        FakeIntake.Request fast = intake.take();
        FakeIntake.Request small = intake.take();
        assertEquals(compression, fast.header("Content-Encoding"));
        assertEquals("GET /api/orders/199 200 in 12 ms", fast.json().get(199).get("message").asText());
        assertEquals(fast.json(), small.json());
        assertTrue(small.body().length < fast.body().length, "level 9 makes a smaller body than level 1: "
                + small.body().length + " against " + fast.body().length);
    }

    @Test
    void zstdRunsHereAndAJvmThatDeniesItGetsGzipInstead() {
        assertEquals(Optional.empty(), LogsCompression.zstdProblem(), "the launchers allow the compressor's access");
        Optional<String> denied = Optional.of("java.lang.UnsupportedOperationException: denied");
        assertEquals(LogsCompression.GZIP, LogsCompression.usable(LogsCompression.ZSTD, denied));
        assertEquals(LogsCompression.DEFLATE, LogsCompression.usable(LogsCompression.DEFLATE, denied));
        assertEquals(LogsCompression.ZSTD, LogsCompression.usable(LogsCompression.ZSTD, Optional.empty()));
    }

    @Test
    void withoutCompressionTheBodyIsPlainJsonWithoutContentEncoding() throws Exception {
        export(sink("compression", "none"), List.of(log("x")));

        FakeIntake.Request request = intake.take();
        assertEquals(null, request.header("Content-Encoding"));
        assertEquals("[{", new String(request.body(), 0, 2, StandardCharsets.UTF_8));
        assertEquals("x", request.json().get(0).get("message").asText());
    }

    @Test
    void aUrlWithAPrefixGetsTheLogsPathOnce() throws Exception {
        DatadogLogsSink sink = sink("url", intake.baseUri() + "/relay/");

        export(sink, List.of(log("x")));

        assertEquals("/relay/api/v2/logs", intake.take().path());
        assertEquals(URI.create(intake.baseUri() + "/relay/api/v2/logs"), sink.logsUri());
    }

    @Test
    void recordsWithoutAHostGetTheAgentsHostname() throws Exception {
        context.agent.set(new AgentSettings("1.2.3", "i-0abc", GLOBAL, "datadoghq.com", Optional.empty(),
                context.apiKey::get));
        LogRecord own = new LogRecord("own".getBytes(StandardCharsets.UTF_8), NOW_MS, "info", "", "", "i-0own",
                TagSet.EMPTY, null);

        export(sink(), List.of(log("no host"), own));

        JsonNode array = intake.take().json();
        assertEquals("i-0abc", array.get(0).get("hostname").asText());
        assertEquals("i-0own", array.get(1).get("hostname").asText());
    }

    @Test
    void aTruncatedMessageIsCountedAndWarnedOnceAccepted() throws Exception {
        byte[] huge = new byte[LogEncoder.MAX_MESSAGE_BYTES + 100];
        Arrays.fill(huge, (byte) 'x');
        LogRecord big = new LogRecord(huge, NOW_MS, "error", "app", "", "", TagSet.EMPTY, null);
        List<LogRecord> batch = List.of(big, log("small"));
        DatadogLogsSink sink = sink();

        intake.respond(request -> Answer.status(503));
        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertEquals(0, context.counter("sink.logs.truncated"), "not counted before the batch is accepted");
        intake.drain();

        intake.respond(request -> Answer.ACCEPTED);
        assertInstanceOf(ExportResult.Success.class, export(sink, batch));

        String sent = intake.take().json().get(0).get("message").asText();
        assertEquals(LogEncoder.MAX_MESSAGE_BYTES, sent.length());
        assertTrue(sent.endsWith("...TRUNCATED..."));
        assertEquals(1, context.counter("sink.logs.truncated"));
        assertEquals(2, context.counter("sink.logs.sent"), "counted once, after the retry");
        assertTrue(context.log.lines.stream().anyMatch(l -> l.startsWith("WARN log_truncated 1 logs")),
                context.log.lines.toString());
    }

    @Test
    void otherSignalsAreDroppedAndCounted() throws Exception {
        Event event = new Event("t", "x", NOW, Event.AlertType.INFO, Event.Priority.NORMAL, "", "", TagSet.EMPTY, "");

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(event)));
        assertEquals(0, intake.received(), "nothing to send");
        assertEquals(1, context.counter("sink.signals.dropped", "reason:unsupported_signal"));

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(event, log("kept"))));
        assertEquals(1, intake.take().json().size());
        assertEquals(2, context.counter("sink.signals.dropped", "reason:unsupported_signal"));
        assertEquals(1, context.counter("sink.logs.sent"));
    }

    // ---- limits ---------------------------------------------------------------------------------------------------

    @Test
    void aBatchOverTheIntakesLimitsIsTooLargeAndNothingIsSent() throws Exception {
        List<Signal> many = new ArrayList<>();
        for (int i = 0; i <= LogEncoder.MAX_LOGS_PER_PAYLOAD; i++) {
            many.add(log("line " + i));
        }
        ExportResult.TooLarge tooMany = assertInstanceOf(ExportResult.TooLarge.class, export(sink(), many));
        assertTrue(tooMany.reason().contains("1001"), tooMany.reason());

        List<Signal> heavy = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] message = new byte[999_000];
            Arrays.fill(message, (byte) 'y');
            heavy.add(new LogRecord(message, NOW_MS, "", "", "", "", TagSet.EMPTY, null));
        }
        ExportResult.TooLarge tooBig = assertInstanceOf(ExportResult.TooLarge.class, export(sink(), heavy));
        assertTrue(tooBig.reason().contains("5000000"), tooBig.reason());
        assertEquals(0, intake.received());
        assertEquals(0, context.counter("sink.logs.sent"));
    }

    // ---- answers ---------------------------------------------------------------------------------------------------

    @Test
    void answer413IsTooLargeSoThePlatformSplitsTheBatchAndDropsOnlyALoneOffender() throws Exception {
        intake.respond(request -> Answer.status(413));

        ExportResult result = export(sink(), List.of(log("a"), log("b")));

        assertTrue(assertInstanceOf(ExportResult.TooLarge.class, result).reason().contains("413"));
        assertEquals(0, context.counter("sink.logs.sent"));
    }

    @Test
    void answer400IsPermanent() throws Exception {
        intake.respond(request -> Answer.status(400));

        ExportResult result = export(sink(), List.of(log("a")));

        assertTrue(assertInstanceOf(ExportResult.Permanent.class, result).reason().contains("400"));
        assertEquals(0, context.counter("sink.logs.sent"));
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void aRejectedKeyKeepsTheDataWhileTheKeyIsReRead(int status) throws Exception {
        intake.respond(request -> Answer.status(status));

        ExportResult result = export(sink(), List.of(log("a")));

        assertTrue(assertInstanceOf(ExportResult.CredentialsRejected.class, result).reason().contains("DD_API_KEY"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.startsWith("WARN api_key_rejected")));
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 408, 429})
    void serverErrorsAreRetryableAndNothingIsCounted(int status) throws Exception {
        intake.respond(request -> Answer.status(status));

        ExportResult result = export(sink(), List.of(log("a")));

        assertTrue(assertInstanceOf(ExportResult.Retryable.class, result).reason().contains(String.valueOf(status)));
        assertEquals(1, intake.drain().size(), "the sink does not retry by itself");
        assertEquals(0, context.counter("sink.logs.sent"));
    }

    @Test
    void noAnswerIsRetryable() throws Exception {
        DatadogLogsSink sink = sink("url", "http://127.0.0.1:" + closedPort());

        ExportResult result = export(sink, List.of(log("a")));

        assertInstanceOf(ExportResult.Retryable.class, result);
        assertEquals(1, context.counter("sink.requests", "status_class:error"));
    }

    @Test
    void withoutAnApiKeyNothingIsSentAndTheDataIsKept() throws Exception {
        context.apiKey.set(Optional.empty());

        ExportResult result = export(sink(), List.of(log("a")));

        assertTrue(assertInstanceOf(ExportResult.Retryable.class, result).reason().contains("DD_API_KEY"));
        assertEquals(0, intake.received());
    }

    @Test
    void theApiKeyNeverShowsWhateverTheIntakeAnswers() throws Exception {
        DatadogLogsSink sink = sink();
        List<String> seen = new ArrayList<>();
        for (int status : new int[] {400, 401, 403, 404, 413, 429, 500, 503, 302}) {
            intake.answer(status, Map.of("Location", "https://x.example/?api_key=" + KEY),
                    "{\"errors\":[\"request with key " + KEY + " refused\"]}");
            seen.add(String.valueOf(export(sink, List.of(log("a")))));
        }
        seen.add(String.valueOf(export(sink("url", "http://127.0.0.1:" + closedPort()), List.of(log("a")))));
        seen.add(sink.toString());
        seen.addAll(context.log.lines);

        for (String text : seen) {
            assertFalse(text.contains(KEY), "the API key shows in: " + text);
        }
        assertTrue(seen.stream().anyMatch(t -> t.contains("****" + KEY.substring(KEY.length() - 4))),
                "an echoed key is masked, not just dropped: " + seen);
    }

    @Test
    void aBadlyFormedKeyIsNeitherSentNorShown() throws Exception {
        context.apiKey.set(Optional.of(new Secret("0123456789\nabcdef")));

        ExportResult result = export(sink(), List.of(log("a")));

        assertInstanceOf(ExportResult.Retryable.class, result);
        assertFalse(result.toString().contains("0123456789"), result.toString());
        assertEquals(0, intake.received());
    }

    @Test
    void toStringNamesTheInstanceTargetAndCompression() {
        DatadogLogsSink sink = sink();

        String text = sink.toString();

        assertTrue(text.contains("datadog-logs"), text);
        assertTrue(text.contains(intake.baseUri().getHost() + ":" + intake.baseUri().getPort() + LOGS), text);
        assertTrue(text.contains("zstd"), text);
    }
}
