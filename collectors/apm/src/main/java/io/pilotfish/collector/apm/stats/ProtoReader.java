package io.pilotfish.collector.apm.stats;

/**
 * Reads protobuf wire format from a byte range, for hostile input: every length is checked against what remains,
 * varints are at most ten bytes, and the deprecated group wire types are refused rather than skipped. Nested messages
 * are read through {@link #message}, one level per message type the caller knows, so nesting costs no recursion.
 */
final class ProtoReader {

    private final byte[] buf;
    private final int limit;
    private int pos;

    ProtoReader(byte[] buf, int offset, int length) {
        this.buf = buf;
        this.pos = offset;
        this.limit = offset + length;
    }

    boolean hasMore() {
        return pos < limit;
    }

    int remaining() {
        return limit - pos;
    }

    /** The next field's tag: field number above three bits of wire type. */
    long tag() throws SketchFormatException {
        long tag = varint();
        if (tag >>> 3 == 0 || tag >>> 3 > 0x1FFF_FFFFL) {
            throw new SketchFormatException("invalid field number in tag " + tag);
        }
        return tag;
    }

    long varint() throws SketchFormatException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw new SketchFormatException("truncated varint");
            }
            int b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw new SketchFormatException("varint longer than ten bytes");
    }

    long fixed64() throws SketchFormatException {
        if (limit - pos < 8) {
            throw new SketchFormatException("truncated fixed64");
        }
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (buf[pos + i] & 0xFF);
        }
        pos += 8;
        return v;
    }

    /** The length-delimited value that follows, as a reader of its bytes. */
    ProtoReader message() throws SketchFormatException {
        long length = varint();
        if (length < 0 || length > limit - pos) {
            throw new SketchFormatException("length " + length + " beyond the " + (limit - pos) + " bytes left");
        }
        ProtoReader inner = new ProtoReader(buf, pos, (int) length);
        pos += (int) length;
        return inner;
    }

    /** Steps over a field's value of {@code wireType}. */
    void skip(int wireType) throws SketchFormatException {
        switch (wireType) {
            case 0 -> varint();
            case 1 -> fixed64();
            case 2 -> message();
            case 5 -> {
                if (limit - pos < 4) {
                    throw new SketchFormatException("truncated fixed32");
                }
                pos += 4;
            }
            default -> throw new SketchFormatException("unsupported wire type " + wireType);
        }
    }

    static int zigZagDecode(int n) {
        return (n >>> 1) ^ -(n & 1);
    }
}
