package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IntakeRecorderTest {

    private static final String KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run
    private static final String SERIES = """
            {"series":[{"metric":"ecs.fargate.cpu.percent","type":3,"interval":0,
              "points":[{"timestamp":1700000000,"value":12.5},{"timestamp":1700000010,"value":13.0}],
              "resources":[{"type":"host","name":"h1"}],"tags":["ecs_container_name:app","env:prod"],
              "unit":"percent"},
             {"metric":"ecs.fargate.io.ops.write","type":1,"interval":10,
              "points":[{"timestamp":1700000000,"value":4}],"tags":["ecs_container_name:worker"]}]}
            """;

    private final HttpClient client = Http.client();
    private IntakeRecorder intake;

    @BeforeEach
    void start() {
        intake = IntakeRecorder.builder().start();
    }

    @AfterEach
    void stop() {
        intake.close();
    }

    private HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(intake.uri() + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postSeries(byte[] body, String encoding) throws Exception {
        return post(IntakeRecorder.SERIES_PATH, body, "Content-Type", "application/json", "Content-Encoding",
                encoding, "DD-API-KEY", KEY);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] zstd(byte[] data) {
        io.airlift.compress.zstd.ZstdCompressor compressor = new io.airlift.compress.zstd.ZstdCompressor();
        byte[] out = new byte[compressor.maxCompressedLength(data.length)];
        return java.util.Arrays.copyOf(out, compressor.compress(data, 0, data.length, out, 0, out.length));
    }

    private static byte[] zlib(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflate = new DeflaterOutputStream(out)) {
            deflate.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void decodesAGzipSeriesBody() throws Exception {
        HttpResponse<String> response = postSeries(gzip(utf8(SERIES)), "gzip");
        assertEquals(202, response.statusCode());
        assertEquals("{\"errors\":[]}", response.body());
        List<RecordedSeries> cpu = intake.series("ecs.fargate.cpu.percent");
        assertEquals(1, cpu.size());
        RecordedSeries series = cpu.get(0);
        assertEquals(RecordedSeries.GAUGE, series.type());
        assertEquals(0, series.interval());
        assertEquals(List.of(new RecordedSeries.Point(1700000000, 12.5), new RecordedSeries.Point(1700000010, 13.0)),
                series.points());
        assertEquals(List.of("ecs_container_name:app", "env:prod"), series.tags());
        assertEquals("h1", series.host().orElseThrow());
        assertEquals("app", series.tag("ecs_container_name").orElseThrow());
        assertEquals("percent", series.unit());
        assertEquals(13.0, series.lastValue());
        RecordedSeries count = intake.series("ecs.fargate.io.ops.write").get(0);
        assertEquals(RecordedSeries.COUNT, count.type());
        assertEquals(10, count.interval());
        assertEquals("", count.unit());
        assertTrue(count.resources().isEmpty());

        RecordedRequest request = intake.requests(IntakeRecorder.SERIES_PATH).get(0);
        assertEquals("gzip", request.contentEncoding());
        assertTrue(request.accepted());
        assertEquals(SERIES, request.bodyText());
        assertEquals("application/json", request.header("Content-Type").orElseThrow());
    }

    @Test
    void decodesDeflateZstdAndIdentityBodies() throws Exception {
        assertEquals(202, postSeries(zlib(utf8(SERIES)), "deflate").statusCode());
        assertEquals(202, postSeries(zstd(utf8(SERIES)), "zstd").statusCode());
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());
        assertEquals(202, post(IntakeRecorder.SERIES_PATH, utf8(SERIES), "DD-API-KEY", KEY).statusCode());
        assertEquals(4, intake.series("ecs.fargate.cpu.percent").size());
        assertEquals(java.util.Set.of("ecs.fargate.cpu.percent", "ecs.fargate.io.ops.write"), intake.seriesNames());
        assertEquals(List.of(new RecordedSeries.Point(1700000000, 4), new RecordedSeries.Point(1700000000, 4),
                new RecordedSeries.Point(1700000000, 4), new RecordedSeries.Point(1700000000, 4)),
                intake.points("ecs.fargate.io.ops.write",
                "ecs_container_name:worker"));
        assertTrue(intake.points("ecs.fargate.io.ops.write", "ecs_container_name:app").isEmpty());
    }

    @Test
    void unknownEncodingIs415AndNotCounted() throws Exception {
        HttpResponse<String> response = postSeries(utf8(SERIES), "br");
        assertEquals(415, response.statusCode());
        RecordedRequest request = intake.requests().get(0);
        assertFalse(request.accepted());
        assertEquals("unsupported Content-Encoding: br", request.rejection().orElseThrow());
        assertTrue(intake.series().isEmpty());
        assertEquals(415, postSeries(utf8(SERIES), "lz4").statusCode());
    }

    @Test
    void corruptCompressedDataIs400() throws Exception {
        HttpResponse<String> response = postSeries(utf8("this is not gzip"), "gzip");
        assertEquals(400, response.statusCode());
        assertTrue(intake.requests().get(0).rejection().orElseThrow().contains("not valid gzip"));
        assertEquals(400, postSeries(utf8("nor zlib"), "deflate").statusCode());
        assertEquals(400, postSeries(utf8("nor a zstd frame"), "zstd").statusCode());
        byte[] cut = zstd(utf8(SERIES));
        assertEquals(400, postSeries(java.util.Arrays.copyOf(cut, cut.length / 2), "zstd").statusCode());
    }

    @Test
    void invalidSeriesPayloadsAre400AndNameThePlace() throws Exception {
        HttpResponse<String> notJson = postSeries(utf8("{\"series\":[{"), "identity");
        assertEquals(400, notJson.statusCode());
        assertTrue(notJson.body().contains("not valid JSON"), notJson.body());
        HttpResponse<String> badValue = postSeries(utf8(
                "{\"series\":[{\"metric\":\"m\",\"points\":[{\"timestamp\":1,\"value\":\"x\"}]}]}"), "identity");
        assertEquals(400, badValue.statusCode());
        assertTrue(badValue.body().contains("series[0].points[0].value: expected a number"), badValue.body());
        HttpResponse<String> noMetric = postSeries(utf8("{\"series\":[{\"points\":[]}]}"), "identity");
        assertTrue(noMetric.body().contains("series[0].metric"), noMetric.body());
        HttpResponse<String> badTag = postSeries(utf8(
                "{\"series\":[{\"metric\":\"m\",\"points\":[],\"tags\":[1]}]}"), "identity");
        assertTrue(badTag.body().contains("series[0].tags[0]"), badTag.body());
        assertEquals(400, postSeries(utf8("{\"metrics\":[]}"), "identity").statusCode());
        assertTrue(intake.series().isEmpty());
        assertEquals(5, intake.requests().stream().filter(r -> !r.accepted()).count());
    }

    @Test
    void scriptedResponsesAnswerTheNextRequestsInOrder() throws Exception {
        intake.respondNext(ScriptedResponse.status(503).withRetryAfter("7"));
        intake.respondNext(429);
        HttpResponse<String> first = postSeries(utf8(SERIES), "identity");
        assertEquals(503, first.statusCode());
        assertEquals("7", first.headers().firstValue("Retry-After").orElseThrow());
        HttpResponse<String> second = postSeries(utf8(SERIES), "identity");
        assertEquals(429, second.statusCode());
        assertFalse(second.headers().firstValue("Retry-After").isPresent());
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());

        assertEquals(1, intake.series("ecs.fargate.cpu.percent").size(), "answered non-2xx: not counted");
        RecordedRequest rejected = intake.requests().get(0);
        assertFalse(rejected.accepted());
        assertEquals(503, rejected.status());
        assertEquals("scripted 503", rejected.rejection().orElseThrow());
        assertEquals(2, rejected.series().size(), "still decoded for inspection");
    }

    @Test
    void aHeldAnswerComesAfterItsDelayAndAClientThatGivesUpIsRecordedAsClosed() throws Exception {
        intake.respondNext(ScriptedResponse.status(202).after(Duration.ofMillis(700)),
                ScriptedResponse.status(202).after(Duration.ofSeconds(3)));
        long start = System.nanoTime();
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());
        assertTrue(System.nanoTime() - start >= 700_000_000L, "answered after the delay");
        assertTrue(intake.requests().get(0).accepted());

        // The client gives up after 300 ms: the connection closes while the answer is held.
        HttpRequest gaveUp = HttpRequest.newBuilder(URI.create(intake.uri() + "/api/v2/logs"))
                .timeout(Duration.ofMillis(300)).POST(HttpRequest.BodyPublishers.ofByteArray(utf8("[]"))).build();
        assertThrows(java.net.http.HttpTimeoutException.class,
                () -> client.send(gaveUp, HttpResponse.BodyHandlers.ofString()));
        RecordedRequest closed = intake.awaitRequest(r -> r.path().equals("/api/v2/logs"), Duration.ofSeconds(20));
        assertEquals(ScriptedResponse.CLIENT_CLOSED, closed.status());
        assertFalse(closed.accepted());
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode(), "the next request is answered at once");
    }

    @Test
    void alwaysRespondHoldsUntilReset() throws Exception {
        intake.alwaysRespond(500);
        assertEquals(500, postSeries(utf8(SERIES), "identity").statusCode());
        assertEquals(500, post("/api/v2/logs", utf8("[]")).statusCode());
        intake.reset();
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());
    }

    @Test
    void bodiesOverTheLimitAre413() throws Exception {
        intake.rejectBodiesOver(100);
        HttpResponse<String> tooLarge = postSeries(utf8(SERIES), "identity");
        assertEquals(413, tooLarge.statusCode());
        assertTrue(intake.series().isEmpty());
        assertTrue(intake.requests().get(0).rejection().orElseThrow().contains("over the limit"));
        assertEquals(202, post("/small", utf8("{}")).statusCode());
        intake.reset();
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());
    }

    @Test
    void seriesOverDatadogsLimitsAre413() throws Exception {
        // Compresses far below 512 kB but expands beyond 5 MB.
        String padding = " ".repeat(6 * 1024 * 1024);
        byte[] huge = gzip(utf8("{\"series\":[]" + padding + "}"));
        assertTrue(huge.length < IntakeRecorder.SERIES_MAX_WIRE_BYTES);
        assertEquals(413, postSeries(huge, "gzip").statusCode());
        byte[] wide = utf8("{\"series\":[]" + " ".repeat(600_000) + "}");
        assertEquals(413, postSeries(wide, "identity").statusCode());
        assertEquals(202, post("/api/v2/logs", wide).statusCode(), "Datadog's series limits apply to series only");
    }

    @Test
    void outageAnswers503UntilRecover() throws Exception {
        intake.outage();
        assertEquals(503, postSeries(utf8(SERIES), "identity").statusCode());
        intake.recover();
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());
    }

    @Test
    void apiKeysAreCheckedAndNeverShown() throws Exception {
        intake.acceptKeys(KEY);
        assertEquals(403, post(IntakeRecorder.SERIES_PATH, utf8(SERIES), "DD-API-KEY", "wrong").statusCode());
        assertEquals(403, post(IntakeRecorder.SERIES_PATH, utf8(SERIES)).statusCode());
        assertEquals(202, postSeries(utf8(SERIES), "identity").statusCode());

        RecordedRequest wrong = intake.requests().get(0);
        assertFalse(wrong.accepted());
        assertTrue(wrong.apiKeyMatches("wrong"));
        assertFalse(wrong.apiKeyMatches(KEY));
        assertFalse(intake.requests().get(1).hasApiKey());
        RecordedRequest good = intake.requests().get(2);
        assertTrue(good.apiKeyMatches(KEY));
        assertFalse(good.toString().contains(KEY), good.toString());
        assertFalse(good.headers().containsKey("dd-api-key"));
        assertTrue(good.header("DD-API-KEY").isEmpty());
        assertEquals(1, intake.series("ecs.fargate.cpu.percent").size());
    }

    @Test
    void validateAnswersForAcceptedKeysOnly() throws Exception {
        intake.acceptKeys(KEY);
        URI validate = URI.create(intake.uri() + IntakeRecorder.VALIDATE_PATH);
        HttpResponse<String> ok = client.send(HttpRequest.newBuilder(validate).header("DD-API-KEY", KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode());
        assertEquals("{\"valid\":true}", ok.body());
        HttpResponse<String> bad = client.send(HttpRequest.newBuilder(validate).header("DD-API-KEY", "nope").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, bad.statusCode());
        assertTrue(bad.body().contains("errors"), bad.body());
        intake.acceptKeys();
        HttpResponse<String> noKey = client.send(HttpRequest.newBuilder(validate).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, noKey.statusCode(), "validating needs a key even when any key is accepted");
        HttpResponse<String> anyKey = client.send(HttpRequest.newBuilder(validate).header("DD-API-KEY", "x").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, anyKey.statusCode());
    }

    @Test
    void storedRequestsAreBoundedAndOverflowIsCounted() throws Exception {
        try (IntakeRecorder small = IntakeRecorder.builder().maxRequests(3).start()) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(small.uri() + "/p/" + i))
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(202, response.statusCode());
            }
            assertEquals(3, small.requests().size());
            assertEquals(2, small.droppedRequests());
            assertEquals(5, small.requestCount());
            assertEquals("/p/2", small.requests().get(0).path(), "the oldest are dropped");
            assertEquals(3, small.requests().get(0).sequence());
            small.clear();
            assertEquals(0, small.requestCount());
        }
        assertThrows(IllegalArgumentException.class, () -> IntakeRecorder.builder().maxRequests(0).build());
    }

    @Test
    void awaitSeriesWaitsForAMatchingSeries() throws Exception {
        CompletableFuture<HttpResponse<String>> later = CompletableFuture.supplyAsync(() -> null,
                CompletableFuture.delayedExecutor(100, java.util.concurrent.TimeUnit.MILLISECONDS))
                .thenCompose(ignored -> client.sendAsync(HttpRequest.newBuilder(
                                URI.create(intake.uri() + IntakeRecorder.SERIES_PATH))
                        .POST(HttpRequest.BodyPublishers.ofString(SERIES)).build(),
                        HttpResponse.BodyHandlers.ofString()));
        RecordedSeries found = intake.awaitSeries("ecs.fargate.cpu.percent",
                s -> s.hasTags("ecs_container_name:app"), Duration.ofSeconds(20));
        assertEquals(12.5, found.points().get(0).value());
        assertEquals(202, later.get().statusCode());

        AssertionError missing = assertThrows(AssertionError.class,
                () -> intake.awaitSeries("no.such.metric", Duration.ofMillis(50)));
        assertTrue(missing.getMessage().contains("ecs.fargate.cpu.percent"), missing.getMessage());
        RecordedRequest request = intake.awaitRequest(r -> r.path().equals(IntakeRecorder.SERIES_PATH),
                Duration.ofSeconds(1));
        assertEquals("POST", request.method());
    }

    @Test
    void protobufSeriesAreRecordedButNotDecoded() throws Exception {
        HttpResponse<String> response = post(IntakeRecorder.SERIES_PATH, new byte[] {0x0a, 0x02, 0x08, 0x01},
                "Content-Type", "application/x-protobuf");
        assertEquals(202, response.statusCode());
        assertEquals(4, intake.requests().get(0).body().length);
        assertTrue(intake.series().isEmpty());
    }

    @Test
    void otherMethodsAre405AndListenersHearEveryRequest() throws Exception {
        List<RecordedRequest> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        intake.onRequest(heard::add);
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create(intake.uri() + "/api/v2/series"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
        assertEquals(1, heard.size());
        assertEquals("GET", heard.get(0).method());
    }

    @Test
    void serversShareAGivenVertxAndLeaveItOpen() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            try (IntakeRecorder recorder = IntakeRecorder.builder().vertx(vertx).start();
                 EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).vertx(vertx)
                         .start()) {
                assertEquals(202, client.send(HttpRequest.newBuilder(URI.create(recorder.uri() + "/x"))
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode());
                assertEquals(200, Http.get(ecs.v4Uri()).statusCode());
            }
            try (IntakeRecorder again = IntakeRecorder.builder().vertx(vertx).start()) {
                assertTrue(again.port() > 0, "the shared Vert.x still works after close()");
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
