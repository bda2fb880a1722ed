package io.pilotfish.sink.datadog.sketches;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.pilotfish.sink.datadog.common.Compression;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The protobuf the encoder writes, read back with protobuf-java's own parser. */
class SketchEncoderTest {

    private static final long TS = 1_700_000_000L;
    private static final TagSet GLOBAL = TagSet.of("env:test", "service:pilotfish");

    private final SketchEncoder encoder = new SketchEncoder(Compression.DEFLATE,
            DatadogSketchesConfig.INTAKE_MAX_PAYLOAD_BYTES, DatadogSketchesConfig.INTAKE_MAX_UNCOMPRESSED_BYTES);

    private static byte[] inflate(SketchEncoder.Encoded encoded, Compression compression) throws IOException {
        ByteArrayInputStream raw = new ByteArrayInputStream(encoded.body(), 0, encoded.length());
        try (InputStream in = compression == Compression.GZIP ? new GZIPInputStream(raw)
                : new InflaterInputStream(raw)) {
            return in.readAllBytes();
        }
    }

    private GoogleDecoder.Payload encodeAndDecode(List<? extends Signal> batch, TagSet global) throws IOException {
        SketchEncoder.Encoded encoded = assertInstanceOf(SketchEncoder.Encoded.class,
                encoder.encode(SketchEncoder.group(batch, global)));
        byte[] protobuf = inflate(encoded, Compression.DEFLATE);
        assertEquals(encoded.uncompressedLength(), protobuf.length);
        return GoogleDecoder.decode(protobuf);
    }

    private static List<Integer> list(int... values) {
        return Arrays.stream(values).boxed().toList();
    }

    @Test
    void theTestKeysFollowTheAgentsMapping() {
        assertEquals(1338, Sketches.key(1));
        assertEquals(1487, Sketches.key(10));
        assertEquals(1635, Sketches.key(100));
        assertEquals(1293, Sketches.key(0.5));
        assertEquals(-1487, Sketches.key(-10));
        assertEquals(0, Sketches.key(0));
    }

    @Test
    void aSketchCarriesEveryFieldWithPackedBins() throws Exception {
        Sketch sketch = Sketches.of("app.latency", TS, TagSet.of("route:/a"), "i-0abc", -10, 0, 1, 1, 10, 100);

        GoogleDecoder.Payload payload = encodeAndDecode(List.of(sketch), GLOBAL);

        assertFalse(payload.hasMetadata(), "CommonMetadata is optional and left out");
        assertEquals(1, payload.sketches().size());
        GoogleDecoder.SketchMessage message = payload.sketches().get(0);
        assertEquals("app.latency", message.metric());
        assertEquals("i-0abc", message.host());
        assertEquals(List.of("env:test", "route:/a", "service:pilotfish"), message.tags());
        assertEquals(List.of(1, 2, 4, 4, 4, 7, 8), message.fieldOrder(), "metadata after the points, as the Agent");
        GoogleDecoder.Dogsketch point = message.dogsketches().get(0);
        assertEquals(TS, point.ts());
        assertEquals(6, point.cnt());
        assertEquals(-10.0, point.min());
        assertEquals(100.0, point.max());
        assertEquals(102.0 / 6, point.avg());
        assertEquals(102.0, point.sum());
        assertEquals(list(-1487, 0, 1338, 1487, 1635), point.k(), "sint32 keys, negative ones included");
        assertEquals(list(1, 1, 2, 1, 1), point.n());
        assertEquals(List.of(2), point.kWireTypes(), "k is one packed run");
        assertEquals(List.of(2), point.nWireTypes(), "n is one packed run");
    }

    @Test
    void everySketchCarriesTheOriginTheAgentGivesDogStatsDDistributions() throws Exception {
        List<Sketch> batch = List.of(
                Sketches.of("app.latency", TS, TagSet.of("route:/a"), "", 1, 2),
                Sketches.of("app.size", TS, TagSet.EMPTY, "i-0abc", 40_000));

        GoogleDecoder.Payload payload = encodeAndDecode(batch, GLOBAL);

        assertEquals(2, payload.sketches().size());
        for (GoogleDecoder.SketchMessage message : payload.sketches()) {
            GoogleDecoder.Origin origin = message.origin();
            assertEquals(10, origin.product(), message.metric() + ": product Agent");
            assertEquals(10, origin.category(), message.metric() + ": category DogStatsD");
            assertEquals(0, origin.service(), message.metric() + ": no service");
            assertEquals(List.of(4, 5), origin.fieldOrder(), "origin_service 0 is left out, as the Agent's encoder");
        }
    }

    @Test
    void pointsOfOneSeriesShareASketchInAscendingTime() throws Exception {
        List<Sketch> batch = List.of(
                Sketches.of("m", TS + 20, "a:1"),
                Sketches.of("m", TS, "a:1"),
                Sketches.of("other", TS, "a:1"),
                Sketches.of("m", TS + 10, "a:1"));

        GoogleDecoder.Payload payload = encodeAndDecode(batch, TagSet.EMPTY);

        assertEquals(2, payload.sketches().size());
        GoogleDecoder.SketchMessage m = payload.sketches().get(0);
        assertEquals("m", m.metric());
        assertEquals(List.of(TS, TS + 10, TS + 20), m.dogsketches().stream().map(GoogleDecoder.Dogsketch::ts)
                .toList());
        assertEquals("other", payload.sketches().get(1).metric());
    }

    @Test
    void sketchesThatDifferInNameHostOrTagsAreSeparateSeries() throws Exception {
        List<Sketch> batch = List.of(
                Sketches.of("m", TS, TagSet.of("a:1"), "", 1),
                Sketches.of("m", TS, TagSet.of("a:2"), "", 1),
                Sketches.of("m", TS, TagSet.of("a:1"), "host-b", 1),
                Sketches.of("n", TS, TagSet.of("a:1"), "", 1),
                Sketches.of("m", TS + 10, TagSet.of("a:1"), "", 1));

        GoogleDecoder.Payload payload = encodeAndDecode(batch, TagSet.EMPTY);

        assertEquals(4, payload.sketches().size());
        assertEquals(2, payload.sketches().get(0).dogsketches().size(), "only the last point joins the first");
    }

    @Test
    void globalTagsAreMergedBeforeGroupingSoEqualWireTagsShareASeries() throws Exception {
        List<Sketch> batch = List.of(
                Sketches.of("m", TS, TagSet.of("a:1", "env:test"), "", 1),
                Sketches.of("m", TS + 10, TagSet.of("a:1"), "", 2));

        GoogleDecoder.Payload payload = encodeAndDecode(batch, TagSet.of("env:test"));

        assertEquals(1, payload.sketches().size());
        assertEquals(List.of("a:1", "env:test"), payload.sketches().get(0).tags(), "a shared tag is sent once");
        assertEquals(2, payload.sketches().get(0).dogsketches().size());
    }

    @Test
    void anEmptyHostAndNoTagsAreLeftOut() throws Exception {
        GoogleDecoder.Payload payload = encodeAndDecode(List.of(Sketches.of("m", TS, TagSet.EMPTY, "", 5)),
                TagSet.EMPTY);

        GoogleDecoder.SketchMessage message = payload.sketches().get(0);
        assertEquals(List.of(1, 7, 8), message.fieldOrder());
        assertEquals("", message.host());
        assertEquals(List.of(), message.tags());
    }

    /** The whole payload, byte for byte, as protobuf-java's CodedOutputStream writes the same fields. */
    @Test
    void theBytesAreWhatProtobufJavaWrites() throws Exception {
        Sketch first = Sketches.of("app.latency", TS, TagSet.of("route:/a"), "h1", 0.5, 3, 3, 250);
        Sketch second = Sketches.of("app.latency", TS + 10, TagSet.of("route:/a"), "h1", -2, 7);
        Sketch other = Sketches.of("app.size", TS, TagSet.EMPTY, "", 40_000);

        SketchEncoder.Encoded encoded = assertInstanceOf(SketchEncoder.Encoded.class,
                encoder.encode(SketchEncoder.group(List.of(first, other, second), GLOBAL)));

        byte[] expected = message(out -> {
            out.writeByteArray(1, message(s -> {
                s.writeString(1, "app.latency");
                s.writeString(2, "h1");
                for (String tag : List.of("env:test", "route:/a", "service:pilotfish")) {
                    s.writeString(4, tag);
                }
                s.writeByteArray(7, dogsketch(first));
                s.writeByteArray(7, dogsketch(second));
                s.writeByteArray(8, DOGSTATSD_METADATA);
            }));
            out.writeByteArray(1, message(s -> {
                s.writeString(1, "app.size");
                s.writeString(4, "env:test");
                s.writeString(4, "service:pilotfish");
                s.writeByteArray(7, dogsketch(other));
                s.writeByteArray(8, DOGSTATSD_METADATA);
            }));
        });
        assertArrayEquals(expected, inflate(encoded, Compression.DEFLATE));
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    /** {@code Metadata { origin { origin_product: 10, origin_category: 10 } }}; origin_service 0 is not written. */
    private static final byte[] DOGSTATSD_METADATA = metadata();

    private static byte[] metadata() {
        try {
            return message(m -> m.writeByteArray(1, message(o -> {
                o.writeUInt32(4, 10);
                o.writeUInt32(5, 10);
            })));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] message(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        writer.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    /** A Dogsketch whose fields are all non-zero (CodedOutputStream writes zeros; the encoder leaves them out). */
    private static byte[] dogsketch(Sketch sketch) throws IOException {
        return message(out -> {
            out.writeInt64(1, sketch.timestamp());
            out.writeInt64(2, sketch.count());
            out.writeDouble(3, sketch.min());
            out.writeDouble(4, sketch.max());
            out.writeDouble(5, sketch.avg());
            out.writeDouble(6, sketch.sum());
            int kSize = 0;
            int nSize = 0;
            for (int i = 0; i < sketch.keys().length; i++) {
                kSize += CodedOutputStream.computeSInt32SizeNoTag(sketch.keys()[i]);
                nSize += CodedOutputStream.computeUInt32SizeNoTag(sketch.counts()[i]);
            }
            out.writeTag(7, 2);
            out.writeUInt32NoTag(kSize);
            for (int key : sketch.keys()) {
                out.writeSInt32NoTag(key);
            }
            out.writeTag(8, 2);
            out.writeUInt32NoTag(nSize);
            for (int count : sketch.counts()) {
                out.writeUInt32NoTag(count);
            }
        });
    }

    @Test
    void sizesAgreeWithProtobufJava() {
        long[] longs = {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE, 1L << 35, Long.MAX_VALUE, -1,
            Long.MIN_VALUE, TS};
        for (long value : longs) {
            assertEquals(CodedOutputStream.computeInt64SizeNoTag(value), ProtoWriter.varintSize(value),
                    "varint " + value);
        }
        int[] ints = {0, -1, 1, -64, 64, -65, 8191, -8192, 32_767, -32_767, Integer.MAX_VALUE, Integer.MIN_VALUE};
        for (int value : ints) {
            assertEquals(CodedOutputStream.computeSInt32SizeNoTag(value), ProtoWriter.sint32Size(value),
                    "sint32 " + value);
        }
        assertEquals(1, ProtoWriter.tagSize(15));
        assertEquals(2, ProtoWriter.tagSize(16));
    }

    @Test
    void zeroFieldsAreLeftOutButNegativeZeroIsKept() throws Exception {
        Sketch zeros = new Sketch("m", 0, TagSet.EMPTY, "", 2, -0.0, 0.0, 0.0, new int[] {0}, new int[] {2});

        GoogleDecoder.Dogsketch point = encodeAndDecode(List.of(zeros), TagSet.EMPTY).sketches().get(0)
                .dogsketches().get(0);

        assertEquals(0, point.ts());
        assertEquals(2, point.cnt());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(point.min()));
        assertEquals(list(0), point.k());
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void manySketchesRoundTripWithEitherCompression(Compression compression) throws Exception {
        Random random = new Random(42);
        List<Sketch> batch = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            double[] values = new double[1 + random.nextInt(200)];
            for (int v = 0; v < values.length; v++) {
                values[v] = Math.exp(random.nextGaussian() * 3) * (random.nextInt(10) == 0 ? -1 : 1);
            }
            batch.add(Sketches.of("m" + (i % 40), TS + 10L * (i / 40), TagSet.of("shard:" + (i % 7)), "",
                    values));
        }
        SketchEncoder withCompression = new SketchEncoder(compression, DatadogSketchesConfig.INTAKE_MAX_PAYLOAD_BYTES,
                DatadogSketchesConfig.INTAKE_MAX_UNCOMPRESSED_BYTES);

        SketchEncoder.Encoded encoded = assertInstanceOf(SketchEncoder.Encoded.class,
                withCompression.encode(SketchEncoder.group(batch, GLOBAL)));
        GoogleDecoder.Payload payload = GoogleDecoder.decode(inflate(encoded, compression));

        List<Sketch> decoded = new ArrayList<>();
        for (GoogleDecoder.SketchMessage message : payload.sketches()) {
            for (GoogleDecoder.Dogsketch point : message.dogsketches()) {
                decoded.add(new Sketch(message.metric(), point.ts(), TagSet.of(message.tags()), message.host(),
                        point.cnt(), point.min(), point.max(), point.sum(),
                        point.k().stream().mapToInt(Integer::intValue).toArray(),
                        point.n().stream().mapToInt(Integer::intValue).toArray()));
            }
        }
        assertEquals(batch.size(), decoded.size());
        List<Sketch> expected = batch.stream().map(s -> s.withTags(s.tags().with(GLOBAL))).toList();
        assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(decoded));
        assertTrue(encoded.length() < encoded.uncompressedLength(), "the body is compressed");
    }

    // ---- invalid sketches --------------------------------------------------------------------------------------

    @Test
    void invalidSketchesAreSortedOutByReason() {
        TagSet none = TagSet.EMPTY;
        List<Signal> batch = List.of(
                new Sketch("m", TS, none, "", 1, Double.NaN, 1, 1, new int[] {1338}, new int[] {1}),
                new Sketch("m", TS, none, "", 1, 1, Double.POSITIVE_INFINITY, 1, new int[] {1338}, new int[] {1}),
                new Sketch("m", TS, none, "", 1, 1, 1, Double.NEGATIVE_INFINITY, new int[] {1338}, new int[] {1}),
                new Sketch("m", TS, none, "", 0, 0, 0, 0, new int[0], new int[0]),
                new Sketch("m", TS, none, "", 2, 5, 1, 6, new int[] {1338}, new int[] {2}),
                new Sketch("m", TS, none, "", 1, 1, 1, 1, new int[] {40_000}, new int[] {1}),
                new Sketch("m", TS, none, "", 2, 1, 10, 11, new int[] {1487, 1338}, new int[] {1, 1}),
                new Sketch("m", TS, none, "", 1, 1, 1, 1, new int[] {1338, 1487}, new int[] {2, -1}),
                new Sketch("m", TS, none, "", 3, 1, 1, 3, new int[] {1338}, new int[] {2}),
                new Sketch(" ", TS, none, "", 1, 1, 1, 1, new int[] {1338}, new int[] {1}),
                Metric.gauge("m", 1, TS, none),
                new Sketch("m", TS, none, "", 2, 1, 1, 2, new int[] {1338, 1338}, new int[] {1, 1}),
                new Sketch("m", TS, none, "", 1, 1e300, 1e300, 1e300, new int[] {Sketch.INFINITE_KEY},
                        new int[] {1}));

        SketchEncoder.Grouped grouped = SketchEncoder.group(batch, TagSet.EMPTY);

        assertEquals(5, grouped.invalidValues());
        assertEquals(4, grouped.invalidBins());
        assertEquals(1, grouped.invalidNames());
        assertEquals(1, grouped.unsupported());
        assertEquals(2, grouped.points(), "a repeated key (a split bin) and the infinity key are valid");
    }

    // ---- limits ------------------------------------------------------------------------------------------------

    @Test
    void overTheUncompressedLimitNothingIsEncoded() {
        SketchEncoder small = new SketchEncoder(Compression.DEFLATE, 512_000, 100);
        List<Sketch> batch = List.of(Sketches.of("m", TS, "a:1"), Sketches.of("n", TS, "a:1"),
                Sketches.of("o", TS, "a:1"));

        SketchEncoder.OverLimit over = assertInstanceOf(SketchEncoder.OverLimit.class,
                small.encode(SketchEncoder.group(batch, GLOBAL)));

        assertTrue(over.reason().contains("max-uncompressed-bytes"), over.reason());
        assertTrue(over.reason().contains("3 sketches"), over.reason());
    }

    @Test
    void overTheCompressedLimitIsReported() {
        SketchEncoder small = new SketchEncoder(Compression.GZIP, 40, 4_194_304);

        SketchEncoder.OverLimit over = assertInstanceOf(SketchEncoder.OverLimit.class,
                small.encode(SketchEncoder.group(List.of(Sketches.of("m", TS, "a:1")), GLOBAL)));

        assertTrue(over.reason().contains("max-payload-bytes"), over.reason());
    }

    @Test
    void aPayloadExactlyAtTheLimitIsSent() throws Exception {
        List<Sketch> batch = List.of(Sketches.of("m", TS, "a:1"));
        int exact = assertInstanceOf(SketchEncoder.Encoded.class, encoder.encode(SketchEncoder.group(batch, GLOBAL)))
                .uncompressedLength();

        SketchEncoder atLimit = new SketchEncoder(Compression.DEFLATE, 512_000, exact);
        SketchEncoder belowLimit = new SketchEncoder(Compression.DEFLATE, 512_000, exact - 1);

        assertInstanceOf(SketchEncoder.Encoded.class, atLimit.encode(SketchEncoder.group(batch, GLOBAL)));
        assertInstanceOf(SketchEncoder.OverLimit.class, belowLimit.encode(SketchEncoder.group(batch, GLOBAL)));
    }
}
