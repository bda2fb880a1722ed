package io.pilotfish.sink.datadog.traces;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-traces} sink.
 *
 * @param url                an explicit trace intake base URL (key {@code url}, the Agent's {@code DD_APM_DD_URL});
 *                           empty for {@code https://trace.agent.<DD_SITE>}
 * @param hostname           {@code AgentPayload.hostName} (key {@code hostname}); empty for the agent's host name
 * @param env                {@code AgentPayload.env} (key {@code env}); empty for the agent's {@code env:} tag, else
 *                           {@code none}
 * @param targetTps          {@code AgentPayload.targetTPS} (key {@code target-tps}, the Agent's
 *                           {@code DD_APM_MAX_TPS})
 * @param errorTps           {@code AgentPayload.errorTPS} (key {@code error-tps}, {@code DD_APM_ERROR_TPS})
 * @param rareSamplerEnabled {@code AgentPayload.rareSamplerEnabled} (key {@code rare-sampler-enabled},
 *                           {@code DD_APM_ENABLE_RARE_SAMPLER})
 * @param maxPayloadBytes    the largest AgentPayload before compression (key {@code max-payload-bytes})
 */
public record DatadogTracesConfig(Optional<URI> url, Optional<String> hostname, Optional<String> env,
                                  double targetTps, double errorTps, boolean rareSamplerEnabled,
                                  int maxPayloadBytes) {

    /** The trace-agent's {@code MaxPayloadSize}: "3.2MB is the maximum allowed by the Datadog API". */
    public static final int INTAKE_MAX_PAYLOAD_BYTES = 3_200_000;
    /** The trace-agent's defaults for {@code max_traces_per_second} and {@code errors_per_second}. */
    public static final double DEFAULT_TARGET_TPS = 10;
    public static final double DEFAULT_ERROR_TPS = 10;

    public static final DatadogTracesConfig DEFAULTS = new DatadogTracesConfig(Optional.empty(), Optional.empty(),
            Optional.empty(), DEFAULT_TARGET_TPS, DEFAULT_ERROR_TPS, false, INTAKE_MAX_PAYLOAD_BYTES);

    public DatadogTracesConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(env, "env");
        if (!(targetTps >= 0) || Double.isInfinite(targetTps)) {
            throw new IllegalArgumentException("target-tps must be a finite number, 0 or more");
        }
        if (!(errorTps >= 0) || Double.isInfinite(errorTps)) {
            throw new IllegalArgumentException("error-tps must be a finite number, 0 or more");
        }
        if (maxPayloadBytes < 1 || maxPayloadBytes > INTAKE_MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("max-payload-bytes must be from 1 to " + INTAKE_MAX_PAYLOAD_BYTES);
        }
    }
}
