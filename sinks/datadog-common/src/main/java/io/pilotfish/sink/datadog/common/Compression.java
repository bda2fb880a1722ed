package io.pilotfish.sink.datadog.common;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Body compressions Datadog's JSON intakes accept that the JDK can write (the series intake lists {@code deflate},
 * {@code gzip} and {@code zstd1} in OpenAPI {@code MetricContentEncoding}; the Agent sends deflate).
 */
public enum Compression {
    /** gzip (RFC 1952). */
    GZIP("gzip"),
    /** zlib-wrapped deflate (RFC 1950), which is what HTTP {@code deflate} means and what the Agent sends. */
    DEFLATE("deflate");

    private final String contentEncoding;

    Compression(String contentEncoding) {
        this.contentEncoding = contentEncoding;
    }

    /** The {@code Content-Encoding} header value. */
    public String contentEncoding() {
        return contentEncoding;
    }

    /**
     * A deflater for {@link #compressing}. The caller owns it and must {@link Deflater#end() end} it, which frees its
     * native memory at once instead of at garbage collection.
     */
    public Deflater newDeflater() {
        return newDeflater(Deflater.DEFAULT_COMPRESSION);
    }

    /** As {@link #newDeflater()}, at {@code level} (1 fastest to 9 smallest, or {@link Deflater#DEFAULT_COMPRESSION}). */
    public Deflater newDeflater(int level) {
        // gzip writes its own framing around raw deflate; HTTP deflate is zlib-framed.
        return new Deflater(level, this == GZIP);
    }

    /**
     * A stream that compresses into {@code out}; closing it finishes the body (and closes {@code out}).
     *
     * @param deflater from {@link #newDeflater()} of this constant
     */
    public OutputStream compressing(OutputStream out, Deflater deflater) throws IOException {
        return switch (this) {
            case DEFLATE -> new DeflaterOutputStream(out, deflater, 8192);
            case GZIP -> new GzipStream(out, deflater);
        };
    }

    /** Compresses a whole body held in memory. */
    public byte[] compress(byte[] data, int offset, int length) {
        return compress(data, offset, length, Deflater.DEFAULT_COMPRESSION);
    }

    /** Compresses a whole body held in memory at {@code level} (see {@link #newDeflater(int)}). */
    public byte[] compress(byte[] data, int offset, int length, int level) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 4));
        Deflater deflater = newDeflater(level);
        try (OutputStream compressing = compressing(out, deflater)) {
            compressing.write(data, offset, length);
        } catch (IOException e) {
            // Only in-memory streams are involved; an IOException here is a bug, not a condition to classify.
            throw new UncheckedIOException(e);
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    /**
     * gzip framing (RFC 1952) around a caller-owned raw deflater; unlike {@link java.util.zip.GZIPOutputStream} this
     * lets the caller end the deflater's native memory deterministically on every path.
     */
    private static final class GzipStream extends DeflaterOutputStream {
        private static final byte[] HEADER = {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        private final CRC32 crc = new CRC32();

        GzipStream(OutputStream out, Deflater rawDeflater) throws IOException {
            super(out, rawDeflater, 8192);
            out.write(HEADER);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            super.write(b, off, len);
            crc.update(b, off, len);
        }

        @Override
        public void finish() throws IOException {
            if (def.finished()) {
                return;
            }
            super.finish();
            writeIntLe((int) crc.getValue());
            writeIntLe((int) def.getBytesRead());
        }

        private void writeIntLe(int value) throws IOException {
            out.write(value & 0xff);
            out.write((value >>> 8) & 0xff);
            out.write((value >>> 16) & 0xff);
            out.write((value >>> 24) & 0xff);
        }
    }
}
