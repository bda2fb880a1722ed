package io.pilotfish.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.config.AgentConfig;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.signal.TagSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StatusServerTest {

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client = HttpClient.newHttpClient();
    private final AtomicReference<Health> health = new AtomicReference<>(new Health(Health.Status.OK, List.of()));
    private final TelemetryRegistry telemetry = new TelemetryRegistry();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private StatusServer server(int port) {
        return server("127.0.0.1", port, StatusServer.Limits.DEFAULT);
    }

    private StatusServer server(String host, int port, StatusServer.Limits limits) {
        ObjectNode report = new ObjectMapper().createObjectNode().put("version", "test").put("ok", true);
        return new StatusServer(vertx, new AgentConfig.StatusOptions(host, port), () -> report, health::get,
                () -> OpenMetrics.render(telemetry.readings()), telemetry.scoped(TagSet.EMPTY), limits);
    }

    /** A raw connection to the endpoint that sends nothing, as an idle or hostile client holds one. */
    private static Socket idle(int port) throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000);
        return socket;
    }

    /** Whether the server closed {@code socket}: a read ends (EOF or reset) instead of waiting for the timeout. */
    private static boolean closedByServer(Socket socket) throws Exception {
        try {
            return socket.getInputStream().read() == -1;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    /** Asks {@code /health} on a raw connection, kept open; the answer's status line. */
    private static String health(Socket socket) throws Exception {
        socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return new String(socket.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII);
    }

    private double reading(String name) {
        return telemetry.readings().stream().filter(r -> r.name().equals(name)).mapToDouble(r -> r.value()).sum();
    }

    private void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void idleConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        int port = freePort();
        try (StatusServer server = server("127.0.0.1", port, new StatusServer.Limits(Duration.ofMillis(300), 64))) {
            server.start(Duration.ofSeconds(5));
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    sockets.add(idle(port));
                }
                for (Socket socket : sockets) {
                    assertTrue(closedByServer(socket), "an idle connection was still open 20 s after a 300 ms idle "
                            + "timeout");
                }
                await("the open-connections gauge back at 0", () -> reading("status.connections.open") == 0);
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            assertEquals(200, send(port, "GET", "/health").statusCode(), "the endpoint still answers");
        }
    }

    @Test
    void connectionsBeyondTheCapAreRefusedAndCounted() throws Exception {
        int port = freePort();
        List<Socket> sockets = new ArrayList<>();
        try (StatusServer server = server("127.0.0.1", port, new StatusServer.Limits(Duration.ofMinutes(5), 4))) {
            server.start(Duration.ofSeconds(5));
            for (int i = 0; i < 4; i++) {
                Socket admitted = idle(port);
                sockets.add(admitted);
                assertEquals("HTTP/1.1 200", health(admitted), "connection " + (i + 1) + " is within the cap");
            }
            for (int i = 0; i < 6; i++) {
                try (Socket extra = idle(port)) {
                    assertTrue(closedByServer(extra), "connection " + (5 + i) + " was held beyond the cap of 4");
                }
            }
            await("6 refusals counted", () -> reading("status.connections.refused") == 6);
            String metrics = OpenMetrics.render(telemetry.readings());
            assertTrue(metrics.contains("pilotfish_status_connections_refused_total 6"), metrics);

            assertEquals(4, reading("status.connections.open"));

            // Closing one makes room for a new client.
            sockets.remove(0).close();
            await("a closed connection leaves the count", () -> reading("status.connections.open") == 3);
            assertEquals(200, send(port, "GET", "/health").statusCode());
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void aNonLoopbackBindIsWarnedAboutLoudly() throws Exception {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(StatusServer.class.getName());
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler recorder = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(recorder);
        try {
            try (StatusServer server = server("127.0.0.1", 0, StatusServer.Limits.DEFAULT)) {
                server.start(Duration.ofSeconds(5));
            }
            int loopbackPort = freePort();
            try (StatusServer server = server("127.0.0.1", loopbackPort, StatusServer.Limits.DEFAULT)) {
                server.start(Duration.ofSeconds(5));
            }
            assertTrue(records.stream().noneMatch(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING
                    .intValue()), "no warning for a loopback bind");
            int port = freePort();
            try (StatusServer server = server("0.0.0.0", port, StatusServer.Limits.DEFAULT)) {
                assertEquals(port, server.start(Duration.ofSeconds(5)));
            }
            java.util.logging.LogRecord warning = records.stream()
                    .filter(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
                    .findFirst().orElseThrow(() -> new AssertionError("no warning for a bind on 0.0.0.0"));
            String message = warning.getMessage();
            assertTrue(message.contains("0.0.0.0:" + port) && message.contains("without authentication")
                    && message.contains("PILOTFISH_STATUS_HOST"), message);
        } finally {
            logger.removeHandler(recorder);
        }
    }

    private HttpResponse<String> send(int port, String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusIsJsonAndHealthSaysWhatIsDead() throws Exception {
        int port = freePort();
        try (StatusServer server = server(port)) {
            assertEquals(port, server.start(Duration.ofSeconds(5)));
            HttpResponse<String> status = send(port, "GET", "/status");
            assertEquals(200, status.statusCode());
            assertEquals("test", new ObjectMapper().readTree(status.body()).path("version").asText());
            HttpResponse<String> ok = send(port, "GET", "/health");
            assertEquals(200, ok.statusCode());
            assertEquals("{\"status\":\"ok\"}", ok.body());

            String dead = "collector dogstatsd is not running: failed to start: udp 127.0.0.1:8125 already in use";
            health.set(Health.of(true, List.of(dead), false));
            HttpResponse<String> unhealthy = send(port, "GET", "/health");
            assertEquals(503, unhealthy.statusCode());
            JsonNode verdict = new ObjectMapper().readTree(unhealthy.body());
            assertEquals("unhealthy", verdict.path("status").asText());
            assertEquals(dead, verdict.path("problems").path(0).asText());

            health.set(Health.of(true, List.of(dead), true));
            HttpResponse<String> degraded = send(port, "GET", "/health");
            assertEquals(200, degraded.statusCode(), "the user chose to report degraded parts without failing");
            assertEquals("degraded", new ObjectMapper().readTree(degraded.body()).path("status").asText());

            health.set(Health.of(false, List.of(dead), false));
            HttpResponse<String> stopping = send(port, "GET", "/health");
            assertEquals(503, stopping.statusCode());
            assertEquals("{\"status\":\"stopping\"}", stopping.body());
            assertEquals(405, send(port, "POST", "/status").statusCode());
            assertEquals(404, send(port, "GET", "/nothing").statusCode());
        }
    }

    @Test
    void problemsWithQuotesAndLineBreaksStayValidJson() throws Exception {
        String odd = "sink out: HTTP 400 {\"errors\":[\"bad\\tpayload\"]}\nsecond line \u0001";
        JsonNode parsed = new ObjectMapper().readTree(Health.of(true, List.of(odd), false).json());
        assertEquals("unhealthy", parsed.path("status").asText());
        assertEquals(odd, parsed.path("problems").path(0).asText());
    }

    @Test
    void metricsAreOpenMetricsTextOfTheAgentsOwnFigures() throws Exception {
        telemetry.counter("sink.sent", TagSet.of("sink:datadog-metrics", "sink_type:datadog-metrics")).add(42);
        telemetry.counter("sink.dropped", TagSet.of("sink:datadog-metrics", "reason:queue_full")).add(3);
        telemetry.gauge("sink.queue.bytes", TagSet.of("sink:datadog-metrics"), () -> 1024);
        int port = freePort();
        try (StatusServer server = server(port)) {
            server.start(Duration.ofSeconds(5));
            HttpResponse<String> metrics = send(port, "GET", "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
            String body = metrics.body();
            assertTrue(body.contains("# TYPE pilotfish_sink_sent counter\n"
                    + "pilotfish_sink_sent_total{sink=\"datadog-metrics\",sink_type=\"datadog-metrics\"} 42\n"), body);
            assertTrue(body.contains("pilotfish_sink_dropped_total{reason=\"queue_full\",sink=\"datadog-metrics\"} 3"),
                    body);
            assertTrue(body.contains("# TYPE pilotfish_sink_queue_bytes gauge\n"
                    + "pilotfish_sink_queue_bytes{sink=\"datadog-metrics\"} 1024\n"), body);
            assertTrue(body.endsWith("# EOF\n"), body);
        }
    }

    @Test
    void aPortInUseLeavesTheAgentRunningWithoutTheEndpoint() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             StatusServer server = server(taken.getLocalPort())) {
            assertEquals(-1, server.start(Duration.ofSeconds(5)));
        }
    }

    @Test
    void portZeroTurnsItOff() {
        try (StatusServer server = server(0)) {
            assertEquals(-1, server.start(Duration.ofSeconds(5)));
        }
        assertTrue(true);
    }
}
