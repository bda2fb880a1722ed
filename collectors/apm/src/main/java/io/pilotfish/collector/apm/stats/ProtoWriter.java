package io.pilotfish.collector.apm.stats;

/** Writes protobuf wire format into an array sized beforehand: just what the DDSketch message needs. */
final class ProtoWriter {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;

    private final byte[] out;
    private int pos;

    ProtoWriter(int size) {
        out = new byte[size];
    }

    ProtoWriter tag(int field, int wireType) {
        return varint((long) field << 3 | wireType);
    }

    ProtoWriter varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[pos++] = (byte) v;
        return this;
    }

    ProtoWriter fixed64(long v) {
        for (int i = 0; i < 8; i++) {
            out[pos++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** The bytes written; the size given up front must have been exact. */
    byte[] bytes() {
        if (pos != out.length) {
            throw new IllegalStateException("wrote " + pos + " bytes into " + out.length);
        }
        return out;
    }

    static int varintSize(long v) {
        int size = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            size++;
        }
        return size;
    }

    /** A sint32's zig-zag form, as an unsigned 32-bit number. */
    static long zigZag(int n) {
        return ((n << 1) ^ (n >> 31)) & 0xFFFF_FFFFL;
    }
}
