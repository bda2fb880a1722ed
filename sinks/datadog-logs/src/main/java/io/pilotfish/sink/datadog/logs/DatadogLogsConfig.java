package io.pilotfish.sink.datadog.logs;

import io.pilotfish.spi.SinkFactory;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-logs} sink.
 *
 * @param url         an explicit logs intake base URL (key {@code url}; the agent maps the Agent's
 *                    {@code DD_LOGS_CONFIG_LOGS_DD_URL} onto it with {@link DatadogLogsSinkFactory#fromAgentHostPort});
 *                    empty for {@code https://agent-http-intake.logs.<DD_SITE>}
 * @param compression body compression (key {@code compression}); zstd, as the Agent sends by default
 * @param gzipLevel   the gzip and deflate level, 1 to 9 (key {@code gzip-level}); 6, the Agent's
 * @param maxConcurrentSends requests out at once, 0 to {@value #MAX_CONCURRENT_SENDS} (key
 *                    {@code max-concurrent-sends}, the Agent's {@code batch_max_concurrent_send}); 0 and 1 send one at
 *                    a time, in order; more send without waiting for the one before, and a failed batch arrives after
 *                    younger ones
 */
public record DatadogLogsConfig(Optional<URI> url, LogsCompression compression, int gzipLevel,
                                int maxConcurrentSends) {

    public static final int DEFAULT_GZIP_LEVEL = 6;
    /** Each concurrent send is one export in flight: as many as the platform allows. */
    public static final int MAX_CONCURRENT_SENDS = SinkFactory.MAX_EXPORTS_IN_FLIGHT;
    public static final DatadogLogsConfig DEFAULTS = new DatadogLogsConfig(Optional.empty(), LogsCompression.ZSTD,
            DEFAULT_GZIP_LEVEL, 0);

    public DatadogLogsConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(compression, "compression");
        if (gzipLevel < 1 || gzipLevel > 9) {
            throw new IllegalArgumentException("gzip-level must be 1 to 9, not " + gzipLevel);
        }
        if (maxConcurrentSends < 0 || maxConcurrentSends > MAX_CONCURRENT_SENDS) {
            throw new IllegalArgumentException("max-concurrent-sends must be 0 to " + MAX_CONCURRENT_SENDS + ", not "
                    + maxConcurrentSends);
        }
    }

    /** Whether a batch goes out only once the one before it was accepted. */
    public boolean inOrder() {
        return maxConcurrentSends <= 1;
    }
}
