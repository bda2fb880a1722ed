package io.pilotfish.testkit;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A strict reader of the protobuf wire format (varints, fixed32/64, length-delimited fields), written for the
 * testkit so that what it decodes does not depend on any encoder under test. Whatever a protobuf parser would refuse
 * (a truncated value, a length beyond the message, an over-long varint, a group or an unknown wire type, a string
 * that is not UTF-8) is an {@link IllegalArgumentException} naming the byte offset in the whole body.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] buffer;
    private final int limit;
    private int position;

    ProtoReader(byte[] buffer) {
        this(buffer, 0, buffer.length);
    }

    private ProtoReader(byte[] buffer, int start, int limit) {
        this.buffer = buffer;
        this.position = start;
        this.limit = limit;
    }

    boolean atEnd() {
        return position >= limit;
    }

    /** Offset of the next byte in the whole body, for error messages. */
    int position() {
        return position;
    }

    /** The next field's key: field number in the upper bits, wire type in the lowest three. */
    int readTag() {
        int at = position;
        long key = readVarint();
        if (key > 0xFFFF_FFFFL || key < 0) {
            throw error(at, "field key " + key + " does not fit 32 bits");
        }
        int tag = (int) key;
        int field = tag >>> 3;
        int wireType = tag & 7;
        if (field == 0) {
            throw error(at, "field number 0 is not allowed");
        }
        if (wireType == 3 || wireType == 4) {
            throw error(at, "field " + field + " is a group (wire type " + wireType + "), which proto3 does not have");
        }
        if (wireType > 5) {
            throw error(at, "field " + field + " has wire type " + wireType + ", which does not exist");
        }
        return tag;
    }

    static int fieldNumber(int tag) {
        return tag >>> 3;
    }

    static int wireType(int tag) {
        return tag & 7;
    }

    long readVarint() {
        int at = position;
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= limit) {
                throw error(at, "truncated varint");
            }
            byte b = buffer[position++];
            if (shift == 63 && (b & 0xfe) != 0) {
                throw error(at, "varint longer than 64 bits");
            }
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw error(at, "varint longer than 10 bytes");
    }

    long readFixed64() {
        require(8, "fixed64");
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value |= (buffer[position++] & 0xffL) << (8 * i);
        }
        return value;
    }

    int readFixed32() {
        require(4, "fixed32");
        int value = 0;
        for (int i = 0; i < 4; i++) {
            value |= (buffer[position++] & 0xff) << (8 * i);
        }
        return value;
    }

    double readDouble() {
        return Double.longBitsToDouble(readFixed64());
    }

    /** A reader over the next length-delimited field's bytes; this reader moves past them. */
    ProtoReader readLengthDelimited() {
        int at = position;
        long length = readVarint();
        if (length < 0 || length > limit - position) {
            throw error(at, "length " + length + " runs past the end of its message (" + (limit - position)
                    + " bytes left)");
        }
        ProtoReader inner = new ProtoReader(buffer, position, position + (int) length);
        position += (int) length;
        return inner;
    }

    String readString() {
        ProtoReader bytes = readLengthDelimited();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buffer, bytes.position, bytes.limit - bytes.position))
                    .toString();
        } catch (CharacterCodingException e) {
            throw error(bytes.position, "string is not valid UTF-8");
        }
    }

    /** Skips the value of a field of this wire type (unknown fields are allowed and ignored). */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> readFixed64();
            case LENGTH_DELIMITED -> readLengthDelimited();
            case FIXED32 -> readFixed32();
            default -> throw error(position, "cannot skip wire type " + wireType);
        }
    }

    private void require(int bytes, String what) {
        if (limit - position < bytes) {
            throw error(position, "truncated " + what + " (" + (limit - position) + " of " + bytes + " bytes)");
        }
    }

    private static IllegalArgumentException error(int offset, String message) {
        return new IllegalArgumentException("at byte " + offset + ": " + message);
    }
}
