package io.pilotfish.collector.forward;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes MessagePack for tests: {@link #value} picks the shortest form as tracers' encoders do, and the other methods
 * write one chosen form, so that tests can send every encoding of a value and every broken one.
 */
final class MsgpackWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public byte[] bytes() {
        return out.toByteArray();
    }

    /** null, Boolean, Integer/Long (shortest int), Double, Float, String, byte[], List, Map (in its order). */
    public MsgpackWriter value(Object v) {
        switch (v) {
            case null -> nil();
            case Boolean b -> bool(b);
            case Integer i -> integer(i);
            case Long l -> integer(l);
            case Double d -> float64(d);
            case Float f -> float32(f);
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

    public MsgpackWriter nil() {
        return raw(0xC0);
    }

    public MsgpackWriter bool(boolean b) {
        return raw(b ? 0xC3 : 0xC2);
    }

    /** The shortest encoding, signed forms for negatives, unsigned for positives, as msgp writes them. */
    public MsgpackWriter integer(long v) {
        if (v >= 0 && v <= 0x7F) {
            return raw((int) v);
        }
        if (v < 0 && v >= -32) {
            return raw((int) v & 0xFF);
        }
        if (v > 0) {
            if (v <= 0xFF) {
                return uint8((int) v);
            }
            if (v <= 0xFFFF) {
                return uint16((int) v);
            }
            if (v <= 0xFFFF_FFFFL) {
                return uint32(v);
            }
            return uint64(v);
        }
        if (v >= Byte.MIN_VALUE) {
            return int8((int) v);
        }
        if (v >= Short.MIN_VALUE) {
            return int16((int) v);
        }
        if (v >= Integer.MIN_VALUE) {
            return int32((int) v);
        }
        return int64(v);
    }

    public MsgpackWriter uint8(int v) {
        return raw(0xCC).be(v, 1);
    }

    public MsgpackWriter uint16(int v) {
        return raw(0xCD).be(v, 2);
    }

    public MsgpackWriter uint32(long v) {
        return raw(0xCE).be(v, 4);
    }

    /** {@code v} as the bits of a uint64. */
    public MsgpackWriter uint64(long v) {
        return raw(0xCF).be(v, 8);
    }

    public MsgpackWriter int8(int v) {
        return raw(0xD0).be(v, 1);
    }

    public MsgpackWriter int16(int v) {
        return raw(0xD1).be(v, 2);
    }

    public MsgpackWriter int32(int v) {
        return raw(0xD2).be(v, 4);
    }

    public MsgpackWriter int64(long v) {
        return raw(0xD3).be(v, 8);
    }

    public MsgpackWriter float32(float v) {
        return raw(0xCA).be(Float.floatToIntBits(v), 4);
    }

    public MsgpackWriter float64(double v) {
        return raw(0xCB).be(Double.doubleToLongBits(v), 8);
    }

    /** The shortest {@code str} form. */
    public MsgpackWriter str(String s) {
        return strBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Raw bytes as the shortest {@code str} form: for invalid UTF-8. */
    public MsgpackWriter strBytes(byte[] b) {
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

    public MsgpackWriter str8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        raw(0xD9).be(b.length, 1);
        out.writeBytes(b);
        return this;
    }

    public MsgpackWriter str16(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        raw(0xDA).be(b.length, 2);
        out.writeBytes(b);
        return this;
    }

    public MsgpackWriter str32(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        raw(0xDB).be(b.length, 4);
        out.writeBytes(b);
        return this;
    }

    /** The shortest {@code bin} form. */
    public MsgpackWriter bin(byte[] b) {
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

    public MsgpackWriter bin(String s) {
        return bin(s.getBytes(StandardCharsets.UTF_8));
    }

    public MsgpackWriter array(int n) {
        if (n <= 15) {
            return raw(0x90 | n);
        }
        return n <= 0xFFFF ? array16(n) : array32(n);
    }

    public MsgpackWriter array16(int n) {
        return raw(0xDC).be(n, 2);
    }

    public MsgpackWriter array32(long n) {
        return raw(0xDD).be(n, 4);
    }

    public MsgpackWriter map(int n) {
        if (n <= 15) {
            return raw(0x80 | n);
        }
        return n <= 0xFFFF ? map16(n) : map32(n);
    }

    public MsgpackWriter map16(int n) {
        return raw(0xDE).be(n, 2);
    }

    public MsgpackWriter map32(long n) {
        return raw(0xDF).be(n, 4);
    }

    /** An extension value of any length, in the shortest form ({@code fixext} when the length allows). */
    public MsgpackWriter ext(int type, byte[] data) {
        switch (data.length) {
            case 1 -> raw(0xD4);
            case 2 -> raw(0xD5);
            case 4 -> raw(0xD6);
            case 8 -> raw(0xD7);
            case 16 -> raw(0xD8);
            default -> {
                if (data.length <= 0xFF) {
                    raw(0xC7).be(data.length, 1);
                } else if (data.length <= 0xFFFF) {
                    raw(0xC8).be(data.length, 2);
                } else {
                    raw(0xC9).be(data.length, 4);
                }
            }
        }
        raw(type & 0xFF);
        out.writeBytes(data);
        return this;
    }

    public MsgpackWriter raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    public MsgpackWriter raw(byte[] bytes) {
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
