package io.pilotfish.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands between the agent and moto, as a flaky network or a busy SSM would: passes requests through, answers
 * every one with SSM's {@code ThrottlingException}, or accepts and never answers (a timeout).
 */
final class SsmFaultProxy implements AutoCloseable {

    enum Mode { PASS, THROTTLE, STALL }

    private static final Set<String> FORWARDED = Set.of("content-type", "x-amz-target", "x-amz-date",
            "authorization", "x-amz-security-token", "amz-sdk-invocation-id", "amz-sdk-request", "user-agent");

    private final URI target;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ssm-fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newHttpClient();
    private volatile Mode mode = Mode.PASS;
    final AtomicInteger throttled = new AtomicInteger();
    final AtomicInteger stalled = new AtomicInteger();
    final AtomicInteger passed = new AtomicInteger();

    SsmFaultProxy(URI target) throws IOException {
        this.target = target;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void mode(Mode next) {
        this.mode = next;
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        switch (mode) {
            case THROTTLE -> {
                throttled.incrementAndGet();
                byte[] answer = "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
                exchange.getResponseHeaders().add("x-amzn-ErrorType", "ThrottlingException");
                exchange.sendResponseHeaders(400, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
            case STALL -> {
                stalled.incrementAndGet();
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (mode == Mode.STALL && System.nanoTime() < until) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
                exchange.close(); // the client gave up long ago
            }
            case PASS -> {
                passed.incrementAndGet();
                HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI()))
                        .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                exchange.getRequestHeaders().forEach((name, values) -> {
                    if (FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        values.forEach(v -> request.header(name, v));
                    }
                });
                try {
                    HttpResponse<byte[]> answer = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                    answer.headers().firstValue("content-type")
                            .ifPresent(v -> exchange.getResponseHeaders().add("Content-Type", v));
                    exchange.sendResponseHeaders(answer.statusCode(), answer.body().length == 0 ? -1
                            : answer.body().length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(answer.body());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    exchange.close();
                }
            }
        }
    }

    @Override
    public void close() {
        mode = Mode.PASS;
        server.stop(0);
        threads.shutdownNow();
    }
}
