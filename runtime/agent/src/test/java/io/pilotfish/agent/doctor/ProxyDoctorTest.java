package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Doctor goes the agent's way through {@code DD_PROXY_HTTPS}: a proxy that refuses the credentials (407) fails the
 * intake and API-key checks naming the proxy, never the intake, and never showing the password.
 */
class ProxyDoctorTest {

    private static final String PASSWORD = "pr0xy-" + java.util.UUID.randomUUID().toString().substring(0, 8);

    /** A proxy on 127.0.0.1 that answers every request 407 and keeps each request's head. */
    private static final class RefusingProxy implements AutoCloseable {
        final ServerSocket server;
        final List<String> heads = new CopyOnWriteArrayList<>();
        final Thread thread;

        RefusingProxy() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(this::serve, "refusing-proxy");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket client = server.accept()) {
                    heads.add(readHead(client.getInputStream()));
                    client.getOutputStream().write(("HTTP/1.1 407 Proxy Authentication Required\r\n"
                            + "Proxy-Authenticate: Basic realm=\"corporate\"\r\nContent-Length: 0\r\n"
                            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private static String readHead(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            int b;
            while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
                head.append((char) b);
            }
            return head.toString();
        }

        String uri(String userInfo) {
            return "http://" + userInfo + "@127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static CheckResult run(DoctorCheck check, DatadogTarget target) throws Exception {
        try (DoctorContext context = Fixtures.context(Map.of(), target)) {
            return new Doctor(List.of(check)).run(context).results().get(0);
        }
    }

    @Test
    void theIntakeCheckConnectsThroughTheProxyWithItsCredentials() throws Exception {
        try (RefusingProxy proxy = new RefusingProxy()) {
            DatadogTarget target = Fixtures.target("pilotfish.datadog.url", "https://intake.pilotfish-test.invalid",
                    "pilotfish.proxy.https", proxy.uri("ops:" + PASSWORD));
            CheckResult result = run(new IntakeReachabilityCheck(), target);

            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
            assertTrue(result.detail().startsWith("the proxy at 127.0.0.1:" + proxy.server.getLocalPort()
                    + " refused the user and password of DD_PROXY_HTTPS (HTTP 407"), result.detail());
            assertTrue(result.fix().orElseThrow().contains("DD_PROXY_HTTPS"), result.fix().orElseThrow());
            Fixtures.assertNoSecret(result, PASSWORD);
            String head = proxy.heads.get(0);
            assertTrue(head.startsWith("CONNECT intake.pilotfish-test.invalid:443 HTTP/1.1\r\n"), head);
            assertTrue(head.contains("Proxy-Authorization: Basic " + Base64.getEncoder().encodeToString(
                    ("ops:" + PASSWORD).getBytes(StandardCharsets.UTF_8))), head);
        }
    }

    @Test
    void aProxyWithoutCredentialsThatWantsThemIsToldApart() throws Exception {
        try (RefusingProxy proxy = new RefusingProxy()) {
            DatadogTarget target = Fixtures.target("pilotfish.datadog.url", "https://intake.pilotfish-test.invalid",
                    "pilotfish.proxy.https", "http://127.0.0.1:" + proxy.server.getLocalPort());
            CheckResult result = run(new IntakeReachabilityCheck(), target);
            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
            assertTrue(result.detail().contains("requires a user and password"), result.detail());
            assertFalse(proxy.heads.get(0).contains("Proxy-Authorization"), proxy.heads.get(0));
        }
    }

    @Test
    void theApiKeyCheckNamesTheProxyNotTheIntake() throws Exception {
        try (RefusingProxy proxy = new RefusingProxy()) {
            // Plain HTTP to the intake: the proxy answers the GET itself (an HTTPS one is the CONNECT above).
            DatadogTarget target = Fixtures.target("pilotfish.datadog.url", "http://intake.pilotfish-test.invalid",
                    "pilotfish.datadog.api-key", Fixtures.API_KEY,
                    "pilotfish.proxy.https", proxy.uri("ops:" + PASSWORD));
            CheckResult result = run(new ApiKeyCheck(), target);

            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
            assertTrue(result.detail().startsWith("the proxy at 127.0.0.1:" + proxy.server.getLocalPort()
                    + " refused the user and password"), result.detail());
            assertFalse(result.detail().contains("answered HTTP 407"), result.detail());
            Fixtures.assertNoSecret(result, PASSWORD, Fixtures.API_KEY);
            assertTrue(proxy.heads.get(0).contains("Proxy-Authorization: Basic "), proxy.heads.get(0));
        }
    }
}
