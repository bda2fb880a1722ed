package io.pilotfish.sink.datadog.traces;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growing buffer that writes MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md) with the shortest
 * form of every value, as the Agent's encoder does. Strings are UTF-8 ({@code str}), byte arrays {@code bin}.
 * Not thread-safe.
 */
final class MsgpackBuffer {

    private byte[] buffer;
    private int position;

    MsgpackBuffer(int initialCapacity) {
        this.buffer = new byte[Math.max(64, initialCapacity)];
    }

    byte[] buffer() {
        return buffer;
    }

    int position() {
        return position;
    }

    void mapHeader(int entries) {
        header(entries, 0x80, 15, 0xde, 0xdf);
    }

    void arrayHeader(int elements) {
        header(elements, 0x90, 15, 0xdc, 0xdd);
    }

    private void header(int count, int fix, int fixMax, int sixteen, int thirtyTwo) {
        ensure(5);
        if (count <= fixMax) {
            buffer[position++] = (byte) (fix | count);
        } else if (count <= 0xFFFF) {
            buffer[position++] = (byte) sixteen;
            be16(count);
        } else {
            buffer[position++] = (byte) thirtyTwo;
            be32(count);
        }
    }

    void string(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int length = bytes.length;
        ensure(5 + length);
        if (length <= 31) {
            buffer[position++] = (byte) (0xa0 | length);
        } else if (length <= 0xFF) {
            buffer[position++] = (byte) 0xd9;
            buffer[position++] = (byte) length;
        } else if (length <= 0xFFFF) {
            buffer[position++] = (byte) 0xda;
            be16(length);
        } else {
            buffer[position++] = (byte) 0xdb;
            be32(length);
        }
        System.arraycopy(bytes, 0, buffer, position, length);
        position += length;
    }

    void binary(byte[] value) {
        int length = value.length;
        ensure(5 + length);
        if (length <= 0xFF) {
            buffer[position++] = (byte) 0xc4;
            buffer[position++] = (byte) length;
        } else if (length <= 0xFFFF) {
            buffer[position++] = (byte) 0xc5;
            be16(length);
        } else {
            buffer[position++] = (byte) 0xc6;
            be32(length);
        }
        System.arraycopy(value, 0, buffer, position, length);
        position += length;
    }

    void bool(boolean value) {
        ensure(1);
        buffer[position++] = (byte) (value ? 0xc3 : 0xc2);
    }

    /** A uint64 held in a long: a negative long is a value above {@code Long.MAX_VALUE}, written with its 64 bits. */
    void unsigned(long value) {
        ensure(9);
        if (value < 0) {
            buffer[position++] = (byte) 0xcf;
            be64(value);
        } else {
            nonNegative(value);
        }
    }

    /** A signed integer (int32, int64). */
    void signed(long value) {
        ensure(9);
        if (value >= 0) {
            nonNegative(value);
        } else if (value >= -32) {
            buffer[position++] = (byte) value; // negative fixint
        } else if (value >= Byte.MIN_VALUE) {
            buffer[position++] = (byte) 0xd0;
            buffer[position++] = (byte) value;
        } else if (value >= Short.MIN_VALUE) {
            buffer[position++] = (byte) 0xd1;
            be16((int) value);
        } else if (value >= Integer.MIN_VALUE) {
            buffer[position++] = (byte) 0xd2;
            be32((int) value);
        } else {
            buffer[position++] = (byte) 0xd3;
            be64(value);
        }
    }

    private void nonNegative(long value) {
        if (value <= 0x7F) {
            buffer[position++] = (byte) value; // positive fixint
        } else if (value <= 0xFF) {
            buffer[position++] = (byte) 0xcc;
            buffer[position++] = (byte) value;
        } else if (value <= 0xFFFF) {
            buffer[position++] = (byte) 0xcd;
            be16((int) value);
        } else if (value <= 0xFFFF_FFFFL) {
            buffer[position++] = (byte) 0xce;
            be32((int) value);
        } else {
            buffer[position++] = (byte) 0xcf;
            be64(value);
        }
    }

    private void be16(int value) {
        buffer[position++] = (byte) (value >>> 8);
        buffer[position++] = (byte) value;
    }

    private void be32(int value) {
        buffer[position++] = (byte) (value >>> 24);
        buffer[position++] = (byte) (value >>> 16);
        buffer[position++] = (byte) (value >>> 8);
        buffer[position++] = (byte) value;
    }

    private void be64(long value) {
        be32((int) (value >>> 32));
        be32((int) value);
    }

    private void ensure(int more) {
        if (buffer.length - position < more) {
            long wanted = Math.max((long) buffer.length * 2, (long) position + more);
            if (wanted > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("msgpack payload over 2 GiB");
            }
            buffer = Arrays.copyOf(buffer, (int) wanted);
        }
    }
}
