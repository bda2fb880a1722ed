package io.pilotfish.sink.datadog.sketches;

/**
 * Writes the protobuf wire format into a buffer of a size computed beforehand: varints, zigzag {@code sint32},
 * fixed64 doubles and length-delimited fields. Protobuf prefixes every nested message with its length, so callers
 * size each message first ({@code *Size} methods) and then write it in one pass, with no copying.
 *
 * <p>Fields at their default value (0, +0.0, empty) are left out, as proto3 encoders do; readers see the default.
 */
final class ProtoWriter {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;

    private final byte[] buffer;
    private int position;

    ProtoWriter(int size) {
        this.buffer = new byte[size];
    }

    byte[] buffer() {
        return buffer;
    }

    /** Bytes written so far. */
    int position() {
        return position;
    }

    // ---- sizes -------------------------------------------------------------------------------------------------

    /** Bytes of {@code value} as a varint; negative values take ten bytes (two's complement, as int64). */
    static int varintSize(long value) {
        if (value < 0) {
            return 10;
        }
        int size = 1;
        while (value >= 0x80) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    /** {@code sint32} as a varint: zigzag keeps small negative numbers short. */
    static int sint32Size(int value) {
        return varintSize(Integer.toUnsignedLong(zigzag(value)));
    }

    static int zigzag(int value) {
        return (value << 1) ^ (value >> 31);
    }

    static int tagSize(int field) {
        return varintSize((long) field << 3);
    }

    /** A varint field (int64, uint32...), 0 when the value is 0 and therefore left out. */
    static int varintFieldSize(int field, long value) {
        return value == 0 ? 0 : tagSize(field) + varintSize(value);
    }

    /** A double field, 0 when the value is +0.0 and therefore left out. */
    static int doubleFieldSize(int field, double value) {
        return Double.doubleToRawLongBits(value) == 0 ? 0 : tagSize(field) + 8;
    }

    /** A length-delimited field (string, bytes, message, packed numbers) whose content takes {@code length}. */
    static long lengthDelimitedFieldSize(int field, long length) {
        return tagSize(field) + varintSize(length) + length;
    }

    // ---- writing -----------------------------------------------------------------------------------------------

    void tag(int field, int wireType) {
        varint(((long) field << 3) | wireType);
    }

    void varint(long value) {
        while ((value & ~0x7FL) != 0) {
            buffer[position++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buffer[position++] = (byte) value;
    }

    void sint32(int value) {
        varint(Integer.toUnsignedLong(zigzag(value)));
    }

    void varintField(int field, long value) {
        if (value != 0) {
            tag(field, VARINT);
            varint(value);
        }
    }

    void doubleField(int field, double value) {
        long bits = Double.doubleToRawLongBits(value);
        if (bits != 0) {
            tag(field, FIXED64);
            for (int i = 0; i < 8; i++) {
                buffer[position++] = (byte) (bits >>> (8 * i)); // little-endian
            }
        }
    }

    /** The key and length of a length-delimited field; its {@code length} bytes of content follow. */
    void lengthDelimited(int field, int length) {
        tag(field, LENGTH_DELIMITED);
        varint(length);
    }

    void bytesField(int field, byte[] value) {
        lengthDelimited(field, value.length);
        System.arraycopy(value, 0, buffer, position, value.length);
        position += value.length;
    }
}
