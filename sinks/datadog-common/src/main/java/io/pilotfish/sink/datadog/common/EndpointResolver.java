package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.AgentSettings;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * One sink's base URL ({@link DatadogEndpoints#resolveBase}), following the agent settings: a config reload may
 * replace {@code DD_SITE} or {@code DD_DD_URL}, so the base is resolved again whenever either changes. Thread-safe.
 */
public final class EndpointResolver {

    private final Optional<URI> configuredUrl;
    private String resolvedSite;
    private Optional<URI> resolvedDdUrl;
    private volatile URI base;

    /** @param configuredUrl the sink's own {@code url} key, already checked with {@link DatadogEndpoints#parseBase} */
    public EndpointResolver(Optional<URI> configuredUrl) {
        this.configuredUrl = Objects.requireNonNull(configuredUrl, "configuredUrl");
    }

    /**
     * The base URL for these settings.
     *
     * @throws IllegalArgumentException naming {@code DD_SITE} or {@code DD_DD_URL} when neither gives a usable base
     */
    public synchronized URI base(AgentSettings agent) {
        if (base == null || !Objects.equals(agent.site(), resolvedSite)
                || !Objects.equals(agent.ddUrl(), resolvedDdUrl)) {
            base = DatadogEndpoints.resolveBase(configuredUrl, agent);
            resolvedSite = agent.site();
            resolvedDdUrl = agent.ddUrl();
        }
        return base;
    }

    /**
     * {@code <base><path>} for these settings.
     *
     * @throws IllegalArgumentException as {@link #base}
     */
    public URI resolve(AgentSettings agent, String path) {
        return DatadogEndpoints.withPath(base(agent), path);
    }

    /** The base last resolved, if any; for {@code toString}. */
    public Optional<URI> lastBase() {
        return Optional.ofNullable(base);
    }
}
