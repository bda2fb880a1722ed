package io.pilotfish.sink.datadog.sketches;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code SketchPayload} with protobuf-java's {@link CodedInputStream}: an independent parser for the
 * hand-written encoder. It also records each field's wire type, so tests can check that {@code k} and {@code n} are
 * packed.
 */
final class GoogleDecoder {

    record Payload(List<SketchMessage> sketches, boolean hasMetadata) {
    }

    /** @param origin {@code metadata.origin}, null when the sketch has no metadata */
    record SketchMessage(String metric, String host, List<String> tags, List<Dogsketch> dogsketches,
                         List<Integer> fieldOrder, Origin origin) {
    }

    /** {@code Origin}'s fields 4, 5 and 6; {@code fieldOrder} shows which were written (zeros are left out). */
    record Origin(int product, int category, int service, List<Integer> fieldOrder) {
    }

    /** @param kWireTypes the wire type of every field-7 key seen; 2 means packed */
    record Dogsketch(long ts, long cnt, double min, double max, double avg, double sum, List<Integer> k,
                     List<Integer> n, List<Integer> kWireTypes, List<Integer> nWireTypes) {
    }

    private GoogleDecoder() {
    }

    static Payload decode(byte[] body) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(body);
        List<SketchMessage> sketches = new ArrayList<>();
        boolean metadata = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> sketches.add(sketch(in.readByteArray()));
                case 2 -> {
                    metadata = true;
                    in.skipField(tag);
                }
                default -> throw new AssertionError("unexpected SketchPayload field " + tag);
            }
        }
        return new Payload(sketches, metadata);
    }

    private static SketchMessage sketch(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String metric = "";
        String host = "";
        List<String> tags = new ArrayList<>();
        List<Dogsketch> dogsketches = new ArrayList<>();
        List<Integer> order = new ArrayList<>();
        Origin origin = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            order.add(field);
            switch (field) {
                case 1 -> metric = in.readStringRequireUtf8();
                case 2 -> host = in.readStringRequireUtf8();
                case 4 -> tags.add(in.readStringRequireUtf8());
                case 7 -> dogsketches.add(dogsketch(in.readByteArray()));
                case 8 -> origin = metadata(in.readByteArray());
                default -> throw new AssertionError("unexpected Sketch field " + tag);
            }
        }
        return new SketchMessage(metric, host, tags, dogsketches, order, origin);
    }

    private static Origin metadata(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        Origin origin = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) != 1) {
                throw new AssertionError("unexpected Metadata field " + tag);
            }
            origin = origin(in.readByteArray());
        }
        return origin;
    }

    private static Origin origin(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        int product = 0;
        int category = 0;
        int service = 0;
        List<Integer> order = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            order.add(field);
            switch (field) {
                case 4 -> product = in.readUInt32();
                case 5 -> category = in.readUInt32();
                case 6 -> service = in.readUInt32();
                default -> throw new AssertionError("unexpected Origin field " + tag);
            }
        }
        return new Origin(product, category, service, order);
    }

    private static Dogsketch dogsketch(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        long ts = 0;
        long cnt = 0;
        double min = 0;
        double max = 0;
        double avg = 0;
        double sum = 0;
        List<Integer> k = new ArrayList<>();
        List<Integer> n = new ArrayList<>();
        List<Integer> kWire = new ArrayList<>();
        List<Integer> nWire = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> ts = in.readInt64();
                case 2 -> cnt = in.readInt64();
                case 3 -> min = in.readDouble();
                case 4 -> max = in.readDouble();
                case 5 -> avg = in.readDouble();
                case 6 -> sum = in.readDouble();
                case 7 -> {
                    kWire.add(WireFormat.getTagWireType(tag));
                    readRepeated(in, tag, k, true);
                }
                case 8 -> {
                    nWire.add(WireFormat.getTagWireType(tag));
                    readRepeated(in, tag, n, false);
                }
                default -> throw new AssertionError("unexpected Dogsketch field " + tag);
            }
        }
        return new Dogsketch(ts, cnt, min, max, avg, sum, k, n, kWire, nWire);
    }

    private static void readRepeated(CodedInputStream in, int tag, List<Integer> into, boolean sint32)
            throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(sint32 ? in.readSInt32() : in.readUInt32());
            }
            in.popLimit(limit);
        } else {
            into.add(sint32 ? in.readSInt32() : in.readUInt32());
        }
    }
}
