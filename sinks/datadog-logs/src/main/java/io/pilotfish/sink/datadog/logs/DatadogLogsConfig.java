package io.pilotfish.sink.datadog.logs;

import io.pilotfish.sink.datadog.common.Compression;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-logs} sink.
 *
 * @param url         an explicit logs intake base URL (key {@code url}; the agent maps the Agent's
 *                    {@code DD_LOGS_CONFIG_LOGS_DD_URL} onto it with {@link DatadogLogsSinkFactory#fromAgentHostPort});
 *                    empty for {@code https://agent-http-intake.logs.<DD_SITE>}
 * @param compression body compression (key {@code compression}); gzip, as the Agent sends
 */
public record DatadogLogsConfig(Optional<URI> url, Compression compression) {

    public static final DatadogLogsConfig DEFAULTS = new DatadogLogsConfig(Optional.empty(), Compression.GZIP);

    public DatadogLogsConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(compression, "compression");
    }
}
