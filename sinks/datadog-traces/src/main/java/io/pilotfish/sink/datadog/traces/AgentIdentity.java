package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.AgentSettings;
import java.util.Optional;

/**
 * The agent as the trace intake sees it: {@code AgentPayload.hostName}/{@code env} and
 * {@code StatsPayload.AgentHostname}/{@code AgentEnv}. Resolved at every export, so a reload of the agent's settings
 * applies.
 *
 * @param hostname the sink's {@code hostname} key, else the agent's host name (empty on Fargate)
 * @param env      the sink's {@code env} key, else the agent's {@code env:} tag ({@code DD_ENV}, {@code DD_TAGS}),
 *                 else {@value #DEFAULT_ENV}, the trace-agent's default
 */
record AgentIdentity(String hostname, String env) {

    static final String DEFAULT_ENV = "none";

    static AgentIdentity resolve(Optional<String> hostname, Optional<String> env, AgentSettings agent) {
        String host = hostname.orElseGet(() -> agent.hostname() == null ? "" : agent.hostname());
        String resolvedEnv = env.orElseGet(() -> {
            String tagged = agent.globalTags() == null ? null : agent.globalTags().valueOf("env");
            return tagged == null || tagged.isEmpty() ? DEFAULT_ENV : tagged;
        });
        return new AgentIdentity(host, resolvedEnv);
    }
}
