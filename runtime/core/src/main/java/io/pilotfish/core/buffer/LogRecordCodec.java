package io.pilotfish.core.buffer;

import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compact binary form of a {@link LogRecord}, for the disk buffer. Every field is kept: the message bytes as they
 * are, the timestamp, the four strings, the tags, and the attributes recursively with their types (whole numbers
 * stay {@code Integer} or {@code Long}, decimals {@code Double} or {@code Float}, big numbers keep their digits, maps
 * keep their order).
 *
 * <pre>
 * record     = bytes(message) varlong(zigzag timestamp) str(status) str(service) str(source) str(hostname)
 *              varint(tag count) str(tag)* value(attributes map)
 * bytes, str = varint(length) UTF-8
 * value      = a type byte, then: nothing (null, false, true), str, varint, varlong, 8 or 4 bytes (double, float),
 *              str of the digits (BigInteger, BigDecimal, other Number), varint(count) value* (list),
 *              varint(count) (str value)* (map)
 * </pre>
 *
 * <p>Strings are UTF-8: a lone surrogate in a Java string (never produced by the collectors, which repair their
 * input) comes back as {@code ?}. Nesting deeper than {@value #MAX_DEPTH} levels is written as the text of the
 * deeper value, so a hostile structure cannot exhaust the stack at encoding or decoding.
 */
public final class LogRecordCodec {

    static final int MAX_DEPTH = 64;

    private static final byte NULL = 0;
    private static final byte FALSE = 1;
    private static final byte TRUE = 2;
    private static final byte STRING = 3;
    private static final byte INT = 4;
    private static final byte LONG = 5;
    private static final byte DOUBLE = 6;
    private static final byte FLOAT = 7;
    private static final byte BIG_INTEGER = 8;
    private static final byte BIG_DECIMAL = 9;
    private static final byte LIST = 10;
    private static final byte MAP = 11;

    private LogRecordCodec() {
    }

    /** Appends the record to {@code out}. */
    public static void encode(LogRecord record, ByteSink out) {
        out.bytes(record.message());
        out.varlong(zigzag(record.timestamp()));
        out.str(record.status());
        out.str(record.service());
        out.str(record.source());
        out.str(record.hostname());
        TagSet tags = record.tags();
        out.varint(tags.size());
        for (String tag : tags) {
            out.str(tag);
        }
        value(record.attributes(), out, 0);
    }

    /**
     * Reads one record from {@code in}, which must hold exactly one.
     *
     * @throws IllegalArgumentException if the bytes are not a record this codec wrote
     */
    public static LogRecord decode(ByteBuffer in) {
        try {
            byte[] message = bytes(in);
            long timestamp = unzigzag(varlong(in));
            String status = str(in);
            String service = str(in);
            String source = str(in);
            String hostname = str(in);
            int tagCount = length(in);
            List<String> tags = new ArrayList<>(Math.min(tagCount, 1024));
            for (int i = 0; i < tagCount; i++) {
                tags.add(str(in));
            }
            Object attributes = value(in, 0);
            if (!(attributes instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("attributes are not a map");
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes after the record");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) attributes;
            return new LogRecord(message, timestamp, status, service, source, hostname, TagSet.of(tags), map);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("record cut short", e);
        }
    }

    private static void value(Object value, ByteSink out, int depth) {
        if (value == null) {
            out.b(NULL);
        } else if (value instanceof Boolean bool) {
            out.b(bool ? TRUE : FALSE);
        } else if (value instanceof String s) {
            out.b(STRING);
            out.str(s);
        } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            out.b(INT);
            out.varint(zigzag(((Number) value).intValue()));
        } else if (value instanceof Long l) {
            out.b(LONG);
            out.varlong(zigzag(l));
        } else if (value instanceof Double d) {
            out.b(DOUBLE);
            out.fixed64(Double.doubleToRawLongBits(d));
        } else if (value instanceof Float f) {
            out.b(FLOAT);
            out.fixed32(Float.floatToRawIntBits(f));
        } else if (value instanceof BigInteger big) {
            out.b(BIG_INTEGER);
            out.str(big.toString());
        } else if (value instanceof Number number) {
            // BigDecimal, and any other Number (AtomicLong...) by its digits.
            out.b(BIG_DECIMAL);
            out.str(number instanceof BigDecimal decimal ? decimal.toString() : number.toString());
        } else if (depth >= MAX_DEPTH) {
            out.b(STRING);
            out.str(String.valueOf(value));
        } else if (value instanceof Map<?, ?> map) {
            out.b(MAP);
            out.varint(map.size());
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.str(String.valueOf(entry.getKey()));
                value(entry.getValue(), out, depth + 1);
            }
        } else if (value instanceof List<?> list) {
            out.b(LIST);
            out.varint(list.size());
            for (Object element : list) {
                value(element, out, depth + 1);
            }
        } else {
            out.b(STRING);
            out.str(String.valueOf(value));
        }
    }

    private static Object value(ByteBuffer in, int depth) {
        byte type = in.get();
        switch (type) {
            case NULL:
                return null;
            case FALSE:
                return Boolean.FALSE;
            case TRUE:
                return Boolean.TRUE;
            case STRING:
                return str(in);
            case INT:
                return unzigzag((int) varlong(in));
            case LONG:
                return unzigzag(varlong(in));
            case DOUBLE:
                return Double.longBitsToDouble(in.getLong());
            case FLOAT:
                return Float.intBitsToFloat(in.getInt());
            case BIG_INTEGER:
                return new BigInteger(str(in));
            case BIG_DECIMAL:
                return new BigDecimal(str(in));
            case LIST: {
                checkDepth(depth);
                int count = length(in);
                List<Object> list = new ArrayList<>(Math.min(count, 1024));
                for (int i = 0; i < count; i++) {
                    list.add(value(in, depth + 1));
                }
                return Collections.unmodifiableList(list);
            }
            case MAP: {
                checkDepth(depth);
                int count = length(in);
                Map<String, Object> map = new LinkedHashMap<>(Math.min(count, 1024) * 2);
                for (int i = 0; i < count; i++) {
                    String key = str(in);
                    map.put(key, value(in, depth + 1));
                }
                return depth == 0 ? map : Collections.unmodifiableMap(map);
            }
            default:
                throw new IllegalArgumentException("unknown value type " + type);
        }
    }

    private static void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
        }
    }

    private static byte[] bytes(ByteBuffer in) {
        int length = length(in);
        byte[] out = new byte[length];
        in.get(out);
        return out;
    }

    private static String str(ByteBuffer in) {
        int length = length(in);
        if (length == 0) {
            return "";
        }
        String s;
        if (in.hasArray()) {
            s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
            in.position(in.position() + length);
        } else {
            byte[] bytes = new byte[length];
            in.get(bytes);
            s = new String(bytes, StandardCharsets.UTF_8);
        }
        return s;
    }

    /** A length that fits in what is left, so a corrupt length never allocates a huge array. */
    private static int length(ByteBuffer in) {
        long length = varlong(in);
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("length " + length + " beyond the record's " + in.remaining()
                    + " remaining bytes");
        }
        return (int) length;
    }

    private static long varlong(ByteBuffer in) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    private static long zigzag(long value) {
        return (value << 1) ^ (value >> 63);
    }

    private static int zigzag(int value) {
        return (value << 1) ^ (value >> 31);
    }

    private static long unzigzag(long value) {
        return (value >>> 1) ^ -(value & 1);
    }

    private static int unzigzag(int value) {
        return (value >>> 1) ^ -(value & 1);
    }

    /** A growable byte array the codec appends to; reused between records. */
    public static final class ByteSink {
        private byte[] buf;
        private int pos;

        public ByteSink(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        public void reset() {
            pos = 0;
        }

        /** Drops a buffer that grew for one large record, once it is no longer needed. */
        public void shrink(int capacity) {
            if (buf.length > capacity) {
                buf = new byte[capacity];
            }
            pos = 0;
        }

        public byte[] array() {
            return buf;
        }

        public int length() {
            return pos;
        }

        /** Moves the write position, e.g. to fill in a header left blank. */
        public void position(int position) {
            pos = position;
        }

        private void room(int n) {
            if (pos + n > buf.length) {
                long wanted = Math.max((long) buf.length * 2, (long) pos + n);
                if (wanted > Integer.MAX_VALUE - 16) {
                    throw new IllegalArgumentException("record too large to encode");
                }
                buf = java.util.Arrays.copyOf(buf, (int) wanted);
            }
        }

        public void b(int value) {
            room(1);
            buf[pos++] = (byte) value;
        }

        public void varint(int value) {
            varlong(value & 0xFFFFFFFFL);
        }

        public void varlong(long value) {
            room(10);
            while ((value & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((value & 0x7F) | 0x80);
                value >>>= 7;
            }
            buf[pos++] = (byte) value;
        }

        public void fixed32(int value) {
            room(4);
            buf[pos++] = (byte) (value >>> 24);
            buf[pos++] = (byte) (value >>> 16);
            buf[pos++] = (byte) (value >>> 8);
            buf[pos++] = (byte) value;
        }

        public void fixed64(long value) {
            fixed32((int) (value >>> 32));
            fixed32((int) value);
        }

        public void raw(byte[] bytes, int offset, int length) {
            room(length);
            System.arraycopy(bytes, offset, buf, pos, length);
            pos += length;
        }

        public void bytes(byte[] bytes) {
            varint(bytes.length);
            raw(bytes, 0, bytes.length);
        }

        public void str(String s) {
            if (s.isEmpty()) {
                varint(0);
                return;
            }
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            bytes(utf8);
        }
    }
}
