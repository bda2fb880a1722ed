package io.pilotfish.sink.datadog.logs;

import io.airlift.compress.zstd.ZstdCompressor;
import io.pilotfish.sink.datadog.common.Compression;
import java.util.Arrays;
import java.util.Optional;

/**
 * How a logs body is compressed (key {@code compression}; the Agent's {@code DD_LOGS_CONFIG_COMPRESSION_KIND} and
 * {@code DD_LOGS_CONFIG_USE_COMPRESSION}). zstd is the Agent's default for logs: about the ratio of gzip at level 6
 * for a quarter of its CPU, which is most of what a busy log router spends.
 */
public enum LogsCompression {
    /** zstd (RFC 8878), pure Java, at level 3: the only level the compressor offers. */
    ZSTD("zstd"),
    /** gzip at {@code gzip-level} (the Agent's {@code DD_LOGS_CONFIG_COMPRESSION_LEVEL}, 6 by default). */
    GZIP("gzip"),
    /** zlib-wrapped deflate, at the same level as gzip. */
    DEFLATE("deflate"),
    /** No compression ({@code DD_LOGS_CONFIG_USE_COMPRESSION=false}): no {@code Content-Encoding} header. */
    NONE("identity");

    private final String name;

    LogsCompression(String name) {
        this.name = name;
    }

    /** The {@code Content-Encoding} header to send, if any. */
    public Optional<String> contentEncoding() {
        return this == NONE ? Optional.empty() : Optional.of(name);
    }

    /** What status and errors call it. */
    public String label() {
        return name;
    }

    /** A compressed body: the first {@code length} bytes of {@code bytes}. */
    public record Body(byte[] bytes, int length) {
    }

    /**
     * The body for {@code data[offset, offset + length)}.
     *
     * @param level the gzip and deflate level (1 to 9); zstd and none ignore it
     */
    public Body compress(byte[] data, int offset, int length, int level) {
        return switch (this) {
            case ZSTD -> zstd(data, offset, length);
            case GZIP -> whole(Compression.GZIP.compress(data, offset, length, level));
            case DEFLATE -> whole(Compression.DEFLATE.compress(data, offset, length, level));
            case NONE -> whole(Arrays.copyOfRange(data, offset, offset + length));
        };
    }

    /**
     * What this JVM can send for {@code wanted}: zstd needs {@code sun.misc.Unsafe}'s memory access, which a future JDK
     * may deny ({@code --sun-misc-unsafe-memory-access=deny}); then gzip, which the intake takes as well, rather than
     * failing every batch.
     *
     * @param zstdProblem why zstd cannot run here, if it cannot ({@link #zstdProblem()})
     */
    static LogsCompression usable(LogsCompression wanted, Optional<String> zstdProblem) {
        return wanted == ZSTD && zstdProblem.isPresent() ? GZIP : wanted;
    }

    /** Why the zstd compressor cannot run in this JVM; empty when it can. */
    static Optional<String> zstdProblem() {
        try {
            byte[] probe = "{\"message\":\"probe\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            zstd(probe, 0, probe.length);
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(e.toString());
        }
    }

    private static Body whole(byte[] bytes) {
        return new Body(bytes, bytes.length);
    }

    private static Body zstd(byte[] data, int offset, int length) {
        // The compressor keeps no state between calls; a new one costs nothing beside the work tables of the call.
        ZstdCompressor compressor = new ZstdCompressor();
        byte[] out = new byte[compressor.maxCompressedLength(length)];
        return new Body(out, compressor.compress(data, offset, length, out, 0, out.length));
    }
}
