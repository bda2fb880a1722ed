package io.pilotfish.collector.forward;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes the few small msgpack messages the server sends: HELO, PONG and acks. */
final class MsgpackOut {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    byte[] bytes() {
        return out.toByteArray();
    }

    MsgpackOut array(int n) {
        return header(n, 0x90, 0xDC, 0xDD);
    }

    MsgpackOut map(int n) {
        return header(n, 0x80, 0xDE, 0xDF);
    }

    MsgpackOut bool(boolean b) {
        out.write(b ? 0xC3 : 0xC2);
        return this;
    }

    MsgpackOut str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 31) {
            out.write(0xA0 | b.length);
        } else if (b.length <= 0xFF) {
            out.write(0xD9);
            out.write(b.length);
        } else if (b.length <= 0xFFFF) {
            out.write(0xDA);
            be(b.length, 2);
        } else {
            out.write(0xDB);
            be(b.length, 4);
        }
        out.writeBytes(b);
        return this;
    }

    MsgpackOut bin(byte[] b) {
        if (b.length <= 0xFF) {
            out.write(0xC4);
            out.write(b.length);
        } else {
            out.write(0xC6);
            be(b.length, 4);
        }
        out.writeBytes(b);
        return this;
    }

    private MsgpackOut header(int n, int fix, int sixteen, int thirtyTwo) {
        if (n <= 15) {
            out.write(fix | n);
        } else if (n <= 0xFFFF) {
            out.write(sixteen);
            be(n, 2);
        } else {
            out.write(thirtyTwo);
            be(n, 4);
        }
        return this;
    }

    private void be(long v, int n) {
        for (int i = n - 1; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }

    /** {@code {"ack": chunk}}: the answer to a frame whose option had {@code chunk}. */
    static byte[] ack(String chunk) {
        return new MsgpackOut().map(1).str("ack").str(chunk).bytes();
    }
}
