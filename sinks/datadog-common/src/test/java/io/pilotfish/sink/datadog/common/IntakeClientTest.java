package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.sink.datadog.common.testing.FakeIntake;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The intake request flow every Datadog sink shares, against a loopback intake. */
class IntakeClientTest {

    private static final String PATH = "/api/v2/series";
    private static final byte[] JSON = "{\"series\":[]}".getBytes(StandardCharsets.UTF_8);
    private static final String MASKED_KEY = "****" + TestContext.API_KEY.substring(TestContext.API_KEY.length() - 4);

    private FakeIntake intake;
    private HttpClient http;
    private TestContext context;
    private final AtomicInteger successes = new AtomicInteger();

    @BeforeEach
    void start() {
        intake = FakeIntake.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        context = new TestContext(http, Clock.systemUTC(), "datadoghq.com", Optional.empty(), TagSet.EMPTY);
    }

    @AfterEach
    void stop() {
        intake.close();
        http.shutdownNow();
    }

    private IntakeClient client(Optional<URI> url) {
        return new IntakeClient(context, url, PATH, IntakeRequest.JSON, Compression.GZIP, Duration.ofSeconds(5));
    }

    private IntakeClient client() {
        return client(Optional.of(intake.baseUri()));
    }

    private static IntakeClient.Target ready(IntakeClient client) {
        return assertInstanceOf(IntakeClient.Target.class, client.prepare());
    }

    private ExportResult send(IntakeClient client) throws Exception {
        byte[] body = Compression.GZIP.compress(JSON, 0, JSON.length);
        return await(client.send(ready(client), body, body.length, successes::incrementAndGet));
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Test
    void aSendThePlatformGivesUpOnIsAbortedSoALateAnswerDoesNotCount() throws Exception {
        intake.hold();
        IntakeClient client = client();
        byte[] body = Compression.GZIP.compress(JSON, 0, JSON.length);
        CompletableFuture<ExportResult> export = client.send(ready(client), body, body.length,
                successes::incrementAndGet).toCompletableFuture();
        intake.take(); // the request is at the intake, its answer held

        export.completeExceptionally(new java.util.concurrent.TimeoutException("the platform's request-timeout"));
        intake.release(2); // the intake answers 202, late; and lets the next request through
        // The next request goes through and is counted: by then the aborted one's answer would have been too.
        assertInstanceOf(ExportResult.Success.class, send(client));
        assertEquals(1, successes.get(), "only the second request's success ran");
        assertEquals(1, context.counter("sink.requests", "status_class:2xx"), "the aborted answer is not counted");
    }

    @Test
    void aTargetCarriesTheUrlTheKeyAndTheSettingsOfOneExport() {
        IntakeClient.Target target = ready(client());

        assertEquals(URI.create(intake.baseUri() + PATH), target.uri());
        assertEquals(TestContext.API_KEY, target.key().headerValue());
        assertEquals("1.2.3", target.agent().version());
        assertEquals("127.0.0.1", target.host());
        assertEquals(URI.create(intake.baseUri() + "/api/v1/check_run"), target.at("/api/v1/check_run").uri());
    }

    @Test
    void anUnusableSiteAtCreationIsRefused() {
        context.agent.set(context.settings("app.datadoghq.eu", Optional.empty(), TagSet.EMPTY));

        assertThrows(IllegalArgumentException.class, () -> client(Optional.empty()));
    }

    @Test
    void anUnusableSiteAfterAReloadIsRetryableSoTheDataIsKept() {
        IntakeClient client = client(Optional.empty());
        context.agent.set(context.settings("https://datadoghq.eu", Optional.empty(), TagSet.EMPTY));

        ExportResult result = assertInstanceOf(IntakeClient.Blocked.class, client.prepare()).result();

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.startsWith("DD_SITE=\"https://datadoghq.eu\""), reason);
    }

    @Test
    void aMissingKeyBlocksWithTheApiKeyResultAndIsWarned() {
        IntakeClient client = client();
        context.apiKey.set(Optional.empty());

        ExportResult result = assertInstanceOf(IntakeClient.Blocked.class, client.prepare()).result();

        assertEquals(new ExportResult.Retryable(ApiKey.NO_API_KEY), result);
        assertEquals(1, context.log.lines.stream().filter(l -> l.startsWith("WARN no_api_key ")).count(),
                context.log.lines.toString());
    }

    @Test
    void anAcceptedRequestIsSuccessAndRunsOnSuccessOnce() throws Exception {
        intake.answer(200, Map.of(), "{}");

        ExportResult result = send(client());

        assertInstanceOf(ExportResult.Success.class, result);
        assertEquals(1, successes.get());
        FakeIntake.Request request = intake.take();
        assertEquals("POST", request.method());
        assertEquals(PATH, request.path());
        assertEquals(TestContext.API_KEY, request.header("DD-API-KEY"));
        assertEquals("application/json", request.header("Content-Type"));
        assertEquals("gzip", request.header("Content-Encoding"));
        assertEquals("pilotfish/1.2.3", request.header("User-Agent"));
        assertArrayEquals(JSON, request.decodedBody());
        assertEquals(1, context.counter("sink.requests", "status_class:2xx"));
        assertEquals(request.body().length, context.counter("sink.bytes.sent"));
    }

    @Test
    void aRejectedKeyIsCredentialsRejectedWarnedAndDoesNotRunOnSuccess() throws Exception {
        intake.answer(403, Map.of(), "{\"errors\":[\"Forbidden\"]}");

        ExportResult result = send(client());

        String reason = assertInstanceOf(ExportResult.CredentialsRejected.class, result).reason();
        assertEquals(0, successes.get());
        assertEquals(1, context.log.lines.stream().filter(l -> l.equals("WARN api_key_rejected " + reason)).count(),
                context.log.lines.toString());
        assertEquals(1, context.counter("sink.requests", "status_class:4xx"));
    }

    @Test
    void anyOtherAnswerIsClassifiedWithoutRunningOnSuccessAndExchangeKeepsTheStatus() throws Exception {
        intake.answer(422, Map.of(), "{\"errors\":[\"bad payload\"]}");
        IntakeClient client = client();

        assertInstanceOf(ExportResult.Permanent.class, send(client));
        IntakeClient.Answer answer = await(client.exchange(ready(client).at("/api/v1/check_run"), JSON,
                JSON.length));

        assertEquals(0, successes.get());
        assertEquals(422, answer.httpStatus());
        assertTrue(answer.result().toString().contains("bad payload"), answer.toString());
        assertEquals(PATH, intake.take().path());
        assertEquals("/api/v1/check_run", intake.take().path());
        assertTrue(context.log.lines.isEmpty(), context.log.lines.toString());
    }

    @Test
    void anAnswerThatEchoesTheKeyInAnyFormIsReportedMaskedOnOneLine() throws Exception {
        IntakeClient client = client();
        java.util.List<String> leaked = new java.util.ArrayList<>();
        for (Map.Entry<String, String> form : io.pilotfish.testkit.SecretEchoes.of(TestContext.API_KEY).entrySet()) {
            for (int status : new int[] {400, 500}) {
                intake.answer(status, Map.of(), "{\"errors\":[\"\u001b]0;pwned\u0007 key " + form.getValue()
                        + "\r\nERROR forged line\"]}");
                String reason = send(client).toString();
                if (reason.contains(form.getValue()) || !reason.contains(MASKED_KEY)
                        || reason.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    leaked.add(form.getKey() + " (HTTP " + status + "): " + reason);
                }
            }
        }
        assertTrue(leaked.isEmpty(), String.join("\n", leaked));
    }

    @Test
    void noAnswerIsClassifiedAsATransportFailure() throws Exception {
        IntakeClient client = client(Optional.of(URI.create("http://127.0.0.1:" + closedPort())));

        IntakeClient.Answer answer = await(client.exchange(ready(client), JSON, JSON.length));
        ExportResult sent = send(client);

        String reason = assertInstanceOf(ExportResult.Retryable.class, answer.result()).reason();
        assertTrue(reason.startsWith("could not connect to 127.0.0.1"), reason);
        assertEquals(0, answer.httpStatus());
        assertEquals(answer.result(), sent);
        assertEquals(0, successes.get());
        assertEquals(2, context.counter("sink.requests", "status_class:error"));
        assertEquals(0, context.counter("sink.bytes.sent"));
    }

    @Test
    void aHeaderTheJdkRefusesIsPermanentWithTheKeyMasked() throws Exception {
        IntakeClient client = client();
        // The JDK echoes a refused header value; a version carrying the key shows that the key is masked.
        context.agent.set(new AgentSettings("1.0 " + TestContext.API_KEY + "\r\nX-Injected: yes", "", TagSet.EMPTY,
                "datadoghq.com", Optional.empty(), context.apiKey::get));

        ExportResult result = send(client);

        String reason = assertInstanceOf(ExportResult.Permanent.class, result).reason();
        assertTrue(reason.startsWith("request to 127.0.0.1 could not be built: "), reason);
        assertFalse(reason.contains(TestContext.API_KEY), reason);
        assertTrue(reason.contains(MASKED_KEY), reason);
        assertEquals(0, successes.get());
        assertEquals(1, context.counter("sink.requests", "status_class:error"));
        assertEquals(0, intake.received());
    }

    @Test
    void theTargetIsDescribedWithoutCredentials() {
        context.agent.set(context.settings("datadoghq.com",
                Optional.of(URI.create("https://user:pa55word@proxy.example:8443/dd?token=t0k")), TagSet.EMPTY));

        IntakeClient client = client(Optional.empty());

        assertEquals("https://proxy.example:8443/dd/api/v2/series", client.describe());
        assertEquals("https://proxy.example:8443/dd", client.describeBase());
        assertEquals(URI.create("https://user:pa55word@proxy.example:8443/dd/api/v2/series?token=t0k"),
                client.uri());
    }

    /** A loopback port nothing listens on (it was free a moment ago): connections to it are refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
