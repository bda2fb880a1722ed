package io.pilotfish.agent.doctor;

import static io.pilotfish.agent.doctor.Fixtures.API_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.IntakeRecorder;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ApiKeyCheckTest {

    private static IntakeRecorder intake;
    private final ApiKeyCheck check = new ApiKeyCheck();

    @BeforeAll
    static void start() {
        intake = IntakeRecorder.builder().acceptKeys(API_KEY).start();
    }

    @AfterAll
    static void stop() {
        intake.close();
    }

    private CheckResult run(DatadogTarget target) throws Exception {
        try (DoctorContext context = Fixtures.context(Map.of(), target)) {
            CheckResult result = check.run(context);
            Fixtures.assertNoSecret(result, API_KEY);
            return result;
        }
    }

    @Test
    void acceptedKeyPassesAndIsSentOnTheValidateRoute() throws Exception {
        intake.reset();
        intake.clear();
        CheckResult result = run(Fixtures.target("pilotfish.datadog.url", intake.uri().toString(),
                "pilotfish.datadog.api-key", API_KEY));
        assertEquals(CheckStatus.PASS, result.status(), result.detail());
        assertTrue(result.detail().contains("accepted by 127.0.0.1"), result.detail());
        assertEquals(1, intake.requests(IntakeRecorder.VALIDATE_PATH).size());
    }

    @Test
    void rejectedKeyFailsNamingSiteAndFix() throws Exception {
        intake.reset();
        CheckResult result = run(Fixtures.target("pilotfish.datadog.url", intake.uri().toString(),
                "pilotfish.datadog.api-key", "0000000000wrongkey0000000000"));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("rejected by 127.0.0.1"), result.detail());
        assertTrue(result.fix().orElseThrow().contains("DD_SITE"), result.fix().orElseThrow());
        assertTrue(!result.detail().contains("0000000000wrongkey0000000000"));
    }

    @Test
    void outageFails() throws Exception {
        intake.outage();
        try {
            CheckResult result = run(Fixtures.target("pilotfish.datadog.url", intake.uri().toString(),
                    "pilotfish.datadog.api-key", API_KEY));
            assertEquals(CheckStatus.FAIL, result.status());
            assertTrue(result.detail().contains("HTTP 503"), result.detail());
        } finally {
            intake.recover();
        }
    }

    @Test
    void networkErrorFailsNamingTheHost() throws Exception {
        int port = Fixtures.closedPort();
        CheckResult result = run(Fixtures.target("pilotfish.datadog.url", "http://127.0.0.1:" + port,
                "pilotfish.datadog.api-key", API_KEY));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("could not reach http://127.0.0.1:" + port), result.detail());
    }

    @Test
    void anEndlessAnswerIsCutAtTheExcerptInsteadOfReadToItsEnd() throws Exception {
        long size = 200L << 20;
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.CountDownLatch closedByClient = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            // 200 with a chunked page of 200 MB that is not {"valid":true}, as a broken proxy might send.
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = "<p>".repeat(20_000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try (java.io.OutputStream out = exchange.getResponseBody()) {
                while (written.get() < size) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (java.io.IOException closed) {
                closedByClient.countDown();
            }
        });
        server.start();
        try {
            CheckResult result = run(Fixtures.target("pilotfish.datadog.url", Fixtures.base(server).toString(),
                    "pilotfish.datadog.api-key", API_KEY));
            assertEquals(CheckStatus.FAIL, result.status());
            assertTrue(result.detail().contains("answered 200 without {\"valid\":true}"), result.detail());
            assertTrue(closedByClient.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the check closed the connection instead of reading on");
            assertTrue(written.get() < size / 2, "the server wrote " + written.get() + " of " + size + " bytes");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void missingKeyFailsWithHowToSetIt() throws Exception {
        CheckResult result = run(Fixtures.target("pilotfish.datadog.site", "datadoghq.eu"));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.fix().orElseThrow().contains("DD_API_KEY"));
        assertTrue(result.fix().orElseThrow().contains("datadoghq.eu"));
    }

    @Test
    void unusableSiteFailsBeforeAnyRequest() throws Exception {
        CheckResult result = run(Fixtures.target("pilotfish.datadog.site", "https://app.datadoghq.eu",
                "pilotfish.datadog.api-key", API_KEY));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().startsWith("DD_SITE="), result.detail());
    }

    @Test
    void targetUsesSiteWhenNoUrlAndRawEnvironmentWhenNoKeys() {
        DatadogTarget fromSite = Fixtures.target("pilotfish.datadog.site", "datadoghq.eu");
        assertEquals("https://api.datadoghq.eu", fromSite.apiBase().orElseThrow().toString());
        assertEquals("datadoghq.eu", fromSite.destination());
        DatadogTarget fromEnv = DatadogTarget.from(Map.of(), Map.of("DD_API_KEY", API_KEY, "DD_SITE", "us5.datadoghq.com"));
        assertEquals(API_KEY, fromEnv.apiKey().orElseThrow().reveal());
        assertEquals("https://api.us5.datadoghq.com", fromEnv.apiBase().orElseThrow().toString());
        assertTrue(!fromEnv.toString().contains(API_KEY));
    }
}
