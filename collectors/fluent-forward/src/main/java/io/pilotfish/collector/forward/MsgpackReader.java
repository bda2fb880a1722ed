package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.ForwardException.Reason;
import io.pilotfish.spi.Utf8;
import io.pilotfish.spi.Utf8Interner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A MessagePack reader over one whole frame (or one entry of a packed stream), written for hostile input: every
 * length is checked against the bytes that remain before anything is allocated, strings that are not valid UTF-8 are
 * repaired, and nesting deeper than {@value #MAX_DEPTH} is refused. Every error is a {@link ForwardException}. Not
 * thread-safe.
 */
final class MsgpackReader {

    /** Deeper records are refused: no logger sends them, and reading them would cost stack. */
    static final int MAX_DEPTH = 64;

    /** The family of the next value. */
    enum Type { NIL, BOOLEAN, INTEGER, FLOAT, STRING, BINARY, ARRAY, MAP, EXTENSION }

    /** An extension value: its type and where its data is. */
    record Extension(int type, int offset, int length) {
    }

    private final byte[] buf;
    private final int limit;
    private final Utf8Interner interner;
    private int pos;

    MsgpackReader(byte[] buf, int offset, int length) {
        this(buf, offset, length, null);
    }

    /**
     * @param interner where short strings (field names, container ids, stream names: the same in every record) are
     *                 looked up and kept, or null
     */
    MsgpackReader(byte[] buf, int offset, int length, Utf8Interner interner) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        this.buf = buf;
        this.pos = offset;
        this.limit = offset + length;
        this.interner = interner;
    }

    byte[] buffer() {
        return buf;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return limit - pos;
    }

    Type nextType() throws ForwardException {
        int lead = peek();
        if (lead <= 0x7F || lead >= 0xE0) {
            return Type.INTEGER;
        }
        if (lead <= 0x8F) {
            return Type.MAP;
        }
        if (lead <= 0x9F) {
            return Type.ARRAY;
        }
        if (lead <= 0xBF) {
            return Type.STRING;
        }
        return switch (lead) {
            case 0xC0 -> Type.NIL;
            case 0xC2, 0xC3 -> Type.BOOLEAN;
            case 0xC4, 0xC5, 0xC6 -> Type.BINARY;
            case 0xC7, 0xC8, 0xC9, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8 -> Type.EXTENSION;
            case 0xCA, 0xCB -> Type.FLOAT;
            case 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3 -> Type.INTEGER;
            case 0xD9, 0xDA, 0xDB -> Type.STRING;
            case 0xDC, 0xDD -> Type.ARRAY;
            case 0xDE, 0xDF -> Type.MAP;
            default -> throw new ForwardException(Reason.GARBAGE, "the reserved byte 0xc1");
        };
    }

    boolean tryReadNil() throws ForwardException {
        if (peek() == 0xC0) {
            pos++;
            return true;
        }
        return false;
    }

    int readArrayHeader(String what) throws ForwardException {
        int lead = peek();
        long n;
        if ((lead & 0xF0) == 0x90) {
            pos++;
            n = lead & 0x0F;
        } else if (lead == 0xDC || lead == 0xDD) {
            pos++;
            n = unsigned(lead == 0xDC ? 2 : 4);
        } else {
            throw wrongType(what + " (an array)");
        }
        return count(n, 1, what);
    }

    int readMapHeader(String what) throws ForwardException {
        int lead = peek();
        long n;
        if ((lead & 0xF0) == 0x80) {
            pos++;
            n = lead & 0x0F;
        } else if (lead == 0xDE || lead == 0xDF) {
            pos++;
            n = unsigned(lead == 0xDE ? 2 : 4);
        } else {
            throw wrongType(what + " (a map)");
        }
        return count(n, 2, what);
    }

    /**
     * The length of the {@code str} or {@code bin} next, whose bytes then start at {@link #position}; the caller
     * steps over them with {@link #skipBytes}.
     */
    int readBytesHeader(String what) throws ForwardException {
        int lead = peek();
        long len;
        if ((lead & 0xE0) == 0xA0) {
            pos++;
            len = lead & 0x1F;
        } else {
            int lengthBytes = switch (lead) {
                case 0xD9, 0xC4 -> 1;
                case 0xDA, 0xC5 -> 2;
                case 0xDB, 0xC6 -> 4;
                default -> throw wrongType(what + " (a string)");
            };
            pos++;
            len = unsigned(lengthBytes);
        }
        if (len > remaining()) {
            throw truncated(what + " of " + len + " bytes");
        }
        return (int) len;
    }

    void skipBytes(int n) {
        pos += n;
    }

    /** A string ({@code str} or {@code bin}), invalid UTF-8 repaired. */
    String readString(String what) throws ForwardException {
        int len = readBytesHeader(what);
        String s = interner != null && len > 0 && len <= interner.maxLength() ? interner.intern(buf, pos, len)
                : Utf8.decode(buf, pos, len);
        pos += len;
        return s;
    }

    /** Any integer encoding, as a long (a uint64 above {@code Long.MAX_VALUE} as its bits). */
    long readLong(String what) throws ForwardException {
        int lead = peek();
        if (lead <= 0x7F) {
            pos++;
            return lead;
        }
        if (lead >= 0xE0) {
            pos++;
            return (byte) lead;
        }
        return switch (lead) {
            case 0xCC -> { pos++; yield unsigned(1); }
            case 0xCD -> { pos++; yield unsigned(2); }
            case 0xCE -> { pos++; yield unsigned(4); }
            case 0xCF -> { pos++; yield unsigned(8); }
            case 0xD0 -> { pos++; yield (byte) unsigned(1); }
            case 0xD1 -> { pos++; yield (short) unsigned(2); }
            case 0xD2 -> { pos++; yield (int) unsigned(4); }
            case 0xD3 -> { pos++; yield unsigned(8); }
            default -> throw wrongType(what + " (an integer)");
        };
    }

    double readDouble(String what) throws ForwardException {
        int lead = peek();
        if (lead == 0xCB) {
            pos++;
            return Double.longBitsToDouble(unsigned(8));
        }
        if (lead == 0xCA) {
            pos++;
            return Float.intBitsToFloat((int) unsigned(4));
        }
        return readLong(what);
    }

    Extension readExtension(String what) throws ForwardException {
        int lead = peek();
        long len;
        switch (lead) {
            case 0xD4 -> len = 1;
            case 0xD5 -> len = 2;
            case 0xD6 -> len = 4;
            case 0xD7 -> len = 8;
            case 0xD8 -> len = 16;
            case 0xC7, 0xC8, 0xC9 -> {
                pos++;
                len = unsigned(lead == 0xC7 ? 1 : lead == 0xC8 ? 2 : 4);
                pos--; // so that the step below lands on the type byte for every form
            }
            default -> throw wrongType(what + " (an extension)");
        }
        pos++;
        if (len + 1 > remaining()) {
            throw truncated(what + " of " + len + " bytes");
        }
        int type = buf[pos];
        pos++;
        Extension ext = new Extension(type, pos, (int) len);
        pos += (int) len;
        return ext;
    }

    /** Four big-endian bytes at {@code offset}, as an unsigned number. */
    long uint32At(int offset) {
        return (buf[offset] & 0xFFL) << 24 | (buf[offset + 1] & 0xFFL) << 16 | (buf[offset + 2] & 0xFFL) << 8
                | (buf[offset + 3] & 0xFFL);
    }

    /**
     * The next value as plain Java: {@code null}, Boolean, Long, Double, String (bin too, repaired), List, Map
     * (string keys; other keys as their text); an extension as its hex text.
     */
    Object readValue(int depth) throws ForwardException {
        if (depth > MAX_DEPTH) {
            throw new ForwardException(Reason.TOO_DEEP, "values nested deeper than " + MAX_DEPTH);
        }
        return switch (nextType()) {
            case NIL -> {
                pos++;
                yield null;
            }
            case BOOLEAN -> buf[pos++] == (byte) 0xC3;
            case INTEGER -> readLong("an integer");
            case FLOAT -> readDouble("a float");
            case STRING, BINARY -> readString("a string");
            case EXTENSION -> {
                Extension ext = readExtension("an extension");
                yield java.util.HexFormat.of().formatHex(buf, ext.offset(), ext.offset() + ext.length());
            }
            case ARRAY -> {
                int n = readArrayHeader("an array");
                List<Object> list = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    list.add(readValue(depth + 1));
                }
                yield list;
            }
            case MAP -> {
                int n = readMapHeader("a map");
                Map<String, Object> map = new LinkedHashMap<>(Math.min(n, 1024) * 2);
                for (int i = 0; i < n; i++) {
                    Object key = readValue(depth + 1);
                    map.put(String.valueOf(key), readValue(depth + 1));
                }
                yield map;
            }
        };
    }

    /** Steps over the next value, whatever it holds. */
    void skipValue() throws ForwardException {
        readValue(0);
    }

    private int count(long n, int minBytesEach, String what) throws ForwardException {
        if (n * minBytesEach > remaining()) {
            throw truncated(what + " of " + n + " elements");
        }
        return (int) n;
    }

    private long unsigned(int n) throws ForwardException {
        if (n > remaining()) {
            throw truncated("a number");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 8 | (buf[pos + i] & 0xFF);
        }
        pos += n;
        return v;
    }

    private int peek() throws ForwardException {
        if (pos >= limit) {
            throw truncated("a value");
        }
        return buf[pos] & 0xFF;
    }

    private ForwardException truncated(String what) {
        return new ForwardException(Reason.TRUNCATED, "the frame ends inside " + what);
    }

    private ForwardException wrongType(String expected) throws ForwardException {
        return new ForwardException(Reason.WRONG_TYPE, "expected " + expected + ", found " + nextType().name()
                .toLowerCase(java.util.Locale.ROOT));
    }
}
