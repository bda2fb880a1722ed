package io.pilotfish.testkit;

import io.pilotfish.spi.signal.MetricOrigin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes a {@code /api/beta/sketches} body, the Datadog Agent's protobuf {@code SketchPayload} (agent-payload
 * {@code proto/metrics/agent_payload.proto}), strictly and with the testkit's own {@link ProtoReader}. What a real
 * intake would refuse is an {@link IllegalArgumentException} naming the place, e.g.
 * {@code sketches[0].dogsketches[1]: 3 keys (k) but 2 counts (n)}.
 *
 * <pre>
 * SketchPayload { repeated Sketch sketches = 1; CommonMetadata metadata = 2; }
 * Sketch        { string metric = 1; string host = 2; repeated Distribution distributions = 3 (legacy);
 *                 repeated string tags = 4; repeated Dogsketch dogsketches = 7; Metadata metadata = 8; }
 * Dogsketch     { int64 ts = 1; int64 cnt = 2; double min = 3; double max = 4; double avg = 5; double sum = 6;
 *                 repeated sint32 k = 7; repeated uint32 n = 8; }
 * Metadata      { Origin origin = 1; }
 * Origin        { uint32 origin_product = 4; uint32 origin_category = 5; uint32 origin_service = 6; }
 * </pre>
 *
 * Repeated numbers are read packed or not, as every protobuf parser must; unknown fields are skipped.
 */
final class SketchDecoder {

    private SketchDecoder() {
    }

    static List<RecordedSketch> decode(byte[] body) {
        ProtoReader payload = new ProtoReader(body);
        List<RecordedSketch> sketches = new ArrayList<>();
        while (!payload.atEnd()) {
            int tag = payload.readTag();
            int field = ProtoReader.fieldNumber(tag);
            if (field == 1) {
                String where = "sketches[" + sketches.size() + "]";
                expect(tag, ProtoReader.LENGTH_DELIMITED, where);
                sketches.add(sketch(payload.readLengthDelimited(), where));
            } else if (field == 2) {
                expect(tag, ProtoReader.LENGTH_DELIMITED, "metadata");
                payload.readLengthDelimited(); // CommonMetadata: agent version, timezone... nothing to record
            } else {
                payload.skip(ProtoReader.wireType(tag));
            }
        }
        return sketches;
    }

    private static RecordedSketch sketch(ProtoReader in, String where) {
        String metric = "";
        String host = "";
        List<String> tags = new ArrayList<>();
        List<RecordedSketch.Point> points = new ArrayList<>();
        MetricOrigin origin = MetricOrigin.UNSPECIFIED;
        while (!in.atEnd()) {
            int tag = in.readTag();
            switch (ProtoReader.fieldNumber(tag)) {
                case 1 -> {
                    expect(tag, ProtoReader.LENGTH_DELIMITED, where + ".metric");
                    metric = in.readString();
                }
                case 2 -> {
                    expect(tag, ProtoReader.LENGTH_DELIMITED, where + ".host");
                    host = in.readString();
                }
                case 4 -> {
                    expect(tag, ProtoReader.LENGTH_DELIMITED, where + ".tags[" + tags.size() + "]");
                    tags.add(in.readString());
                }
                case 7 -> {
                    String at = where + ".dogsketches[" + points.size() + "]";
                    expect(tag, ProtoReader.LENGTH_DELIMITED, at);
                    points.add(dogsketch(in.readLengthDelimited(), at));
                }
                case 8 -> {
                    expect(tag, ProtoReader.LENGTH_DELIMITED, where + ".metadata");
                    origin = metadata(in.readLengthDelimited(), where + ".metadata", origin);
                }
                default -> in.skip(ProtoReader.wireType(tag)); // 3: legacy distributions
            }
        }
        if (metric.isEmpty()) {
            throw new IllegalArgumentException(where + ".metric: expected a non-empty string");
        }
        return new RecordedSketch(metric, host, tags, points, origin);
    }

    /** {@code Metadata}: its {@code origin}; a repeated message merges into the previous one, as protobuf merges. */
    private static MetricOrigin metadata(ProtoReader in, String where, MetricOrigin merged) {
        MetricOrigin origin = merged;
        while (!in.atEnd()) {
            int tag = in.readTag();
            if (ProtoReader.fieldNumber(tag) == 1) {
                expect(tag, ProtoReader.LENGTH_DELIMITED, where + ".origin");
                origin = origin(in.readLengthDelimited(), where + ".origin", origin);
            } else {
                in.skip(ProtoReader.wireType(tag));
            }
        }
        return origin;
    }

    /** {@code Origin}: product 4, category 5, service 6 (uint32); 1-3 are reserved (the Agent's "hidden" mark). */
    private static MetricOrigin origin(ProtoReader in, String where, MetricOrigin merged) {
        int product = merged.product();
        int category = merged.category();
        int service = merged.service();
        while (!in.atEnd()) {
            int tag = in.readTag();
            switch (ProtoReader.fieldNumber(tag)) {
                case 4 -> product = originCode(in, tag, where + ".origin_product");
                case 5 -> category = originCode(in, tag, where + ".origin_category");
                case 6 -> service = originCode(in, tag, where + ".origin_service");
                default -> in.skip(ProtoReader.wireType(tag));
            }
        }
        return new MetricOrigin(product, category, service);
    }

    private static int originCode(ProtoReader in, int tag, String where) {
        expect(tag, ProtoReader.VARINT, where);
        long code = in.readVarint();
        if (code < 0 || code > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + ": expected a code from 0 to " + Integer.MAX_VALUE + ", got "
                    + Long.toUnsignedString(code));
        }
        return (int) code;
    }

    private static RecordedSketch.Point dogsketch(ProtoReader in, String where) {
        long ts = 0;
        long cnt = 0;
        double min = 0;
        double max = 0;
        double avg = 0;
        double sum = 0;
        IntList keys = new IntList();
        IntList counts = new IntList();
        while (!in.atEnd()) {
            int tag = in.readTag();
            int field = ProtoReader.fieldNumber(tag);
            switch (field) {
                case 1 -> {
                    expect(tag, ProtoReader.VARINT, where + ".ts");
                    ts = in.readVarint();
                }
                case 2 -> {
                    expect(tag, ProtoReader.VARINT, where + ".cnt");
                    cnt = in.readVarint();
                }
                case 3 -> min = readDouble(in, tag, where + ".min");
                case 4 -> max = readDouble(in, tag, where + ".max");
                case 5 -> avg = readDouble(in, tag, where + ".avg");
                case 6 -> sum = readDouble(in, tag, where + ".sum");
                case 7 -> readRepeated(in, tag, where + ".k", keys, true);
                case 8 -> readRepeated(in, tag, where + ".n", counts, false);
                default -> in.skip(ProtoReader.wireType(tag));
            }
        }
        if (keys.size != counts.size) {
            throw new IllegalArgumentException(where + ": " + keys.size + " keys (k) but " + counts.size
                    + " counts (n)");
        }
        return new RecordedSketch.Point(ts, cnt, min, max, avg, sum, keys.toArray(), counts.toArray());
    }

    private static double readDouble(ProtoReader in, int tag, String where) {
        expect(tag, ProtoReader.FIXED64, where);
        return in.readDouble();
    }

    /** A repeated sint32 ({@code zigzag}) or uint32 field, packed (one length-delimited run) or one value per tag. */
    private static void readRepeated(ProtoReader in, int tag, String where, IntList into, boolean zigzag) {
        int wireType = ProtoReader.wireType(tag);
        if (wireType == ProtoReader.LENGTH_DELIMITED) {
            ProtoReader packed = in.readLengthDelimited();
            while (!packed.atEnd()) {
                into.add(int32(packed.readVarint(), zigzag, where + "[" + into.size + "]"));
            }
        } else if (wireType == ProtoReader.VARINT) {
            into.add(int32(in.readVarint(), zigzag, where + "[" + into.size + "]"));
        } else {
            throw new IllegalArgumentException(where + ": wire type " + wireType
                    + ", expected 0 (varint) or 2 (packed)");
        }
    }

    private static int int32(long varint, boolean zigzag, String where) {
        if (zigzag) {
            // sint32: parsers keep the low 32 bits, then undo the zigzag mapping.
            int raw = (int) varint;
            return (raw >>> 1) ^ -(raw & 1);
        }
        if (varint < 0 || varint > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + ": bin count " + Long.toUnsignedString(varint)
                    + " is over " + Integer.MAX_VALUE);
        }
        return (int) varint;
    }

    private static void expect(int tag, int wireType, String where) {
        if (ProtoReader.wireType(tag) != wireType) {
            throw new IllegalArgumentException(where + ": wire type " + ProtoReader.wireType(tag) + ", expected "
                    + wireType);
        }
    }

    /** A growable int array, so bins are not boxed. */
    private static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
