package io.pilotfish.sink.datadog.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * A loopback stand-in for a Datadog intake (JDK {@link HttpServer}): records each request (any path) and answers as
 * told, per request if need be. It can also hold requests to make timeouts and concurrency observable.
 */
public final class FakeIntake implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received; headers by lower-case name. */
    public record Request(String method, String path, Map<String, String> headers, byte[] body) {

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** The body decompressed according to its {@code Content-Encoding}. */
        public byte[] decodedBody() {
            String encoding = header("Content-Encoding");
            try (InputStream in = switch (encoding == null ? "" : encoding) {
                case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(body));
                case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(body));
                case "zstd" -> new io.airlift.compress.zstd.ZstdInputStream(new ByteArrayInputStream(body));
                default -> new ByteArrayInputStream(body);
            }) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("body does not decode as " + encoding, e);
            }
        }

        public JsonNode json() {
            try {
                return JSON.readTree(decodedBody());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public record Answer(int status, Map<String, String> headers, String body) {
        public static final Answer ACCEPTED = new Answer(202, Map.of(), "{\"errors\":[]}");

        public static Answer status(int status) {
            return new Answer(status, Map.of(), status / 100 == 2 ? "{\"errors\":[]}"
                    : "{\"errors\":[\"status " + status + "\"]}");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Object gate = new Object();
    private volatile Function<Request, Answer> responder = request -> Answer.ACCEPTED;
    private volatile boolean hang;
    // Guarded by gate.
    private int inFlight;
    private int maxInFlight;
    private int arrived;
    private int holdUntilInFlight;
    private int holdUntilArrived;
    private int releasePermits = -1;

    private FakeIntake() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static FakeIntake start() {
        try {
            return new FakeIntake();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Every request from now on gets this answer. */
    public void answer(int status, Map<String, String> headers, String body) {
        Answer fixed = new Answer(status, headers, body);
        responder = request -> fixed;
    }

    /** Each request is answered by {@code decide}, which may look at the request (path, body). */
    public void respond(Function<Request, Answer> decide) {
        responder = decide;
    }

    /** Accept requests but never answer, until closed. */
    public void hang() {
        hang = true;
    }

    /** Hold every request until {@link #release} lets it through (one permit per request). */
    public void hold() {
        synchronized (gate) {
            releasePermits = 0;
        }
    }

    /** Lets {@code count} held requests (present or future) be answered. */
    public void release(int count) {
        synchronized (gate) {
            releasePermits += count;
            gate.notifyAll();
        }
    }

    /**
     * Holds each request until {@code inFlight} requests are being handled at once, or {@code total} have arrived
     * (then nothing more is coming): a client that keeps up to {@code inFlight} requests open always progresses, and
     * {@link #maxInFlight()} shows how many it had open at most.
     */
    public void holdUntilConcurrent(int inFlight, int total) {
        synchronized (gate) {
            holdUntilInFlight = inFlight;
            holdUntilArrived = total;
        }
    }

    /** The most requests that were being handled at the same time. */
    public int maxInFlight() {
        synchronized (gate) {
            return maxInFlight;
        }
    }

    /** The next request received, waiting up to 10 s for it. */
    public Request take() throws InterruptedException {
        Request request = requests.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the intake received no request");
        }
        return request;
    }

    /** Requests received and not yet taken. */
    public int received() {
        return requests.size();
    }

    /** Takes every request received so far. */
    public List<Request> drain() {
        List<Request> all = new ArrayList<>();
        requests.drainTo(all);
        return all;
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) ->
                headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
        Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), headers,
                body);
        boolean counted = false;
        try {
            requests.add(request);
            counted = true;
            boolean passed = passGate();
            if (hang || !passed) {
                closed.await();
                exchange.close();
                return;
            }
            Answer current = responder.apply(request);
            // No longer in flight once the answer is on its way: the client may send its next request right after.
            answered();
            counted = false;
            current.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            byte[] out = current.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(current.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                exchange.getResponseBody().write(out);
            }
            exchange.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        } finally {
            if (counted) {
                answered();
            }
        }
    }

    private void answered() {
        synchronized (gate) {
            inFlight--;
            gate.notifyAll();
        }
    }

    /** Waits as {@link #hold} and {@link #holdUntilConcurrent} say; false when the intake closed meanwhile. */
    private boolean passGate() throws InterruptedException {
        synchronized (gate) {
            inFlight++;
            arrived++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            gate.notifyAll();
            while (closed.getCount() > 0) {
                boolean concurrencyMet = holdUntilInFlight == 0 || inFlight >= holdUntilInFlight
                        || arrived >= holdUntilArrived;
                if (concurrencyMet && releasePermits != 0) {
                    if (releasePermits > 0) {
                        releasePermits--;
                    }
                    return true;
                }
                gate.wait(1000); // woken by notifyAll; the timeout only guards against a missed wake-up
            }
            return false;
        }
    }

    @Override
    public void close() {
        closed.countDown();
        synchronized (gate) {
            gate.notifyAll();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
