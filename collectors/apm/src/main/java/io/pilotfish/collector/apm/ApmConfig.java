package io.pilotfish.collector.apm;

import io.pilotfish.collector.apm.filter.TraceFilters;
import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig;
import io.pilotfish.collector.apm.sample.SamplingConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code apm} collector's settings, validated by {@link ApmFactory}.
 *
 * @param host               where the HTTP listener binds: loopback unless {@code non-local-traffic}
 * @param port               its port ({@code DD_APM_RECEIVER_PORT}, 8126); 0 turns TCP off
 * @param socket             the Unix socket ({@code DD_APM_RECEIVER_SOCKET}); served only if its directory exists
 * @param maxPayloadBytes    a request body over this gets 413 ({@code apm_config.max_payload_size}, 25 MiB)
 * @param receiverTimeout    a request whose body has not arrived within this gets 408 (the Agent's 5 s)
 * @param decoders           payloads read and processed at once; each holds one body and its decoded spans
 * @param decoderTimeout     how long a payload waits for a decoder before 429 (the Agent's 1 s)
 * @param maxDecodedBytes    the decoded spans of one payload, estimated heap; over it the payload gets 413
 * @param statsMaxBytes      the stats concentrator's table
 * @param clientStatsMaxBytes the table of tracer-computed stats being aggregated
 * @param apmEnvironment     the {@code DD_APM_*} variables the samplers read
 * @param intake             where the proxied endpoints forward to
 */
public record ApmConfig(String host, int port, Optional<Path> socket, long maxPayloadBytes, Duration receiverTimeout,
                        int decoders, Duration decoderTimeout, long maxDecodedBytes, long statsMaxBytes,
                        long clientStatsMaxBytes, boolean computeStatsBySpanKind, boolean peerTagsAggregation,
                        List<String> extraPeerTags, Optional<String> env, ObfuscationConfig obfuscation,
                        Map<String, String> apmEnvironment, TraceFilters filters, Intake intake) {

    public static final int DEFAULT_PORT = 8126;
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/datadog/apm.socket");
    public static final long DEFAULT_MAX_PAYLOAD_BYTES = 25L * 1024 * 1024;
    public static final Duration DEFAULT_RECEIVER_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_DECODER_TIMEOUT = Duration.ofSeconds(1);
    /** A 25 MiB body of real spans decodes to more than this; tracers flush far smaller payloads (1–8 MB). */
    public static final long DEFAULT_MAX_DECODED_BYTES = 16L * 1024 * 1024;
    public static final long DEFAULT_STATS_MAX_BYTES = 8L * 1024 * 1024;
    public static final long DEFAULT_CLIENT_STATS_MAX_BYTES = 2L * 1024 * 1024;

    public ApmConfig {
        extraPeerTags = List.copyOf(extraPeerTags);
        apmEnvironment = Map.copyOf(apmEnvironment);
    }

    /**
     * The sampling settings for the agent's env, known only at start ({@code DD_ENV} may come from SSM). The
     * variables were checked by {@link ApmFactory#configure}, so this does not fail.
     */
    public SamplingConfig sampling(String defaultEnv) {
        return SamplingConfig.fromEnvironment(apmEnvironment, defaultEnv);
    }

    /**
     * Where the tracer proxies forward; each empty means the Agent's host on the site ({@code DD_SITE}).
     *
     * @param profiling          {@code https://intake.profile.<site>/api/v2/profile}
     * @param telemetry          {@code https://instrumentation-telemetry-intake.<site>}
     * @param telemetryEnabled   whether {@code /telemetry/proxy/} is served ({@code DD_APM_TELEMETRY_ENABLED})
     * @param debuggerLogs       {@code https://http-intake.logs.<site>/api/v2/logs}
     * @param debuggerIntake     {@code https://debugger-intake.<site>/api/v2/debugger}
     * @param evp                the EVP proxy's host instead of {@code https://<subdomain>.<site>}
     */
    public record Intake(Optional<URI> profiling, Optional<URI> telemetry, boolean telemetryEnabled,
                         Optional<URI> debuggerLogs, Optional<URI> debuggerIntake, Optional<URI> evp) {
    }
}
