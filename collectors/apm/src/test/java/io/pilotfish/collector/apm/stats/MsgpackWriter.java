package io.pilotfish.collector.apm.stats;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes MessagePack for the stats tests, the shortest forms as msgp writes them, plus raw bytes and chosen headers for
 * broken input (a small copy of the decode tests' writer, which is package-private there).
 */
final class MsgpackWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    byte[] bytes() {
        return out.toByteArray();
    }

    /** null, Boolean, Integer/Long, Double, String, byte[], List, Map (in its order). */
    MsgpackWriter value(Object v) {
        switch (v) {
            case null -> raw(0xC0);
            case Boolean b -> raw(b ? 0xC3 : 0xC2);
            case Integer i -> integer(i);
            case Long l -> integer(l);
            case Double d -> raw(0xCB).be(Double.doubleToLongBits(d), 8);
            case String s -> str(s);
            case byte[] b -> bin(b);
            case List<?> list -> {
                array(list.size());
                list.forEach(this::value);
            }
            case Map<?, ?> map -> {
                map(map.size());
                map.forEach((k, val) -> {
                    value(k);
                    value(val);
                });
            }
            default -> throw new IllegalArgumentException("cannot write " + v.getClass());
        }
        return this;
    }

    MsgpackWriter integer(long v) {
        if (v >= 0 && v <= 0x7F) {
            return raw((int) v);
        }
        if (v < 0 && v >= -32) {
            return raw((int) v & 0xFF);
        }
        if (v > 0) {
            return v <= 0xFF ? raw(0xCC).be(v, 1) : v <= 0xFFFF ? raw(0xCD).be(v, 2)
                    : v <= 0xFFFF_FFFFL ? raw(0xCE).be(v, 4) : raw(0xCF).be(v, 8);
        }
        return v >= Integer.MIN_VALUE ? raw(0xD2).be(v, 4) : raw(0xD3).be(v, 8);
    }

    /** {@code v} as the bits of a uint64. */
    MsgpackWriter uint64(long v) {
        return raw(0xCF).be(v, 8);
    }

    MsgpackWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 31) {
            raw(0xA0 | b.length);
        } else if (b.length <= 0xFF) {
            raw(0xD9).be(b.length, 1);
        } else if (b.length <= 0xFFFF) {
            raw(0xDA).be(b.length, 2);
        } else {
            raw(0xDB).be(b.length, 4);
        }
        out.writeBytes(b);
        return this;
    }

    MsgpackWriter bin(byte[] b) {
        if (b.length <= 0xFF) {
            raw(0xC4).be(b.length, 1);
        } else if (b.length <= 0xFFFF) {
            raw(0xC5).be(b.length, 2);
        } else {
            raw(0xC6).be(b.length, 4);
        }
        out.writeBytes(b);
        return this;
    }

    MsgpackWriter array(int n) {
        return n <= 15 ? raw(0x90 | n) : array32(n);
    }

    MsgpackWriter array32(long n) {
        return raw(0xDD).be(n, 4);
    }

    MsgpackWriter map(int n) {
        return n <= 15 ? raw(0x80 | n) : map32(n);
    }

    MsgpackWriter map32(long n) {
        return raw(0xDF).be(n, 4);
    }

    MsgpackWriter raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    MsgpackWriter raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    private MsgpackWriter be(long v, int n) {
        for (int i = n - 1; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
        return this;
    }
}
