package io.pilotfish.sink.datadog.logs;

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
 */
public record DatadogLogsConfig(Optional<URI> url, LogsCompression compression, int gzipLevel) {

    public static final int DEFAULT_GZIP_LEVEL = 6;
    public static final DatadogLogsConfig DEFAULTS = new DatadogLogsConfig(Optional.empty(), LogsCompression.ZSTD,
            DEFAULT_GZIP_LEVEL);

    public DatadogLogsConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(compression, "compression");
        if (gzipLevel < 1 || gzipLevel > 9) {
            throw new IllegalArgumentException("gzip-level must be 1 to 9, not " + gzipLevel);
        }
    }
}
