package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.Utf8;
import io.pilotfish.spi.Utf8Interner;
import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import java.util.Arrays;
import java.util.Objects;

/**
 * A MessagePack reader over a byte range, written for hostile input. It reads values the way the trace-agent's
 * decoders do, lenient where they are: {@code nil} reads as the zero value of any scalar, strings may be {@code str}
 * or {@code bin} and invalid UTF-8 in them is repaired ({@link Utf8}), integer fields take any integer encoding and
 * cast it as the agent casts it, floats take integers. It is strict about structure: a declared length that needs
 * more bytes than remain (an array of n elements needs at least n bytes, a map 2n) is refused before anything is
 * allocated, a declared length over {@value #MAX_DECLARED_LENGTH} is refused as the agent refuses it, and skipping a
 * value is iterative, so nesting depth costs no stack. Every error is a {@link TraceDecodeException}. Not
 * thread-safe.
 */
public final class MsgpackReader {

    /** The largest array, map, string or binary length accepted: the trace-agent's limit for v0.5 headers. */
    public static final long MAX_DECLARED_LENGTH = 25_000_000L;

    private static final byte[] NO_BYTES = new byte[0];

    /** The family of the next value, for callers that accept more than one. */
    public enum Type { NIL, BOOLEAN, INTEGER, FLOAT, STRING, BINARY, ARRAY, MAP, EXTENSION }

    private final byte[] buf;
    private final int start;
    private final int limit;
    private final Utf8Interner interner;
    private final DoubleBoxes boxes;
    private final DecodeBudget budget;
    private int pos;
    /** Set by {@link #readInteger}: the value read was a uint64 above {@code Long.MAX_VALUE}, kept as its bits. */
    private boolean largeUnsigned;

    /** A reader of {@code buf[offset, offset + length)} that keeps no strings and sets no heap budget. */
    public MsgpackReader(byte[] buf, int offset, int length) {
        this(buf, offset, length, null, null, DecodeBudget.unlimited());
    }

    /**
     * @param interner where short strings are looked up and kept, or null
     * @param boxes    where metric values are looked up and kept, or null
     * @param budget   charged for the strings and byte arrays made
     */
    MsgpackReader(byte[] buf, int offset, int length, Utf8Interner interner, DoubleBoxes boxes,
                  DecodeBudget budget) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        this.buf = buf;
        this.start = offset;
        this.pos = offset;
        this.limit = offset + length;
        this.interner = interner;
        this.boxes = boxes;
        this.budget = budget;
    }

    /** Bytes read so far. */
    public int position() {
        return pos - start;
    }

    public int remaining() {
        return limit - pos;
    }

    /** The family of the next value, without reading it. */
    public Type nextType() throws TraceDecodeException {
        int lead = peek("a value");
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
            default -> throw error("the reserved byte 0xc1 at byte " + position());
        };
    }

    /** Reads a {@code nil} if one is next. */
    public boolean tryReadNil() throws TraceDecodeException {
        if (peek("a value") == 0xC0) {
            pos++;
            return true;
        }
        return false;
    }

    /** An array's element count; the array must be there. */
    public int readArrayHeader() throws TraceDecodeException {
        int lead = peek("an array");
        long n;
        if ((lead & 0xF0) == 0x90) {
            pos++;
            n = lead & 0x0F;
        } else if (lead == 0xDC) {
            pos++;
            n = readUnsigned(2, "an array length");
        } else if (lead == 0xDD) {
            pos++;
            n = readUnsigned(4, "an array length");
        } else {
            throw typeError("an array", lead);
        }
        return checkCount(n, 1, "an array");
    }

    /** An array's element count, or 0 for {@code nil}. */
    public int readArrayHeaderOrNil() throws TraceDecodeException {
        return tryReadNil() ? 0 : readArrayHeader();
    }

    /** A map's entry count; the map must be there. */
    public int readMapHeader() throws TraceDecodeException {
        int lead = peek("a map");
        long n;
        if ((lead & 0xF0) == 0x80) {
            pos++;
            n = lead & 0x0F;
        } else if (lead == 0xDE) {
            pos++;
            n = readUnsigned(2, "a map length");
        } else if (lead == 0xDF) {
            pos++;
            n = readUnsigned(4, "a map length");
        } else {
            throw typeError("a map", lead);
        }
        return checkCount(n, 2, "a map");
    }

    /** A map's entry count, or 0 for {@code nil}. */
    public int readMapHeaderOrNil() throws TraceDecodeException {
        return tryReadNil() ? 0 : readMapHeader();
    }

    /**
     * A map key ({@code str} or {@code bin}, never {@code nil}, as the agent's generated decoders read keys) matched
     * against {@code keys} (none empty) without making a string: its index, or -1 for a key not among them.
     */
    public int readKey(byte[][] keys) throws TraceDecodeException {
        int len = stringHeader(false, "a map key");
        int off = pos;
        pos += len;
        if (len == 0) {
            return -1; // no key is empty
        }
        byte first = buf[off];
        byte last = buf[off + len - 1];
        for (int i = 0; i < keys.length; i++) {
            byte[] key = keys[i];
            // Length, first and last byte tell most keys apart before the full compare.
            if (key.length == len && key[0] == first && key[len - 1] == last
                    && Arrays.equals(key, 0, len, buf, off, off + len)) {
                return i;
            }
        }
        return -1;
    }

    /** A string: {@code str} or {@code bin}, invalid UTF-8 repaired; {@code nil} reads as "". */
    public String readString() throws TraceDecodeException {
        int len = stringHeader(true, "a string");
        if (len <= 0) {
            return ""; // nil or empty
        }
        int off = pos;
        pos += len;
        if (interner != null && len <= Utf8Interner.MAX_LENGTH) {
            long misses = interner.misses();
            String s = interner.intern(buf, off, len);
            if (interner.misses() != misses) {
                budget.charge(DecodeBudget.STRING + (long) len); // only a new string was allocated
            }
            return s;
        }
        budget.charge(DecodeBudget.STRING + (long) len);
        return Utf8.decode(buf, off, len);
    }

    /** Raw bytes: {@code bin} or {@code str}, copied; {@code nil} reads as none. */
    public byte[] readBinary() throws TraceDecodeException {
        int len = stringHeader(true, "binary");
        if (len <= 0) {
            return NO_BYTES;
        }
        budget.charge(DecodeBudget.BYTES + (long) len);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return out;
    }

    /**
     * A signed 64-bit integer: any integer encoding; a uint64 above {@code Long.MAX_VALUE} is an error, as in the
     * agent; {@code nil} reads as 0.
     */
    public long readInt64() throws TraceDecodeException {
        if (tryReadNil()) {
            return 0;
        }
        int at = position();
        long v = readInteger("an integer");
        if (largeUnsigned) {
            throw error("the uint64 at byte " + at + " overflows int64");
        }
        return v;
    }

    /**
     * An unsigned 64-bit integer, as its bits: any integer encoding, a negative one cast (some tracers' languages
     * have no unsigned type); {@code nil} reads as 0.
     */
    public long readUint64() throws TraceDecodeException {
        return tryReadNil() ? 0 : readInteger("an integer");
    }

    /** A signed 32-bit integer: any integer encoding of a value in range; {@code nil} reads as 0. */
    public int readInt32() throws TraceDecodeException {
        if (tryReadNil()) {
            return 0;
        }
        int at = position();
        long v = readInteger("an integer");
        if (largeUnsigned || v != (int) v) {
            throw error("the integer at byte " + at + " overflows int32");
        }
        return (int) v;
    }

    /**
     * An unsigned 32-bit integer, as its bits: any integer encoding of a value that fits 32 bits, signed or
     * unsigned; {@code nil} reads as 0.
     */
    public int readUint32() throws TraceDecodeException {
        if (tryReadNil()) {
            return 0;
        }
        int at = position();
        long v = readInteger("an integer");
        if (largeUnsigned || v > 0xFFFF_FFFFL || v < Integer.MIN_VALUE) {
            throw error("the integer at byte " + at + " overflows uint32");
        }
        return (int) v;
    }

    /**
     * A float: float64, float32 or any integer (encoders shorten whole numbers to integers); {@code nil} reads as 0.
     * The agent refuses float32 here; no tracer sends it, and taking it costs nothing.
     */
    public double readFloat64() throws TraceDecodeException {
        int lead = peek("a float");
        if (lead == 0xCB) {
            pos++;
            return Double.longBitsToDouble(readUnsigned(8, "a float64"));
        }
        if (lead == 0xCA) {
            pos++;
            return Float.intBitsToFloat((int) readUnsigned(4, "a float32"));
        }
        if (lead == 0xC0) {
            pos++;
            return 0;
        }
        long v = readInteger("a float");
        return largeUnsigned ? unsignedToDouble(v) : v;
    }

    /** {@link #readFloat64} boxed, in a box shared with the same value read before when the reader keeps boxes. */
    Double readFloat64Boxed() throws TraceDecodeException {
        double value = readFloat64();
        return boxes != null ? boxes.box(value) : Double.valueOf(value);
    }

    /** A boolean; {@code nil} reads as false. */
    public boolean readBoolean() throws TraceDecodeException {
        int lead = peek("a boolean");
        if (lead == 0xC2 || lead == 0xC0) {
            pos++;
            return false;
        }
        if (lead == 0xC3) {
            pos++;
            return true;
        }
        throw typeError("a boolean", lead);
    }

    /**
     * Steps over the next value, whatever it holds. Iterative: it counts the values still to skip instead of
     * recursing, and refuses a container whose elements, with those already pending, need more bytes than remain.
     */
    public void skipValue() throws TraceDecodeException {
        long pending = 1;
        while (pending > 0) {
            pending--;
            int lead = peek("a value");
            pos++;
            if (lead <= 0x7F || lead >= 0xE0 || lead == 0xC0 || lead == 0xC2 || lead == 0xC3) {
                continue;
            }
            if (lead <= 0x8F) {
                pending = pendingWith(pending, lead & 0x0F, 2, "a map");
                continue;
            }
            if (lead <= 0x9F) {
                pending = pendingWith(pending, lead & 0x0F, 1, "an array");
                continue;
            }
            if (lead <= 0xBF) {
                skipBytes(lead & 0x1F, "a string");
                continue;
            }
            switch (lead) {
                case 0xC4, 0xD9 -> skipBytes(readUnsigned(1, "a length"), "a string");
                case 0xC5, 0xDA -> skipBytes(readUnsigned(2, "a length"), "a string");
                case 0xC6, 0xDB -> skipBytes(readUnsigned(4, "a length"), "a string");
                case 0xC7 -> skipBytes(readUnsigned(1, "a length") + 1, "an extension");
                case 0xC8 -> skipBytes(readUnsigned(2, "a length") + 1, "an extension");
                case 0xC9 -> skipBytes(readUnsigned(4, "a length") + 1, "an extension");
                case 0xCA, 0xCE, 0xD2 -> skipBytes(4, "a number");
                case 0xCB, 0xCF, 0xD3 -> skipBytes(8, "a number");
                case 0xCC, 0xD0 -> skipBytes(1, "a number");
                case 0xCD, 0xD1 -> skipBytes(2, "a number");
                case 0xD4 -> skipBytes(2, "an extension");
                case 0xD5 -> skipBytes(3, "an extension");
                case 0xD6 -> skipBytes(5, "an extension");
                case 0xD7 -> skipBytes(9, "an extension");
                case 0xD8 -> skipBytes(17, "an extension");
                case 0xDC -> pending = pendingWith(pending, readUnsigned(2, "a length"), 1, "an array");
                case 0xDD -> pending = pendingWith(pending, readUnsigned(4, "a length"), 1, "an array");
                case 0xDE -> pending = pendingWith(pending, readUnsigned(2, "a length"), 2, "a map");
                case 0xDF -> pending = pendingWith(pending, readUnsigned(4, "a length"), 2, "a map");
                default -> throw error("the reserved byte 0xc1 at byte " + (position() - 1));
            }
        }
    }

    /** Charges the budget for an object the caller makes from what it read. */
    void charge(long bytes) throws TraceDecodeException {
        budget.charge(bytes);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Reads any integer encoding: its value, or for a uint64 above {@code Long.MAX_VALUE} its bits with
     * {@link #largeUnsigned} set.
     */
    private long readInteger(String expected) throws TraceDecodeException {
        int lead = peek(expected);
        largeUnsigned = false;
        if (lead <= 0x7F) {
            pos++;
            return lead;
        }
        if (lead >= 0xE0) {
            pos++;
            return (byte) lead;
        }
        pos++;
        return switch (lead) {
            case 0xCC -> readUnsigned(1, expected);
            case 0xCD -> readUnsigned(2, expected);
            case 0xCE -> readUnsigned(4, expected);
            case 0xCF -> {
                long v = readUnsigned(8, expected);
                largeUnsigned = v < 0;
                yield v;
            }
            case 0xD0 -> (byte) readUnsigned(1, expected);
            case 0xD1 -> (short) readUnsigned(2, expected);
            case 0xD2 -> (int) readUnsigned(4, expected);
            case 0xD3 -> readUnsigned(8, expected);
            default -> {
                pos--;
                throw typeError(expected, lead);
            }
        };
    }

    /** The length of a {@code str} or {@code bin} whose bytes follow, checked against what remains; -1 for nil. */
    private int stringHeader(boolean nilAllowed, String expected) throws TraceDecodeException {
        int lead = peek(expected);
        long len;
        if ((lead & 0xE0) == 0xA0) {
            pos++;
            len = lead & 0x1F;
        } else {
            switch (lead) {
                case 0xC0 -> {
                    if (!nilAllowed) {
                        throw typeError(expected, lead);
                    }
                    pos++;
                    return -1;
                }
                case 0xD9, 0xC4 -> {
                    pos++;
                    len = readUnsigned(1, expected);
                }
                case 0xDA, 0xC5 -> {
                    pos++;
                    len = readUnsigned(2, expected);
                }
                case 0xDB, 0xC6 -> {
                    pos++;
                    len = readUnsigned(4, expected);
                }
                default -> throw typeError(expected, lead);
            }
        }
        if (len > MAX_DECLARED_LENGTH) {
            throw new TraceDecodeException(Reason.TOO_LONG, "declared length " + len + " of " + expected
                    + " before byte " + position() + " is over " + MAX_DECLARED_LENGTH);
        }
        if (len > remaining()) {
            throw eof(expected + " of " + len + " bytes");
        }
        return (int) len;
    }

    private int checkCount(long n, int minBytesEach, String what) throws TraceDecodeException {
        if (n > MAX_DECLARED_LENGTH) {
            throw new TraceDecodeException(Reason.TOO_LONG, "declared length " + n + " of " + what + " before byte "
                    + position() + " is over " + MAX_DECLARED_LENGTH);
        }
        if (n * minBytesEach > remaining()) {
            throw eof(what + " of " + n + " elements");
        }
        return (int) n;
    }

    /** The values still to skip once a container of {@code n} entries of {@code valuesEach} values is added. */
    private long pendingWith(long pending, long n, int valuesEach, String what) throws TraceDecodeException {
        if (n > MAX_DECLARED_LENGTH) {
            throw new TraceDecodeException(Reason.TOO_LONG, "declared length " + n + " of " + what + " before byte "
                    + position() + " is over " + MAX_DECLARED_LENGTH);
        }
        long total = pending + n * valuesEach;
        if (total > remaining()) { // every value still to skip takes at least one byte
            throw eof(what + " of " + n + " elements");
        }
        return total;
    }

    private void skipBytes(long n, String what) throws TraceDecodeException {
        if (n > MAX_DECLARED_LENGTH + 1) {
            throw new TraceDecodeException(Reason.TOO_LONG, "declared length " + n + " of " + what + " before byte "
                    + position() + " is over " + MAX_DECLARED_LENGTH);
        }
        if (n > remaining()) {
            throw eof(what + " of " + n + " bytes");
        }
        pos += (int) n;
    }

    /** The next {@code n} bytes as a big-endian unsigned number (n = 8: the bits). */
    private long readUnsigned(int n, String what) throws TraceDecodeException {
        if (n > remaining()) {
            throw eof(what);
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = v << 8 | (buf[pos + i] & 0xFF);
        }
        pos += n;
        return v;
    }

    private int peek(String what) throws TraceDecodeException {
        if (pos >= limit) {
            throw eof(what);
        }
        return buf[pos] & 0xFF;
    }

    /** A uint64's bits as the nearest double, rounded as Go's {@code float64(uint64)} rounds. */
    private static double unsignedToDouble(long bits) {
        double half = (double) ((bits >>> 1) | (bits & 1)); // keeps the sticky bit for correct rounding
        return half * 2.0;
    }

    private TraceDecodeException eof(String what) {
        return new TraceDecodeException(Reason.UNEXPECTED_EOF,
                "unexpected end of input in " + what + " at byte " + position() + " of " + (limit - start));
    }

    private TraceDecodeException typeError(String expected, int lead) {
        return error("expected " + expected + " at byte " + position() + ", found " + describe(lead));
    }

    private static TraceDecodeException error(String message) {
        return new TraceDecodeException(Reason.DECODING_ERROR, message);
    }

    private static String describe(int lead) {
        if (lead <= 0x7F || lead >= 0xE0) {
            return "an integer";
        }
        if (lead <= 0x8F) {
            return "a map";
        }
        if (lead <= 0x9F) {
            return "an array";
        }
        if (lead <= 0xBF) {
            return "a string";
        }
        return switch (lead) {
            case 0xC0 -> "nil";
            case 0xC1 -> "the reserved byte 0xc1";
            case 0xC2, 0xC3 -> "a boolean";
            case 0xC4, 0xC5, 0xC6 -> "binary";
            case 0xCA, 0xCB -> "a float";
            case 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3 -> "an integer";
            case 0xD9, 0xDA, 0xDB -> "a string";
            case 0xDC, 0xDD -> "an array";
            case 0xDE, 0xDF -> "a map";
            default -> "an extension";
        };
    }
}
