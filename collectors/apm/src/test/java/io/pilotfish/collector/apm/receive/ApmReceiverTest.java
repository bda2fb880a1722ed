package io.pilotfish.collector.apm.receive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.ApmConfig;
import io.pilotfish.collector.apm.ApmFactory;
import io.pilotfish.collector.apm.decode.MsgpackWriter;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.TestPluginContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver over real HTTP, as tracers reach it: every answer's status, headers and body, what reaches the
 * pipeline, and what each kind of bad request costs (its status, its count, nothing for the others).
 */
class ApmReceiverTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private TestPluginContext context;
    private ApmReceiver receiver;
    private final CollectingEmitter emitter = new CollectingEmitter();
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (receiver != null) {
            receiver.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        if (context != null) {
            context.close();
        }
    }

    private void start(Map<String, String> keys) throws Exception {
        start(keys, Map.of());
    }

    private void start(Map<String, String> keys, Map<String, String> environment) throws Exception {
        port = freePort();
        Map<String, String> all = new HashMap<>(keys);
        all.putIfAbsent("port", Integer.toString(port));
        all.putIfAbsent("socket", "");
        MapPluginConfig pluginConfig = MapPluginConfig.of("apm", all);
        ApmConfig config = new ApmFactory(environment).configure(pluginConfig);
        assertEquals(List.of(), pluginConfig.problems(), "the test's settings are valid");
        context = TestPluginContext.builder().version("9.9.9").globalTags("env:prod").build();
        context.setApiKey("abcdef0123456789abcdef0123456789");
        receiver = new ApmReceiver(config, context);
        receiver.start(emitter).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private HttpResponse<String> post(String path, String contentType, byte[] body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One web trace: a root and a SQL child whose statement has literals to obfuscate. */
    static byte[] webTraceWithSql(long traceId, int error) {
        Map<String, Object> root = new java.util.LinkedHashMap<>(Map.of("service", "shop", "name", "servlet.request",
                "resource", "GET /users/{id}", "trace_id", traceId, "span_id", 1L, "parent_id", 0L,
                "start", System.currentTimeMillis() * 1_000_000L, "duration", 5_000_000L, "error", error,
                "type", "web"));
        root.put("meta", Map.of("http.status_code", error == 1 ? "500" : "200", "env", "prod"));
        root.put("metrics", Map.of("_sampling_priority_v1", 1.0));
        Map<String, Object> child = new java.util.LinkedHashMap<>(Map.of("service", "shop-postgres",
                "name", "postgres.query", "resource", "SELECT * FROM users WHERE id = 42 AND name = 'alice'",
                "trace_id", traceId, "span_id", 2L, "parent_id", 1L,
                "start", System.currentTimeMillis() * 1_000_000L, "duration", 2_000_000L, "error", 0,
                "type", "sql"));
        child.put("meta", Map.of("db.system", "postgresql"));
        return new MsgpackWriter().value(List.of(List.of(root, child))).bytes();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aV04PayloadReachesThePipelineNormalisedObfuscatedAndSampled() throws Exception {
        start(Map.of());
        HttpResponse<String> response = post("/v0.4/traces", "application/msgpack", webTraceWithSql(77, 0),
                "Datadog-Meta-Lang", "java", "Datadog-Meta-Tracer-Version", "1.40.0", "X-Datadog-Trace-Count", "1",
                "Datadog-Rates-Payload-Version", "0");
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(response.body().startsWith("{\"rate_by_service\":{"), response.body());
        assertEquals("9.9.9", response.headers().firstValue("Datadog-Agent-Version").orElseThrow());
        assertTrue(response.headers().firstValue("Datadog-Rates-Payload-Version").isPresent(),
                "the rates version comes back when the tracer sent the header");

        List<TraceChunk> chunks = emitter.ofType(TraceChunk.class);
        assertEquals(1, chunks.size());
        TraceChunk chunk = chunks.get(0);
        assertEquals("java", chunk.tracer().languageName());
        assertEquals("1.40.0", chunk.tracer().tracerVersion());
        assertEquals("prod", chunk.tracer().env(), "the payload's env comes from its root");
        assertEquals(1, chunk.priority());
        Span sql = chunk.spans().stream().filter(s -> s.type().equals("sql")).findFirst().orElseThrow();
        assertEquals("SELECT * FROM users WHERE id = ? AND name = ?", sql.resource());
        Span root = chunk.spans().stream().filter(s -> s.parentId() == 0).findFirst().orElseThrow();
        assertEquals(1.0, root.metrics().get("_top_level"), "top-level computed by the agent");
        assertEquals(1.0, root.metrics().get("_sampling_priority_v1"), "the tracer's priority is kept");
        assertEquals(1, context.counter("apm.payloads", "endpoint:v0.4", "lang:java"));
        assertEquals(2, context.counter("apm.spans_received", "endpoint:v0.4", "lang:java"));

        receiver.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
        List<ApmStats> stats = emitter.ofType(ApmStats.class);
        assertFalse(stats.isEmpty(), "stats for the spans are flushed at stop");
        long hits = stats.stream().flatMap(s -> s.buckets().stream()).flatMap(b -> b.groups().stream())
                .mapToLong(ApmStats.Group::hits).sum();
        assertEquals(2, hits, "both spans counted: the root is top-level, the SQL span is a client span of "
                + "another service");
        receiver = null;
    }

    @Test
    void infoTellsTracersWhatTheyNeedAndItsHashIsTheStateHeader() throws Exception {
        start(Map.of());
        HttpResponse<String> info = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/info")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, info.statusCode());
        String body = info.body();
        for (String endpoint : List.of("/v0.4/traces", "/v0.5/traces", "/v0.7/traces", "/v0.6/stats",
                "/evp_proxy/v4/", "/telemetry/proxy/", "/profiling/v1/input", "/debugger/v1/input")) {
            assertTrue(body.contains("\"" + endpoint + "\""), endpoint + " listed: " + body);
        }
        assertTrue(body.contains("\"client_drop_p0s\": true"), body);
        assertTrue(body.contains("\"max_request_bytes\": 26214400"), body);
        assertTrue(body.contains("\n\t\"version\": \"9.9.9\""), "tab-indented as the Agent's: " + body);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(sha, info.headers().firstValue("Datadog-Agent-State").orElseThrow());
    }

    @Test
    void theOtherTraceVersionsAndServicesAnswerAsTheAgent() throws Exception {
        start(Map.of());
        HttpResponse<String> v03 = post("/v0.3/traces", "application/json",
                ("[[{\"service\":\"a\",\"name\":\"n\",\"resource\":\"r\",\"trace_id\":5,\"span_id\":1,"
                        + "\"start\":1,\"duration\":1}]]").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, v03.statusCode());
        assertEquals("OK\n", v03.body());
        assertEquals(200, post("/v0.4/services", "application/json", "{}".getBytes()).statusCode());
        assertEquals(404, post("/v9/traces", null, new byte[0]).statusCode());
        await("the v0.3 trace", () -> emitter.ofType(TraceChunk.class).size() == 1);
    }

    @Test
    void brokenPayloadsGetTheAgentsStatusAndAreCountedByReason() throws Exception {
        start(Map.of());
        byte[] good = webTraceWithSql(9, 0);
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 10);
        HttpResponse<String> cut = post("/v0.4/traces", "application/msgpack", truncated);
        assertEquals(400, cut.statusCode());
        assertTrue(cut.body().contains("unexpected"), cut.body());
        // An array that claims four billion traces in a 5-byte body.
        HttpResponse<String> lying = post("/v0.4/traces", "application/msgpack",
                new byte[] {(byte) 0xdd, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertEquals(400, lying.statusCode(), lying.body());
        HttpResponse<String> stats = post("/v0.6/stats", "application/msgpack", new byte[] {(byte) 0xc1});
        assertEquals(400, stats.statusCode());
        assertTrue(context.telemetrySnapshot().keySet().stream().anyMatch(k -> k.contains("apm.payload_errors")),
                "decode errors are counted: " + context.telemetrySnapshot().keySet());
        // The receiver still serves the next client.
        assertEquals(200, post("/v0.4/traces", "application/msgpack", good).statusCode());
    }

    @Test
    void aBodyOverTheLimitGets413FromItsLengthBeforeItIsSent() throws Exception {
        start(Map.of("max-payload-bytes", "65536"));
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/msgpack\r\n"
                    + "Content-Length: 26214401\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = readStatusLine(socket.getInputStream());
            assertTrue(status.startsWith("HTTP/1.1 413"), status);
        }
        assertEquals(1, context.counter("apm.payload_errors", "endpoint:v0.4", "reason:payload_too_large"));
    }

    @Test
    void aChunkedBodyThatGrowsOverTheLimitIsCutWith413() throws Exception {
        start(Map.of("max-payload-bytes", "65536"));
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/msgpack\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[16 * 1024];
            String status = null;
            try {
                for (int i = 0; i < 64; i++) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            } catch (IOException closedOnUs) {
                // the agent closed the connection after its answer: expected
            }
            status = readStatusLine(socket.getInputStream());
            assertTrue(status.startsWith("HTTP/1.1 413"), status);
        }
    }

    @Test
    void aTricklingClientGets408AndFreesItsDecoder() throws Exception {
        start(Map.of("receiver-timeout", "300ms", "decoders", "1"));
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/msgpack\r\n"
                    + "Content-Length: 1000\r\n\r\n\u0091").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = readStatusLine(socket.getInputStream());
            assertTrue(status.startsWith("HTTP/1.1 408"), status);
        }
        assertEquals(1, context.counter("apm.payload_errors", "endpoint:v0.4", "reason:timeout"));
        assertEquals(200, post("/v0.4/traces", "application/msgpack", webTraceWithSql(3, 0)).statusCode(),
                "the decoder it held is free again");
    }

    @Test
    void aTricklingClientHoldsItsBytesNotTheDecoder() throws Exception {
        start(Map.of("receiver-timeout", "10s", "decoders", "1", "decoder-timeout", "200ms"));
        try (Socket trickler = connect()) {
            trickler.getOutputStream().write(("PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/msgpack\r\nContent-Length: 1000\r\n\r\n\u0091")
                    .getBytes(StandardCharsets.ISO_8859_1));
            await("the trickler's body reserved", () -> gauge("apm.body_bytes") >= 1000);
            assertEquals(200, post("/v0.4/traces", "application/msgpack", webTraceWithSql(4, 0)).statusCode(),
                    "the only decoder is free for others while a client trickles");
        }
    }

    @Test
    void whenTheBodyBudgetIsTakenPayloadsGet429WithTheRates() throws Exception {
        start(Map.of("receiver-timeout", "10s", "decoders", "1", "decoder-timeout", "200ms",
                "max-payload-bytes", "65536"));
        try (Socket holder = connect()) {
            holder.getOutputStream().write(("PUT /v0.4/traces HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/msgpack\r\nContent-Length: 65536\r\n\r\n\u0091")
                    .getBytes(StandardCharsets.ISO_8859_1));
            await("the whole body budget reserved", () -> gauge("apm.body_bytes") >= 65536);
            HttpResponse<String> refused = post("/v0.4/traces", "application/msgpack", webTraceWithSql(4, 0));
            assertEquals(429, refused.statusCode());
            assertTrue(refused.body().startsWith("{\"rate_by_service\""), refused.body());
        }
        assertEquals(1, context.counter("apm.payload_errors", "endpoint:v0.4", "reason:overloaded"));
    }

    private double gauge(String name) {
        return context.telemetrySnapshot().entrySet().stream().filter(e -> e.getKey().startsWith(name + "{"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    @Test
    void tracesArriveOverTheUnixSocket() throws Exception {
        Path socket = dir.resolve("apm.socket");
        start(Map.of("socket", socket.toString()));
        assertTrue(Files.exists(socket));
        byte[] body = webTraceWithSql(11, 1);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.write(("PUT /v0.4/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/msgpack\r\n"
                    + "Datadog-Meta-Lang: python\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            request.write(body);
            channel.write(ByteBuffer.wrap(request.toByteArray()));
            String status = readStatusLine(Channels.newInputStream(channel));
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
        }
        TraceChunk chunk = emitter.ofType(TraceChunk.class).get(0);
        assertEquals("python", chunk.tracer().languageName());
        assertEquals(1, chunk.spans().stream().filter(s -> s.error() == 1).count());
    }

    @Test
    void theEvpProxyForwardsOnlyToTheSiteWithTheKeyAndRefusesAnythingElse() throws Exception {
        try (IntakeRecorder intake = IntakeRecorder.startDefault()) {
            start(Map.of("evp-url", intake.uri().toString()));
            HttpResponse<String> bad = post("/evp_proxy/v2/api/v2/citestcycle", "application/json", "{}".getBytes(),
                    "X-Datadog-EVP-Subdomain", "evil.example.com/x?");
            assertEquals(400, bad.statusCode(), bad.body());
            HttpResponse<String> none = post("/evp_proxy/v2/api/v2/citestcycle", "application/json",
                    "{}".getBytes());
            assertEquals(400, none.statusCode());
            HttpResponse<String> traversal = post("/evp_proxy/v2/../../x", "application/json", "{}".getBytes(),
                    "X-Datadog-EVP-Subdomain", "citestcycle-intake");
            assertTrue(traversal.statusCode() == 400 || traversal.statusCode() == 404, traversal.body());
            assertEquals(0, intake.requests().size(), "nothing refused was forwarded");

            HttpResponse<String> good = post("/evp_proxy/v2/api/v2/citestcycle", "application/json",
                    "{\"x\":1}".getBytes(), "X-Datadog-EVP-Subdomain", "citestcycle-intake",
                    "X-Not-Allowed", "dropped");
            assertEquals(202, good.statusCode(), "the intake's answer is relayed: " + good.body());
            await("the forwarded request", () -> intake.requests().size() == 1);
            var forwarded = intake.requests().get(0);
            assertEquals("/api/v2/citestcycle", forwarded.path());
            assertTrue(forwarded.apiKeyMatches("abcdef0123456789abcdef0123456789"), "the API key is added");
            assertTrue(forwarded.header("X-Not-Allowed").isEmpty(), "only the Agent's allowed headers go along");
            assertTrue(forwarded.header("Via").isPresent());
        }
    }

    /** A plain TCP connection to the receiver, to send what no HTTP client would. */
    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static String readStatusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString().trim();
    }
}
