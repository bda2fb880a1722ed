package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.signal.TagSet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A proxy that answers 407: the reason names the proxy, not the intake, and the data is kept for a retry. */
class ProxyRefusalTest {

    @Test
    void a407IsTheProxysRefusalNamingTheProxyAndCounted() throws Exception {
        HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Proxy-Authenticate", "Basic realm=\"corporate\"");
            exchange.sendResponseHeaders(407, -1);
            exchange.close();
        });
        proxy.start();
        String proxyAddress = "127.0.0.1:" + proxy.getAddress().getPort();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", proxy.getAddress().getPort()))).build();
        try {
            // Plain HTTP through the proxy: the proxy answers the request itself (an HTTPS one gets the same 407 on
            // its CONNECT, see ProxyAuthIT).
            URI intake = URI.create("http://intake.example.invalid:8080");
            TestContext context = new TestContext(http, Clock.systemUTC(), "datadoghq.com", Optional.of(intake),
                    TagSet.EMPTY);
            IntakeClient client = new IntakeClient(context, Optional.empty(), "/api/v2/series", IntakeRequest.JSON,
                    Compression.GZIP, Duration.ofSeconds(5));
            byte[] json = "{\"series\":[]}".getBytes(StandardCharsets.UTF_8);
            byte[] body = Compression.GZIP.compress(json, 0, json.length);
            IntakeClient.Answer answer = client.exchange(
                            assertInstanceOf(IntakeClient.Target.class, client.prepare()), body, body.length)
                    .toCompletableFuture().get(20, TimeUnit.SECONDS);

            assertEquals(407, answer.httpStatus());
            ExportResult.Retryable retry = assertInstanceOf(ExportResult.Retryable.class, answer.result(),
                    "the data is kept while the proxy's credentials are fixed");
            String reason = retry.reason();
            assertTrue(reason.contains("the proxy at " + proxyAddress) && reason.contains("HTTP 407")
                    && reason.contains("DD_PROXY_HTTPS"), reason);
            assertFalse(reason.contains("intake.example.invalid"), "the intake never answered: " + reason);
            assertEquals(1, context.counter("sink.requests.proxy_refused"));
            assertEquals(1, context.counter("sink.requests", "status_class:4xx"));
            assertTrue(context.log.lines.stream().anyMatch(line -> line.contains("proxy_auth_rejected")
                    && line.contains(proxyAddress)), context.log.lines.toString());
        } finally {
            http.shutdownNow();
            proxy.stop(0);
        }
    }

    @Test
    void refusedCredentialsAreToldApartFromMissingOnes() {
        ResponseClassifier classifier = new ResponseClassifier(Clock.systemUTC(), Duration.ofSeconds(5));
        String refused = classifier.proxyRefused(Optional.of("proxy.internal:3128"), true).reason();
        assertTrue(refused.startsWith("the proxy at proxy.internal:3128 refused the user and password"), refused);
        String missing = classifier.proxyRefused(Optional.of("proxy.internal:3128"), false).reason();
        assertTrue(missing.startsWith("the proxy at proxy.internal:3128 requires a user and password"), missing);
    }
}
