package io.pilotfish.agent.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Datadog Agent's environment variables that Pilotfish honours, and the {@code pilotfish.*} key each one sets.
 * A user swapping the Datadog Agent image for ours keeps the task definition's environment as it is.
 */
public final class DatadogEnvironment {

    private static final String LOGS_COLLECTOR = "pilotfish.collectors.fluent-forward.";
    private static final String LOGS_SINK = "pilotfish.sinks.datadog-logs.";

    /** Variable name to our key. */
    public static final Map<String, String> MAPPING;

    static {
        Map<String, String> mapping = new LinkedHashMap<>();
        mapping.put("DD_API_KEY", "pilotfish.datadog.api-key");
        mapping.put("DD_SITE", "pilotfish.datadog.site");
        mapping.put("DD_DD_URL", "pilotfish.datadog.url");
        // Older Agent versions documented DD_URL for the same purpose.
        mapping.put("DD_URL", "pilotfish.datadog.url");
        mapping.put("DD_HOSTNAME", "pilotfish.hostname");
        mapping.put("DD_TAGS", "pilotfish.tags");
        mapping.put("DD_ENV", "pilotfish.env");
        mapping.put("DD_SERVICE", "pilotfish.service");
        mapping.put("DD_VERSION", "pilotfish.version");
        mapping.put("DD_PROXY_HTTPS", "pilotfish.proxy.https");
        String dogstatsd = "pilotfish.collectors.dogstatsd.";
        mapping.put("DD_DOGSTATSD_PORT", dogstatsd + "port");
        mapping.put("DD_DOGSTATSD_NON_LOCAL_TRAFFIC", dogstatsd + "non-local-traffic");
        mapping.put("DD_DOGSTATSD_SOCKET", dogstatsd + "socket");
        mapping.put("DD_DOGSTATSD_STREAM_SOCKET", dogstatsd + "stream-socket");
        mapping.put("DD_DOGSTATSD_BUFFER_SIZE", dogstatsd + "buffer-size");
        mapping.put("DD_DOGSTATSD_SO_RCVBUF", dogstatsd + "so-rcvbuf");
        mapping.put("DD_DOGSTATSD_QUEUE_SIZE", dogstatsd + "queue-size");
        mapping.put("DD_DOGSTATSD_TAG_CARDINALITY", dogstatsd + "tag-cardinality");
        mapping.put("DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT", dogstatsd + "origin-detection");
        mapping.put("DD_DOGSTATSD_ORIGIN_DETECTION", dogstatsd + "origin-detection");
        mapping.put("DD_DOGSTATSD_TAGS", dogstatsd + "tags");
        mapping.put("DD_DOGSTATSD_CONTEXT_LIMIT", dogstatsd + "context-limit");
        mapping.put("DD_DOGSTATSD_EXPIRY_SECONDS", dogstatsd + "expiry-seconds");
        mapping.put("DD_HISTOGRAM_AGGREGATES", dogstatsd + "histogram-aggregates");
        mapping.put("DD_HISTOGRAM_PERCENTILES", dogstatsd + "histogram-percentiles");
        String apm = "pilotfish.collectors.apm.";
        mapping.put("DD_APM_RECEIVER_PORT", apm + "port");
        mapping.put("DD_APM_NON_LOCAL_TRAFFIC", apm + "non-local-traffic");
        mapping.put("DD_APM_RECEIVER_SOCKET", apm + "socket");
        mapping.put("DD_APM_MAX_PAYLOAD_SIZE", apm + "max-payload-bytes");
        mapping.put("DD_APM_RECEIVER_TIMEOUT", apm + "receiver-timeout-seconds");
        mapping.put("DD_APM_DECODERS", apm + "decoders");
        mapping.put("DD_APM_DECODER_TIMEOUT", apm + "decoder-timeout-millis");
        mapping.put("DD_APM_ENV", apm + "env");
        mapping.put("DD_APM_COMPUTE_STATS_BY_SPAN_KIND", apm + "compute-stats-by-span-kind");
        mapping.put("DD_APM_PEER_TAGS_AGGREGATION", apm + "peer-tags-aggregation");
        mapping.put("DD_APM_PEER_SERVICE_AGGREGATION", apm + "peer-tags-aggregation");
        mapping.put("DD_APM_PEER_TAGS", apm + "peer-tags");
        mapping.put("DD_APM_PROFILING_DD_URL", apm + "profiling-url");
        mapping.put("DD_APM_TELEMETRY_DD_URL", apm + "telemetry-url");
        mapping.put("DD_APM_TELEMETRY_ENABLED", apm + "telemetry-enabled");
        mapping.put("DD_APM_DEBUGGER_DD_URL", apm + "debugger-url");
        mapping.put("DD_APM_DEBUGGER_DIAGNOSTICS_DD_URL", apm + "debugger-diagnostics-url");
        mapping.put("DD_APM_EVP_PROXY_CONFIG_DD_URL", apm + "evp-url");
        mapping.put("DD_APM_ENABLED", apm + "enabled");
        mapping.put("DD_APM_DD_URL", "pilotfish.sinks.datadog-traces.url");
        mapping.put("DD_LOGS_ENABLED", LOGS_COLLECTOR + "enabled");
        mapping.put("DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL", LOGS_COLLECTOR + "container-collect-all");
        mapping.put("DD_LOGS_CONFIG_PROCESSING_RULES", "pilotfish.logs.processing-rules");
        mapping.put("DD_LOGS_CONFIG_AUTO_MULTI_LINE_DETECTION", "pilotfish.logs.auto-multi-line-detection");
        mapping.put("DD_LOGS_CONFIG_COMPRESSION_KIND", LOGS_SINK + "compression");
        mapping.put("DD_LOGS_CONFIG_COMPRESSION_LEVEL", LOGS_SINK + "gzip-level");
        mapping.put("DD_LOGS_CONFIG_BATCH_MAX_CONCURRENT_SEND", LOGS_SINK + "max-concurrent-sends");
        MAPPING = java.util.Collections.unmodifiableMap(mapping);

        // One variable, more keys: APM off turns its two sinks off too, so they take no share of the heap; the
        // trace intake URL is both sinks'.
        Map<String, java.util.List<String>> also = new LinkedHashMap<>();
        also.put("DD_APM_ENABLED", java.util.List.of("pilotfish.sinks.datadog-traces.enabled",
                "pilotfish.sinks.datadog-apm-stats.enabled"));
        also.put("DD_APM_DD_URL", java.util.List.of("pilotfish.sinks.datadog-apm-stats.url"));
        also.put("DD_LOGS_ENABLED", java.util.List.of(LOGS_SINK + "enabled"));
        ALSO = java.util.Collections.unmodifiableMap(also);

        Map<String, String> later = new LinkedHashMap<>();
        NOT_YET = java.util.Collections.unmodifiableMap(later);

        Map<String, String> noEffect = new LinkedHashMap<>();
        noEffect.put("ECS_FARGATE", "the launch type comes from the task metadata");
        noEffect.put("DD_CHECKS_TAG_CARDINALITY", "the Datadog Agent's ECS checks tag container metrics at high "
                + "cardinality whatever this says, and so does Pilotfish");
        noEffect.put("DD_LOGS_CONFIG_ZSTD_COMPRESSION_LEVEL", "the logs sink's zstd compressor (pure Java) has one "
                + "level, 3; the Agent's default is 1, which compresses a little less");
        NO_EFFECT = java.util.Collections.unmodifiableMap(noEffect);
    }

    /** Variables that set more keys than their {@link #MAPPING} one. */
    public static final Map<String, java.util.List<String>> ALSO;

    /** Variables for features Pilotfish does not have yet, with the feature's name. */
    public static final Map<String, String> NOT_YET;

    /** Variables that are accepted but change nothing, with the reason. */
    public static final Map<String, String> NO_EFFECT;

    /** One line per variable of the environment that is set but not honoured, for the start-up log. */
    public static java.util.List<String> ignored(Map<String, String> env) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        NOT_YET.forEach((variable, feature) -> {
            if (env.containsKey(variable)) {
                lines.add(variable + " is set, but Pilotfish does not handle " + feature + " yet; it is ignored");
            }
        });
        return lines;
    }

    private DatadogEnvironment() {
    }

    /** Where ECS mounts the generated Fluent Bit configuration in the task's FireLens log router. */
    public static final String FIRELENS_CONFIG = "/fluent-bit/etc/fluent-bit.conf";
    /** The environment variable of the forward collector's {@code firelens-config} key. */
    static final String FIRELENS_CONFIG_VARIABLE = "PILOTFISH_COLLECTORS_FLUENT_FORWARD_FIRELENS_CONFIG";

    /**
     * Whether Pilotfish is the task's FireLens log router: ECS mounts the Fluent Bit configuration it generated into
     * that container only. Then log collection is on unless {@code DD_LOGS_ENABLED} says otherwise, so that swapping
     * the router's image is all a user changes; in any other container the receiver stays off, and cannot take port
     * 24224 from a Fluent Bit router beside it.
     */
    public static boolean isFireLensRouter(Map<String, String> env) {
        String path = env.getOrDefault(FIRELENS_CONFIG_VARIABLE, FIRELENS_CONFIG);
        return !path.isBlank() && java.nio.file.Files.isRegularFile(java.nio.file.Path.of(path));
    }

    /**
     * {@code DD_LOGS_CONFIG_LOGS_DD_URL} is {@code host:port} in the Agent, over TLS unless
     * {@code DD_LOGS_CONFIG_LOGS_NO_SSL} is true. A value that is no {@code host:port} is passed on as it is, so the
     * sink's check of its {@code url} refuses it, naming where it came from.
     */
    static String logsUrl(String hostPort, String noSsl) {
        boolean plain = noSsl != null && java.util.Set.of("true", "1", "yes", "on").contains(
                noSsl.trim().toLowerCase(java.util.Locale.ROOT));
        try {
            return io.pilotfish.sink.datadog.logs.DatadogLogsSinkFactory.fromAgentHostPort(hostPort.trim(), plain)
                    .toString();
        } catch (IllegalArgumentException e) {
            return hostPort.trim();
        }
    }

    /** The keys the given environment sets; the first variable in {@link #MAPPING} order wins for a key. */
    public static Map<String, String> translate(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        MAPPING.forEach((variable, key) -> {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                out.putIfAbsent(key, value.trim());
                for (String more : ALSO.getOrDefault(variable, java.util.List.of())) {
                    out.putIfAbsent(more, value.trim());
                }
            }
        });
        String logsUrl = env.get("DD_LOGS_CONFIG_LOGS_DD_URL");
        if (logsUrl != null && !logsUrl.isBlank()) {
            out.putIfAbsent(LOGS_SINK + "url", logsUrl(logsUrl, env.get("DD_LOGS_CONFIG_LOGS_NO_SSL")));
        }
        if ("false".equalsIgnoreCase(env.getOrDefault("DD_LOGS_CONFIG_USE_COMPRESSION", "").trim())) {
            out.put(LOGS_SINK + "compression", "none"); // as in the Agent, whatever the kind says
        }
        if (!out.containsKey(LOGS_COLLECTOR + "enabled") && isFireLensRouter(env)) {
            out.put(LOGS_COLLECTOR + "enabled", "true");
            out.put(LOGS_SINK + "enabled", "true");
        }
        return out;
    }
}
