package io.pilotfish.sink.datadog.traces;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-apm-stats} sink.
 *
 * @param url                 an explicit trace intake base URL (key {@code url}, the Agent's {@code DD_APM_DD_URL});
 *                            empty for {@code https://trace.agent.<DD_SITE>}
 * @param hostname            {@code StatsPayload.AgentHostname} (key {@code hostname}); empty for the agent's host
 * @param env                 {@code StatsPayload.AgentEnv} (key {@code env}); empty for the agent's {@code env:} tag,
 *                            else {@code none}
 * @param maxGroupsPerPayload most grouped entries in one payload (key {@code max-groups-per-payload})
 */
public record DatadogApmStatsConfig(Optional<URI> url, Optional<String> hostname, Optional<String> env,
                                    int maxGroupsPerPayload) {

    /**
     * The trace-agent's {@code maxEntriesPerPayload}: about 375 bytes per entry compressed, so payloads stay near
     * 1.5 MB, half of what the intake takes.
     */
    public static final int INTAKE_MAX_GROUPS_PER_PAYLOAD = 4000;

    public static final DatadogApmStatsConfig DEFAULTS = new DatadogApmStatsConfig(Optional.empty(),
            Optional.empty(), Optional.empty(), INTAKE_MAX_GROUPS_PER_PAYLOAD);

    public DatadogApmStatsConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(env, "env");
        if (maxGroupsPerPayload < 1 || maxGroupsPerPayload > INTAKE_MAX_GROUPS_PER_PAYLOAD) {
            throw new IllegalArgumentException("max-groups-per-payload must be from 1 to "
                    + INTAKE_MAX_GROUPS_PER_PAYLOAD);
        }
    }
}
