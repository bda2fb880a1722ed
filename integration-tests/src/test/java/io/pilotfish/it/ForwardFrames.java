package io.pilotfish.it;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Forward-protocol frames written by hand, for tests that drive the receiver with exact frames and acks. */
final class ForwardFrames {

    private ForwardFrames() {
    }

    /** Reads {@code {"ack": chunk}} and checks it is the ack of {@code chunkId}. */
    static void readAck(DataInputStream in, String chunkId) throws IOException {
        if (in.readUnsignedByte() != 0x81 || !"ack".equals(readStr(in)) || !chunkId.equals(readStr(in))) {
            throw new IOException("not the ack of chunk " + chunkId);
        }
    }

    private static String readStr(DataInputStream in) throws IOException {
        int header = in.readUnsignedByte();
        int length;
        if ((header & 0xe0) == 0xa0) {
            length = header & 0x1f;
        } else if (header == 0xd9) {
            length = in.readUnsignedByte();
        } else if (header == 0xda) {
            length = in.readUnsignedShort();
        } else {
            throw new IOException("not a msgpack str: 0x" + Integer.toHexString(header));
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Just enough msgpack writing for forward frames. */
    static final class Msgpack {
        private byte[] buf = new byte[1024];
        private int pos;

        byte[] bytes() {
            return buf;
        }

        int length() {
            return pos;
        }

        Msgpack raw(byte[] bytes, int length) {
            if (pos + length > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, pos + length));
            }
            System.arraycopy(bytes, 0, buf, pos, length);
            pos += length;
            return this;
        }

        private Msgpack b(int value) {
            return raw(new byte[] {(byte) value}, 1);
        }

        private Msgpack be32(long value) {
            return b((int) (value >>> 24)).b((int) (value >>> 16)).b((int) (value >>> 8)).b((int) value);
        }

        Msgpack arrayHeader(int n) {
            return b(0x90 | n);
        }

        Msgpack mapHeader(int n) {
            return b(0x80 | n);
        }

        Msgpack uint32(long value) {
            return b(0xCE).be32(value);
        }

        Msgpack str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            int length = bytes.length;
            if (length < 32) {
                b(0xA0 | length);
            } else if (length < 256) {
                b(0xD9).b(length);
            } else {
                b(0xDA).b(length >>> 8).b(length);
            }
            return raw(bytes, length);
        }

        Msgpack binHeader(int length) {
            return b(0xC6).be32(length);
        }
    }
}
