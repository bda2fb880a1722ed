package io.pilotfish.sink.datadog.traces;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * gzip at the fastest level, as the Agent's trace and stats writers compress ({@code gzip.BestSpeed}): payloads are
 * large and frequent, and the intake's limits apply before compression, so speed matters more than ratio.
 */
final class Gzip {

    /** A compressed body, bytes {@code [0, length)} of {@code bytes}. */
    record Body(byte[] bytes, int length) {
    }

    private Gzip() {
    }

    static Body compress(byte[] data, int offset, int length) {
        Output out = new Output(Math.max(64, length / 4));
        try (GZIPOutputStream gzip = new BestSpeed(out)) {
            gzip.write(data, offset, length);
        } catch (IOException e) {
            // Only in-memory streams are involved: an IOException here is a bug, not a condition to classify.
            throw new UncheckedIOException(e);
        }
        return new Body(out.bytes(), out.size());
    }

    /** Hands its buffer over instead of copying it. */
    private static final class Output extends ByteArrayOutputStream {
        Output(int size) {
            super(size);
        }

        byte[] bytes() {
            return buf;
        }
    }

    /** Closing it ends its deflater, which frees the native memory at once. */
    private static final class BestSpeed extends GZIPOutputStream {
        BestSpeed(OutputStream out) throws IOException {
            super(out, 64 * 1024);
            def.setLevel(Deflater.BEST_SPEED);
        }
    }
}
