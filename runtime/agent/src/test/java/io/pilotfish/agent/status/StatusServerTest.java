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
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StatusServerTest {

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client = HttpClient.newHttpClient();
    private final AtomicBoolean healthy = new AtomicBoolean(true);

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
        return new StatusServer(vertx, new AgentConfig.StatusOptions("127.0.0.1", port), () -> report, healthy::get);
    }

    private HttpResponse<String> send(int port, String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusIsJsonAndHealthFollowsTheAgent() throws Exception {
        int port = freePort();
        try (StatusServer server = server(port)) {
            assertEquals(port, server.start(Duration.ofSeconds(5)));
            HttpResponse<String> status = send(port, "GET", "/status");
            assertEquals(200, status.statusCode());
            assertEquals("test", new ObjectMapper().readTree(status.body()).path("version").asText());
            assertEquals(200, send(port, "GET", "/health").statusCode());
            healthy.set(false);
            assertEquals(503, send(port, "GET", "/health").statusCode(), "stopping");
            assertEquals(405, send(port, "POST", "/status").statusCode());
            assertEquals(404, send(port, "GET", "/metrics").statusCode());
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
