package io.pilotfish.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code pilotfish health} against a real HTTP server on the loopback, answering as the agent's endpoint does. */
class HealthProbeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** An agent stand-in that answers every request with {@code status} and {@code body}. */
    private int agentAnswering(int status, String body, boolean chunked) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            // Length 0 makes the JDK server send the body chunked; a length sends Content-Length.
            exchange.sendResponseHeaders(status, chunked ? 0 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    private record Run(int exitCode, String stdout, String stderr) {
    }

    private static Run probe(Duration timeout, String... args) {
        return probe(Map.of(), timeout, args);
    }

    private static Run probe(Map<String, String> env, Duration timeout, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HealthProbe.run(args, new Properties(), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), timeout);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aRunningAgentIsHealthy() throws IOException {
        int port = agentAnswering(200, "{\"status\":\"ok\"}", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(new Run(0, "healthy" + System.lineSeparator(), ""), run);
        assertEquals(List.of("GET /health"), requests);
    }

    @Test
    void aChunkedAnswerIsReadAsWell() throws IOException {
        int port = agentAnswering(200, "{\"status\":\"ok\"}", true);
        assertEquals(new Run(0, "healthy" + System.lineSeparator(), ""), probe(TIMEOUT, "--port=" + port));
    }

    @Test
    void theConfiguredPortIsAskedWhenNoOptionIsGiven() throws IOException {
        int port = agentAnswering(200, "{\"status\":\"ok\"}", false);
        Run run = probe(Map.of("PILOTFISH_STATUS_PORT", Integer.toString(port)), TIMEOUT);
        assertEquals(0, run.exitCode(), run.toString());
    }

    @Test
    void aDegradedAgentStaysHealthyAndSaysWhy() throws IOException {
        int port = agentAnswering(200, "{\"status\":\"degraded\",\"problems\":[\"sink datadog-metrics: the intake "
                + "refused the API key\",\"SSM could not be read\"]}", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(0, run.exitCode());
        assertEquals("degraded: sink datadog-metrics: the intake refused the API key; SSM could not be read",
                run.stdout().strip());
    }

    @Test
    void anUnhealthyAgentFailsTheCheckWithItsProblems() throws IOException {
        int port = agentAnswering(503, "{\"status\":\"unhealthy\",\"problems\":[\"no API key\",\"collector "
                + "container-stats failing\"]}", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(1, run.exitCode());
        assertEquals("unhealthy: no API key; collector container-stats failing", run.stdout().strip());
    }

    @Test
    void aStoppingAgentFailsTheCheck() throws IOException {
        int port = agentAnswering(503, "{\"status\":\"stopping\"}", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(new Run(1, "unhealthy: the agent is stopping" + System.lineSeparator(), ""), run);
    }

    @Test
    void escapedCharactersInProblemsAreDecodedAndKeptOnOneLine() throws IOException {
        int port = agentAnswering(503, "{\"problems\":[\"key \\\"pilotfish.tags\\\" in C:\\\\tmp\\/x\",\"caf\\u00e9 "
                + "\\ud83d\\udc1f\",\"two\\nlines\\tand a tab\"],\"status\":\"unhealthy\",\"since\":12.5e0,"
                + "\"extra\":{\"nested\":[true,false,null]}}", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals("unhealthy: key \"pilotfish.tags\" in C:\\tmp/x; café 🐟; two lines and a tab",
                run.stdout().strip());
    }

    @Test
    void anotherServerOnThePortIsNoAgent() throws IOException {
        int port = agentAnswering(404, "not found", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(1, run.exitCode());
        assertEquals("unhealthy: no agent answers on 127.0.0.1:" + port + " (HTTP 404)", run.stdout().strip());
    }

    @Test
    void anAnswerThatIsNotJsonIsUnhealthyWithTheReason() throws IOException {
        int port = agentAnswering(200, "<html>ok</html>", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(1, run.exitCode());
        assertEquals("unhealthy: unreadable answer from 127.0.0.1:" + port + " (HTTP 200: not valid JSON: unexpected "
                + "'<', expected a value at offset 0)", run.stdout().strip());
    }

    @Test
    void truncatedJsonAndWrongShapesAreUnhealthy() throws IOException {
        for (String body : List.of("{\"status\":\"ok\"", "{\"status\":\"ok\",}", "{\"status\":\"o\\qk\"}",
                "[\"ok\"]", "{\"status\":1}", "{\"status\":\"ok\",\"problems\":\"none\"}",
                "{\"status\":\"degraded\",\"problems\":[1]}", "{\"status\":\"ok\"} trailing", "")) {
            stop();
            int port = agentAnswering(200, body, false);
            Run run = probe(TIMEOUT, "--port", Integer.toString(port));
            assertEquals(1, run.exitCode(), body + " -> " + run);
            assertTrue(run.stdout().startsWith("unhealthy: unreadable answer from 127.0.0.1:" + port + " (HTTP 200: "),
                    body + " -> " + run);
        }
    }

    @Test
    void aStateTheProbeDoesNotKnowIsNotHealthy() throws IOException {
        int port = agentAnswering(200, "{\"status\":\"warming-up\"}", false);
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(1, run.exitCode());
        assertTrue(run.stdout().contains("unknown status \"warming-up\""), run.stdout());
    }

    @Test
    void nothingListeningIsUnhealthy() throws IOException {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        Run run = probe(TIMEOUT, "--port", Integer.toString(port));
        assertEquals(new Run(1, "unhealthy: no agent answers on 127.0.0.1:" + port + " (connection refused)"
                + System.lineSeparator(), ""), run);
    }

    @Test
    void aServerThatNeverAnswersIsUnhealthyWhenTheTimeoutEnds() throws IOException {
        // The kernel completes the connection from the backlog; nobody ever reads or writes on it.
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run run = probe(Duration.ofMillis(300), "--port", Integer.toString(silent.getLocalPort()));
            assertEquals("unhealthy: no agent answers on 127.0.0.1:" + silent.getLocalPort()
                    + " (no answer within 300 ms)", run.stdout().strip());
            assertEquals(1, run.exitCode());
        }
    }

    @Test
    void garbageInsteadOfHttpIsUnhealthyWithWhatCame() throws Exception {
        try (ServerSocket garbage = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread answerer = new Thread(() -> {
                try (Socket client = garbage.accept()) {
                    client.getOutputStream().write("SSH-2.0-OpenSSH_9.6\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the probe's verdict below says what went wrong
                }
            });
            answerer.start();
            Run run = probe(TIMEOUT, "--port", Integer.toString(garbage.getLocalPort()));
            answerer.join();
            assertEquals("unhealthy: no agent answers on 127.0.0.1:" + garbage.getLocalPort()
                    + " (not an HTTP answer: \"SSH-2.0-OpenSSH_9.6\")", run.stdout().strip());
            assertEquals(1, run.exitCode());
        }
    }

    @Test
    void aConnectionClosedWithoutAnAnswerIsUnhealthy() throws Exception {
        try (ServerSocket closing = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread closer = new Thread(() -> {
                try (Socket client = closing.accept()) {
                    client.getInputStream().read();
                } catch (IOException e) {
                    // the probe's verdict below says what went wrong
                }
            });
            closer.start();
            Run run = probe(TIMEOUT, "--port", Integer.toString(closing.getLocalPort()));
            closer.join();
            assertEquals("unhealthy: no agent answers on 127.0.0.1:" + closing.getLocalPort()
                    + " (the connection closed without an answer)", run.stdout().strip());
        }
    }

    @Test
    void badOptionsAreUsageErrorsOnStandardError() {
        Run unknown = probe(TIMEOUT, "--prot", "5001");
        assertEquals(2, unknown.exitCode());
        assertEquals("", unknown.stdout());
        assertTrue(unknown.stderr().startsWith("Unknown option: '--prot'"), unknown.stderr());
        Run notANumber = probe(TIMEOUT, "--port", "http");
        assertEquals(2, notANumber.exitCode());
        assertTrue(notANumber.stderr().startsWith("Invalid value for option '--port': 'http' is not an int"),
                notANumber.stderr());
        Run missing = probe(TIMEOUT, "--port");
        assertEquals(2, missing.exitCode());
    }

    @Test
    void helpIsPrintedOnStandardOutput() {
        Run help = probe(TIMEOUT, "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().startsWith("Usage: pilotfish health [--port N]"), help.stdout());
    }
}
