package io.pilotfish.sink.datadog.events;

import io.pilotfish.sink.datadog.common.Compression;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-events} sink.
 *
 * @param url                   an explicit base URL (key {@code url}); empty to use {@code DD_DD_URL} or the site
 * @param compression           body compression (key {@code compression})
 * @param maxConcurrentRequests most event requests open at once (key {@code max-concurrent-requests})
 */
public record DatadogEventsConfig(Optional<URI> url, Compression compression, int maxConcurrentRequests) {

    /** Enough to keep a burst of container events moving; few enough to stay polite to the intake. */
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 4;
    public static final int MAX_CONCURRENT_REQUESTS_LIMIT = 16;

    public static final DatadogEventsConfig DEFAULTS = new DatadogEventsConfig(Optional.empty(), Compression.DEFLATE,
            DEFAULT_MAX_CONCURRENT_REQUESTS);

    public DatadogEventsConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(compression, "compression");
        if (maxConcurrentRequests < 1 || maxConcurrentRequests > MAX_CONCURRENT_REQUESTS_LIMIT) {
            throw new IllegalArgumentException("max-concurrent-requests must be from 1 to "
                    + MAX_CONCURRENT_REQUESTS_LIMIT);
        }
    }
}
