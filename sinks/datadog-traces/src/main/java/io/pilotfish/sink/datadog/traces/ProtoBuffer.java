package io.pilotfish.sink.datadog.traces;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growing buffer that writes the protobuf wire format in one pass. A nested message's length comes before its
 * content, but a trace's size is only known once written: {@link #beginMessage} leaves room for the length and
 * {@link #endMessage} fills it in, moving the content when the length took more or fewer bytes than the room left.
 * That costs one copy of a message per nesting level at most, cheaper than sizing every span twice.
 *
 * <p>Scalar fields at their default value (0, +0.0, false, empty) are left out, as proto3 encoders do. Map entries
 * always carry both key and value, as Go's generated code writes them. Not thread-safe.
 */
final class ProtoBuffer {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;

    private byte[] buffer;
    private int position;
    /** The UTF-8 of short strings seen before, or null to encode every string afresh. */
    private final StringBytes strings;

    ProtoBuffer(int initialCapacity) {
        this(initialCapacity, null);
    }

    ProtoBuffer(int initialCapacity, StringBytes strings) {
        this.buffer = new byte[Math.max(64, initialCapacity)];
        this.strings = strings;
    }

    /** Empties the buffer for the next payload, keeping its room. */
    void reset() {
        position = 0;
    }

    int capacity() {
        return buffer.length;
    }

    byte[] buffer() {
        return buffer;
    }

    int position() {
        return position;
    }

    /** Forgets everything written from {@code mark} on (a trace that turned out too large). */
    void rewind(int mark) {
        position = mark;
    }

    /** Appends bytes written elsewhere, e.g. the fields of a message prepared once. */
    void raw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, position, bytes.length);
        position += bytes.length;
    }

    // ---- sizes --------------------------------------------------------------------------------------------------

    /** Bytes of {@code value} as a varint; negative values take ten (two's complement, as int64). */
    static int varintSize(long value) {
        return value < 0 ? 10 : (63 - Long.numberOfLeadingZeros(value | 1)) / 7 + 1;
    }

    // ---- nested messages -----------------------------------------------------------------------------------------

    /**
     * Starts a message field whose length is filled in by {@link #endMessage}.
     *
     * @param lengthRoom bytes left for the length: 1 for messages under 128 bytes, 2 under 16 KiB, 3 under 2 MiB; a
     *                   wrong guess only costs a move of the content
     * @return the mark to give to {@link #endMessage}
     */
    long beginMessage(int field, int lengthRoom) {
        tag(field, LENGTH_DELIMITED);
        ensure(lengthRoom);
        int at = position;
        position += lengthRoom;
        return (long) lengthRoom << 32 | at;
    }

    /** Ends the message begun at {@code mark}: writes its length and moves the content if need be. */
    void endMessage(long mark) {
        int lengthRoom = (int) (mark >>> 32);
        int at = (int) mark;
        int contentStart = at + lengthRoom;
        int length = position - contentStart;
        int lengthBytes = varintSize(length);
        if (lengthBytes != lengthRoom) {
            ensure(lengthBytes - lengthRoom);
            System.arraycopy(buffer, contentStart, buffer, at + lengthBytes, length);
            position = at + lengthBytes + length;
        }
        int saved = position;
        position = at;
        varint(length);
        position = saved;
    }

    /** Where the length of the message begun at {@code mark} goes (its tag is just before). */
    static int lengthAt(long mark) {
        return (int) mark;
    }

    /** Bytes written since {@link #beginMessage} returned {@code mark}, the length room excluded. */
    int contentSince(long mark) {
        return position - ((int) mark + (int) (mark >>> 32));
    }

    // ---- scalar fields ------------------------------------------------------------------------------------------

    void tag(int field, int wireType) {
        if (field < 16) {
            // Every field number here but the nested ones fits one byte: skip the varint loop.
            ensure(1);
            buffer[position++] = (byte) (field << 3 | wireType);
        } else {
            varint((long) field << 3 | wireType);
        }
    }

    void varint(long value) {
        ensure(10);
        uncheckedVarint(value);
    }

    /** A varint where the caller has made room for it. */
    private void uncheckedVarint(long value) {
        while ((value & ~0x7FL) != 0) {
            buffer[position++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buffer[position++] = (byte) value;
    }

    /** uint64, int64: the long as it is (a uint64 above Long.MAX_VALUE is a negative long with the same bits). */
    void varintField(int field, long value) {
        if (value != 0) {
            tag(field, VARINT);
            varint(value);
        }
    }

    /** int32: a negative value is sign-extended to ten bytes, as protobuf requires. */
    void int32Field(int field, int value) {
        varintField(field, value);
    }

    /** uint32: the int's 32 bits, never sign-extended. */
    void uint32Field(int field, int value) {
        varintField(field, Integer.toUnsignedLong(value));
    }

    void boolField(int field, boolean value) {
        if (value) {
            tag(field, VARINT);
            varint(1);
        }
    }

    /** A double; left out only for +0.0 (−0.0 has other bits and is kept, as Go's encoder keeps it). */
    void doubleField(int field, double value) {
        fixed64Field(field, Double.doubleToRawLongBits(value));
    }

    void fixed64Field(int field, long bits) {
        if (bits != 0) {
            tag(field, FIXED64);
            fixed64(bits);
        }
    }

    private void fixed64(long bits) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buffer[position++] = (byte) (bits >>> (8 * i)); // little-endian
        }
    }

    void stringField(int field, String value) {
        if (!value.isEmpty()) {
            tag(field, LENGTH_DELIMITED);
            lengthAndBytes(utf8(value));
        }
    }

    void bytesField(int field, byte[] value) {
        if (value.length > 0) {
            tag(field, LENGTH_DELIMITED);
            lengthAndBytes(value);
        }
    }

    // ---- map entries ---------------------------------------------------------------------------------------------

    /** One entry of a {@code map<string, string>}: key 1, value 2, both always written. */
    void stringEntry(int field, String key, String value) {
        bytesEntry(field, key, utf8(value));
    }

    /** One entry of a {@code map<string, bytes>}. */
    void bytesEntry(int field, String key, byte[] value) {
        byte[] k = utf8(key);
        int size = 1 + varintSize(k.length) + k.length + 1 + varintSize(value.length) + value.length;
        tag(field, LENGTH_DELIMITED);
        // One room check for the whole entry: map entries are most of a span's bytes.
        ensure(5 + size);
        uncheckedVarint(size);
        buffer[position++] = 1 << 3 | LENGTH_DELIMITED;
        uncheckedVarint(k.length);
        System.arraycopy(k, 0, buffer, position, k.length);
        position += k.length;
        buffer[position++] = 2 << 3 | LENGTH_DELIMITED;
        uncheckedVarint(value.length);
        System.arraycopy(value, 0, buffer, position, value.length);
        position += value.length;
    }

    /** One entry of a {@code map<string, double>}: the value is a fixed64, written even when 0. */
    void doubleEntry(int field, String key, double value) {
        byte[] k = utf8(key);
        tag(field, LENGTH_DELIMITED);
        varint(1 + varintSize(k.length) + k.length + 1 + 8);
        tag(1, LENGTH_DELIMITED);
        lengthAndBytes(k);
        tag(2, FIXED64);
        fixed64(Double.doubleToRawLongBits(value));
    }

    /** The key of a map entry whose value is a message: the caller writes field 2 next. */
    void entryKey(String key) {
        tag(1, LENGTH_DELIMITED);
        lengthAndBytes(utf8(key));
    }

    private void lengthAndBytes(byte[] value) {
        varint(value.length);
        ensure(value.length);
        System.arraycopy(value, 0, buffer, position, value.length);
        position += value.length;
    }

    /**
     * UTF-8 of a Java string; a lone surrogate becomes {@code ?}, so the result is always valid UTF-8, which protobuf
     * strings must be.
     */
    private byte[] utf8(String value) {
        return strings != null ? strings.utf8(value) : value.getBytes(StandardCharsets.UTF_8);
    }

    private void ensure(int more) {
        if (buffer.length - position < more) {
            long wanted = Math.max((long) buffer.length * 2, (long) position + more);
            if (wanted > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("protobuf payload over 2 GiB");
            }
            buffer = Arrays.copyOf(buffer, (int) wanted);
        }
    }
}
