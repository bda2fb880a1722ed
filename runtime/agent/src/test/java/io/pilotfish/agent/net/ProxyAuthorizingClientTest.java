package io.pilotfish.agent.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Credentials of {@code DD_PROXY_HTTPS} go to the proxy with every request routed through it, and nowhere else. (The
 * CONNECT of an HTTPS request is covered against a real proxy by ProxyAuthIT.)
 */
class ProxyAuthorizingClientTest {

    /** A server that records the {@code Proxy-Authorization} of each request (or "none") and answers 200. */
    private static HttpServer recorder(List<String> seen) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            seen.add(exchange.getRequestURI() + " " + Optional.ofNullable(
                    exchange.getRequestHeaders().getFirst("Proxy-Authorization")).orElse("none"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    @Test
    void requestsThroughTheProxyCarryItsCredentialsAndDirectOnesDoNot() throws Exception {
        List<String> atProxy = new CopyOnWriteArrayList<>();
        List<String> atLoopback = new CopyOnWriteArrayList<>();
        HttpServer proxy = recorder(atProxy);
        HttpServer local = recorder(atLoopback);
        // User info is percent-encoded in the URL; the header carries it decoded.
        URI proxyUri = URI.create("http://ops%40corp:p%3Ass%20w@127.0.0.1:" + proxy.getAddress().getPort());
        HttpClient client = ProxyAuthorizingClient.build(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)), proxyUri);
        try {
            String expected = "Basic " + Base64.getEncoder().encodeToString("ops@corp:p:ss w"
                    .getBytes(StandardCharsets.UTF_8));
            HttpResponse<Void> viaProxy = client.send(HttpRequest.newBuilder(
                    URI.create("http://intake.example.invalid/api/v2/series")).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(200, viaProxy.statusCode());
            assertEquals(List.of("http://intake.example.invalid/api/v2/series " + expected), atProxy);

            // The task's own endpoints (loopback, link-local) are never proxied, and get no proxy credentials.
            client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + local.getAddress().getPort()
                    + "/task")).build(), HttpResponse.BodyHandlers.discarding()).get();
            assertEquals(List.of("/task none"), atLoopback);
            assertFalse(client.toString().contains("p:ss") || client.toString().contains("p%3Ass"),
                    client.toString());
        } finally {
            client.shutdownNow();
            proxy.stop(0);
            local.stop(0);
        }
    }

    @Test
    void aProxyWithoutUserInfoGetsThePlainClient() {
        HttpClient.Builder builder = HttpClient.newBuilder();
        HttpClient client = ProxyAuthorizingClient.build(builder, URI.create("http://proxy.internal:3128"));
        try {
            assertFalse(client instanceof ProxyAuthorizingClient);
            assertTrue(client.proxy().isPresent());
        } finally {
            client.shutdownNow();
        }
    }

    @Test
    void theProxyIsDescribedWithoutItsCredentials() {
        URI uri = URI.create("http://user:secret-pass@proxy.internal:3128");
        assertEquals("proxy.internal:3128", IntakeProxy.of(uri).describe());
        assertEquals(Optional.of("secret-pass"), IntakeProxy.password(uri));
        assertEquals(Optional.empty(), IntakeProxy.password(URI.create("http://user@proxy.internal:3128")));
        assertEquals(Optional.empty(), IntakeProxy.basicCredentials(URI.create("http://proxy.internal")));
    }
}
