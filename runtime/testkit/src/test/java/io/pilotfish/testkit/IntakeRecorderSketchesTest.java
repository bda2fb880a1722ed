package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code /api/beta/sketches}: bodies are built with protobuf-java's own {@link CodedOutputStream}, so the recorder's
 * reader is checked against an implementation it shares nothing with.
 */
class IntakeRecorderSketchesTest {

    private static final long TS = 1_700_000_000L;
    /** key(1) = 1338 and key(10) = 1487 in the Agent's key space (gamma 1.015625). */
    private static final int[] KEYS = {1338, 1487};
    private static final int[] COUNTS = {3, 1};

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

    // ---------------------------------------------------------------- building payloads with protobuf-java

    /** A {@code Dogsketch}; {@code packed} false writes k and n one tag per value, as protobuf allows. */
    private static byte[] dogsketch(long ts, long cnt, double min, double max, double sum, int[] keys, int[] counts,
                                    boolean packed) throws IOException {
        return message(out -> {
            out.writeInt64(1, ts);
            out.writeInt64(2, cnt);
            out.writeDouble(3, min);
            out.writeDouble(4, max);
            out.writeDouble(5, sum / cnt);
            out.writeDouble(6, sum);
            if (packed) {
                int kBytes = 0;
                for (int key : keys) {
                    kBytes += CodedOutputStream.computeSInt32SizeNoTag(key);
                }
                out.writeTag(7, 2);
                out.writeUInt32NoTag(kBytes);
                for (int key : keys) {
                    out.writeSInt32NoTag(key);
                }
                int nBytes = 0;
                for (int count : counts) {
                    nBytes += CodedOutputStream.computeUInt32SizeNoTag(count);
                }
                out.writeTag(8, 2);
                out.writeUInt32NoTag(nBytes);
                for (int count : counts) {
                    out.writeUInt32NoTag(count);
                }
            } else {
                for (int key : keys) {
                    out.writeSInt32(7, key);
                }
                for (int count : counts) {
                    out.writeUInt32(8, count);
                }
            }
        });
    }

    private static byte[] sketch(String metric, String host, List<String> tags, byte[]... dogsketches)
            throws IOException {
        return message(out -> {
            out.writeString(1, metric);
            if (!host.isEmpty()) {
                out.writeString(2, host);
            }
            for (String tag : tags) {
                out.writeString(4, tag);
            }
            for (byte[] dogsketch : dogsketches) {
                out.writeByteArray(7, dogsketch);
            }
            out.writeByteArray(8, message(origin -> origin.writeInt32(4, 10))); // metadata: skipped
        });
    }

    private static byte[] payload(byte[]... sketches) throws IOException {
        return message(out -> {
            for (byte[] sketch : sketches) {
                out.writeByteArray(1, sketch);
            }
            out.writeByteArray(2, message(meta -> meta.writeString(1, "7.60.0"))); // CommonMetadata
            out.writeString(99, "a field this decoder does not know");
        });
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        writer.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] typical() throws IOException {
        return payload(
                sketch("app.latency", "", List.of("env:prod", "service:web"),
                        dogsketch(TS, 4, 1, 10, 13, KEYS, COUNTS, true),
                        dogsketch(TS + 10, 1, 0.5, 0.5, 0.5, new int[] {1293}, new int[] {1}, true)),
                sketch("app.size", "i-0abc", List.of(),
                        dogsketch(TS, 2, -10, 0, -10, new int[] {-1487, 0}, new int[] {1, 1}, false)));
    }

    private HttpResponse<String> postSketches(byte[] body, String encoding, String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(intake.uri() + IntakeRecorder.SKETCHES_PATH))
                .timeout(Duration.ofSeconds(20))
                .header("DD-API-KEY", "k")
                .header("Content-Encoding", encoding)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postSketches(byte[] body) throws Exception {
        return postSketches(body, "identity", "application/x-protobuf");
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] zlib(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflate = new DeflaterOutputStream(out)) {
            deflate.write(data);
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- decoding

    @Test
    void decodesADeflateSketchPayload() throws Exception {
        HttpResponse<String> response = postSketches(zlib(typical()), "deflate", "application/x-protobuf");

        assertEquals(202, response.statusCode());
        List<RecordedSketch> all = intake.sketches();
        assertEquals(2, all.size());
        assertEquals(new java.util.TreeSet<>(List.of("app.latency", "app.size")), intake.sketchNames());

        RecordedSketch latency = intake.sketches("app.latency").get(0);
        assertEquals("", latency.host());
        assertEquals(List.of("env:prod", "service:web"), latency.tags());
        assertTrue(latency.hasTags("env:prod"));
        assertEquals("web", latency.tag("service").orElseThrow());
        assertEquals(2, latency.points().size());
        RecordedSketch.Point first = latency.points().get(0);
        assertEquals(new RecordedSketch.Point(TS, 4, 1, 10, 3.25, 13, KEYS, COUNTS), first);
        assertEquals(TS, first.ts());
        assertEquals(4, first.cnt());
        assertEquals(3.25, first.avg());
        assertArrayEquals(KEYS, first.keys());
        assertArrayEquals(COUNTS, first.counts());
        assertEquals(TS + 10, latency.lastPoint().ts());

        RecordedSketch size = intake.sketches("app.size").get(0);
        assertEquals("i-0abc", size.host());
        assertEquals(List.of(), size.tags());
        assertArrayEquals(new int[] {-1487, 0}, size.points().get(0).keys(), "negative keys survive the zigzag");

        RecordedRequest request = intake.requests(IntakeRecorder.SKETCHES_PATH).get(0);
        assertTrue(request.accepted());
        assertEquals("deflate", request.contentEncoding());
        assertArrayEquals(typical(), request.body(), "the decompressed body is kept");
        assertEquals(2, request.sketches().size());
        assertTrue(request.toString().contains("2 sketches"), request.toString());
        assertTrue(intake.series().isEmpty());
    }

    @Test
    void aPointBecomesTheSpiSketchWithItsSeriesAndQuantiles() throws Exception {
        assertEquals(202, postSketches(gzip(typical()), "gzip", "application/x-protobuf").statusCode());

        RecordedSketch.Point point = intake.sketches("app.latency").get(0).points().get(0);
        Sketch signal = point.toSignal();

        assertEquals(new Sketch("app.latency", TS, TagSet.of("env:prod", "service:web"), "", 4, 1, 10, 13, KEYS,
                COUNTS), signal);
        assertEquals(1.0, signal.quantile(0));
        assertEquals(10.0, signal.quantile(1));
        assertEquals(signal.quantile(0.5), point.quantile(0.5));
        assertTrue(signal.quantile(0.5) >= 1 && signal.quantile(0.5) < 1.02, "p50 lies in key 1338's bin: "
                + signal.quantile(0.5));
        assertThrows(IllegalStateException.class,
                () -> new RecordedSketch.Point(TS, 1, 1, 1, 1, 1, new int[] {1338}, new int[] {1}).toSignal(),
                "a point outside a recorded sketch has no name");
    }

    @Test
    void unpackedBinsAreReadLikePackedOnes() throws Exception {
        byte[] packed = payload(sketch("m", "", List.of(), dogsketch(TS, 4, 1, 10, 13, KEYS, COUNTS, true)));
        byte[] unpacked = payload(sketch("m", "", List.of(), dogsketch(TS, 4, 1, 10, 13, KEYS, COUNTS, false)));
        assertFalse(Arrays.equals(packed, unpacked));

        assertEquals(202, postSketches(packed).statusCode());
        assertEquals(202, postSketches(unpacked).statusCode());

        List<RecordedSketch> both = intake.sketches("m");
        assertEquals(both.get(0), both.get(1));
    }

    @Test
    void extremeValuesRoundTrip() throws Exception {
        int[] keys = {-32767, -1, 0, 1, 32767};
        int[] counts = {Integer.MAX_VALUE, 0, 1, 300, 65_536};
        byte[] body = payload(sketch("m", "", List.of(), message(out -> {
            out.writeInt64(1, -5); // a negative int64 takes ten bytes
            out.writeInt64(2, Long.MAX_VALUE);
            out.writeDouble(3, Double.NEGATIVE_INFINITY);
            out.writeDouble(4, Double.NaN);
            out.writeDouble(6, -0.0);
            out.writeTag(7, 2);
            int size = 0;
            for (int key : keys) {
                size += CodedOutputStream.computeSInt32SizeNoTag(key);
            }
            out.writeUInt32NoTag(size);
            for (int key : keys) {
                out.writeSInt32NoTag(key);
            }
            for (int count : counts) {
                out.writeUInt32(8, count);
            }
        })));

        assertEquals(202, postSketches(body).statusCode());

        RecordedSketch.Point point = intake.sketches("m").get(0).points().get(0);
        assertEquals(-5, point.ts());
        assertEquals(Long.MAX_VALUE, point.cnt());
        assertEquals(Double.NEGATIVE_INFINITY, point.min());
        assertTrue(Double.isNaN(point.max()));
        assertEquals(0.0, point.avg(), "absent fields are zero");
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(point.sum()));
        assertArrayEquals(keys, point.keys());
        assertArrayEquals(counts, point.counts());
    }

    // ---------------------------------------------------------------- refusals

    /** Broken bodies, each a protobuf a parser (or the intake) refuses. */
    private static byte[] broken(String kind) throws IOException {
        byte[] good = typical();
        return switch (kind) {
            case "truncated" -> Arrays.copyOf(good, good.length - 7);
            case "length-overrun" -> new byte[] {0x0a, 0x7f, 0x0a, 0x01, 0x6d};
            case "unterminated-varint" -> new byte[] {0x08, (byte) 0xff, (byte) 0xff};
            case "group" -> new byte[] {0x0b, 0x0c};
            case "wire-type-7" -> new byte[] {0x0f};
            case "field-zero" -> new byte[] {0x02, 0x00};
            case "not-utf8" -> payload(sketch("m", "", List.of()),
                    message(s -> s.writeBytes(1, ByteString.copyFrom(new byte[] {(byte) 0xc3, 0x28}))));
            case "wrong-wire-type" -> message(out -> out.writeInt64(1, 5));
            case "empty-metric" -> payload(sketch("", "", List.of(), dogsketch(TS, 1, 1, 1, 1, new int[] {1338},
                    new int[] {1}, true)));
            case "keys-without-counts" -> payload(sketch("m", "", List.of(), dogsketch(TS, 4, 1, 10, 13, KEYS,
                    new int[] {4}, true)));
            case "text" -> "{\"sketches\":[]}".getBytes(StandardCharsets.UTF_8);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"truncated", "length-overrun", "unterminated-varint", "group", "wire-type-7",
        "field-zero", "not-utf8", "wrong-wire-type", "empty-metric", "keys-without-counts", "text"})
    void aMalformedProtobufBodyIs400AndNotAccepted(String kind) throws Exception {
        HttpResponse<String> response = postSketches(broken(kind));

        assertEquals(400, response.statusCode(), kind + ": " + response.body());
        assertTrue(response.body().startsWith("{\"errors\":[\""), response.body());
        RecordedRequest request = intake.requests().get(0);
        assertFalse(request.accepted());
        assertTrue(request.rejection().orElseThrow().startsWith("invalid sketch payload: "),
                request.rejection().orElseThrow());
        assertTrue(intake.sketches().isEmpty());
    }

    @Test
    void refusalsNameThePlace() throws Exception {
        assertTrue(postSketches(broken("empty-metric")).body().contains("sketches[0].metric"));
        assertTrue(postSketches(broken("keys-without-counts")).body()
                .contains("sketches[0].dogsketches[0]: 2 keys (k) but 1 counts (n)"));
        assertTrue(postSketches(broken("length-overrun")).body().contains("at byte 1: length 127 runs past"));
    }

    @Test
    void aBodyThatIsNotProtobufTypedIs415() throws Exception {
        assertEquals(415, postSketches(typical(), "identity", "application/json").statusCode());
        assertEquals(415, postSketches(typical(), "identity", null).statusCode());
        assertTrue(intake.requests().get(0).rejection().orElseThrow().contains("application/x-protobuf"));
        assertTrue(intake.sketches().isEmpty());
    }

    @Test
    void scriptedAnswersComeFirstAndRefusedSketchesAreNotCounted() throws Exception {
        intake.respondNext(ScriptedResponse.status(503).withRetryAfter("2"));

        assertEquals(503, postSketches(typical()).statusCode());
        assertEquals(202, postSketches(typical()).statusCode());

        assertEquals(1, intake.sketches("app.latency").size(), "answered non-2xx: not counted");
        RecordedRequest refused = intake.requests().get(0);
        assertEquals("scripted 503", refused.rejection().orElseThrow());
        assertEquals(2, refused.sketches().size(), "still decoded for inspection");
    }

    @Test
    void sketchesOverDatadogsLimitsAre413() throws Exception {
        // Padding in an unknown field: compresses to almost nothing, decompresses past 4 MiB.
        byte[] padded = message(out -> {
            out.writeByteArray(1, sketch("m", "", List.of()));
            out.writeByteArray(15, new byte[(int) IntakeRecorder.SKETCHES_MAX_DECOMPRESSED_BYTES]);
        });
        byte[] compressed = gzip(padded);
        assertTrue(compressed.length < IntakeRecorder.SKETCHES_MAX_WIRE_BYTES);
        assertEquals(413, postSketches(compressed, "gzip", "application/x-protobuf").statusCode());
        byte[] wide = message(out -> out.writeByteArray(15,
                new byte[(int) IntakeRecorder.SKETCHES_MAX_WIRE_BYTES]));
        assertEquals(413, postSketches(wide).statusCode());
        assertTrue(intake.sketches().isEmpty());

        try (IntakeRecorder unlimited = IntakeRecorder.builder().datadogLimits(false).start()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                            URI.create(unlimited.uri() + IntakeRecorder.SKETCHES_PATH))
                    .header("Content-Type", "application/x-protobuf")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(wide)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, response.statusCode());
        }
    }

    // ---------------------------------------------------------------- waiting

    @Test
    void awaitSketchWaitsForAMatchingSketch() throws Exception {
        byte[] body = typical();
        CompletableFuture<HttpResponse<String>> later = CompletableFuture.supplyAsync(() -> null,
                        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
                .thenCompose(ignored -> client.sendAsync(HttpRequest.newBuilder(
                                URI.create(intake.uri() + IntakeRecorder.SKETCHES_PATH))
                        .header("Content-Type", "application/x-protobuf")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString()));

        RecordedSketch found = intake.awaitSketch("app.latency", s -> s.hasTags("service:web"),
                Duration.ofSeconds(20));
        assertEquals(4, found.points().get(0).cnt());
        assertEquals(202, later.get().statusCode());
        assertEquals("i-0abc", intake.awaitSketch("app.size", Duration.ofSeconds(1)).host());

        AssertionError missing = assertThrows(AssertionError.class,
                () -> intake.awaitSketch("no.such.metric", Duration.ofMillis(50)));
        assertTrue(missing.getMessage().contains("app.latency"), missing.getMessage());
        assertThrows(AssertionError.class,
                () -> intake.awaitSketch("app.latency", s -> s.hasTags("service:db"), Duration.ofMillis(50)));
    }
}
