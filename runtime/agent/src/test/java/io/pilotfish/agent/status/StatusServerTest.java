package io.pilotfish.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.config.AgentConfig;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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
        ObjectNode report = new ObjectMapper().createObjectNode().put("version", "test").put("ok", true);
        return new StatusServer(vertx, new AgentConfig.StatusOptions("127.0.0.1", port), () -> report, health::get,
                () -> OpenMetrics.render(telemetry.readings()));
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
