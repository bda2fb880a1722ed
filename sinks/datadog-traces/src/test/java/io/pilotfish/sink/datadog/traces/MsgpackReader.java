package io.pilotfish.sink.datadog.traces;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict MessagePack reader for the tests, independent of the encoder under test: maps become
 * {@link LinkedHashMap}s in wire order (a repeated key fails), arrays lists, str (valid UTF-8 only) {@link String},
 * bin {@code byte[]}, integers {@link Long} (a uint64 above {@code Long.MAX_VALUE} a {@link BigInteger}), float64
 * {@link Double}, bool {@link Boolean}. Anything else, or trailing bytes,
 * fails.
 */
public final class MsgpackReader {

    private final byte[] bytes;
    private int position;

    private MsgpackReader(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Object read(byte[] bytes) {
        MsgpackReader reader = new MsgpackReader(bytes);
        Object value = reader.value();
        if (reader.position != bytes.length) {
            throw new AssertionError((bytes.length - reader.position) + " bytes after the msgpack value");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object value) {
        if (!(value instanceof Map<?, ?>)) {
            throw new AssertionError("expected a msgpack map, got " + value);
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object value) {
        if (!(value instanceof List<?>)) {
            throw new AssertionError("expected a msgpack array, got " + value);
        }
        return (List<Object>) value;
    }

    private Object value() {
        int b = u8();
        if (b <= 0x7f) {
            return (long) b;
        }
        if (b >= 0xe0) {
            return (long) (byte) b;
        }
        if ((b & 0xf0) == 0x80) {
            return map(b & 0x0f);
        }
        if ((b & 0xf0) == 0x90) {
            return array(b & 0x0f);
        }
        if ((b & 0xe0) == 0xa0) {
            return string(b & 0x1f);
        }
        return switch (b) {
            case 0xc2 -> false;
            case 0xc3 -> true;
            case 0xc4 -> bin(u8());
            case 0xc5 -> bin(u16());
            case 0xc6 -> bin(length(u32()));
            case 0xcb -> Double.longBitsToDouble(u64());
            case 0xcc -> (long) u8();
            case 0xcd -> (long) u16();
            case 0xce -> u32();
            case 0xcf -> {
                long v = u64();
                yield v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case 0xd0 -> (long) (byte) u8();
            case 0xd1 -> (long) (short) u16();
            case 0xd2 -> (long) (int) u32();
            case 0xd3 -> u64();
            case 0xd9 -> string(u8());
            case 0xda -> string(u16());
            case 0xdb -> string(length(u32()));
            case 0xdc -> array(u16());
            case 0xdd -> array(length(u32()));
            case 0xde -> map(u16());
            case 0xdf -> map(length(u32()));
            default -> throw new AssertionError("unexpected msgpack format 0x" + Integer.toHexString(b) + " at byte "
                    + (position - 1));
        };
    }

    private Map<String, Object> map(int entries) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < entries; i++) {
            Object key = value();
            if (!(key instanceof String name)) {
                throw new AssertionError("a map key that is not a string: " + key);
            }
            if (map.put(name, value()) != null) {
                throw new AssertionError("key " + name + " twice in one map");
            }
        }
        return map;
    }

    private List<Object> array(int elements) {
        List<Object> list = new ArrayList<>(Math.min(elements, 1024));
        for (int i = 0; i < elements; i++) {
            list.add(value());
        }
        return list;
    }

    private String string(int length) {
        require(length);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, position, length)).toString();
            position += length;
            return s;
        } catch (CharacterCodingException e) {
            throw new AssertionError("a msgpack str that is not UTF-8 at byte " + position);
        }
    }

    private byte[] bin(int length) {
        require(length);
        byte[] out = new byte[length];
        System.arraycopy(bytes, position, out, 0, length);
        position += length;
        return out;
    }

    private int u8() {
        require(1);
        return bytes[position++] & 0xff;
    }

    private int u16() {
        return u8() << 8 | u8();
    }

    private long u32() {
        return (long) u16() << 16 | u16();
    }

    private long u64() {
        return u32() << 32 | u32();
    }

    private static int length(long value) {
        if (value > Integer.MAX_VALUE) {
            throw new AssertionError("length " + value + " too large");
        }
        return (int) value;
    }

    private void require(int count) {
        if (count < 0 || bytes.length - position < count) {
            throw new AssertionError("truncated msgpack at byte " + position);
        }
    }
}
