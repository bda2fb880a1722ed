package io.pilotfish.collector.apm;

import io.pilotfish.collector.apm.filter.FilterConfigException;
import io.pilotfish.collector.apm.filter.TraceFilters;
import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig;
import io.pilotfish.collector.apm.obfuscate.ObfuscationConfigException;
import io.pilotfish.collector.apm.receive.ApmReceiver;
import io.pilotfish.collector.apm.sample.SamplingConfig;
import io.pilotfish.collector.apm.sample.SamplingConfigException;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code apm} collector: the trace-agent's HTTP API for Datadog's tracers, on 8126 and a Unix socket. Its keys
 * follow the Agent's {@code apm_config.*} settings and the Agent's {@code DD_APM_*} variables set them; the
 * obfuscation, sampling and filter variables are read from the environment as the Agent reads them.
 */
public final class ApmFactory implements CollectorFactory<ApmConfig> {

    public static final String TYPE = "apm";
    /** A Unix socket path must fit {@code sockaddr_un.sun_path} (108 bytes with its terminating zero). */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    /** Threads, buffers and the sampler's tables (5,000 service/env pairs at most) beside the budgets above. */
    static final long FIXED_MEMORY_BYTES = 3L * 1024 * 1024;

    private final Map<String, String> environment;

    public ApmFactory() {
        this(System.getenv());
    }

    /** With the given environment instead of the process's, for tests. */
    public ApmFactory(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ApmConfig configure(PluginConfig config) {
        int port = (int) config.number("port", ApmConfig.DEFAULT_PORT, 0, 65_535);
        boolean nonLocal = config.bool("non-local-traffic", false);
        Optional<Path> socket = socketPath(config);
        long maxPayload = config.number("max-payload-bytes", ApmConfig.DEFAULT_MAX_PAYLOAD_BYTES, 64 * 1024,
                1L << 30);
        // The Agent's variables give whole seconds and milliseconds (DD_APM_RECEIVER_TIMEOUT, DD_APM_DECODER_TIMEOUT).
        Duration receiverTimeout = config.string("receiver-timeout-seconds").isPresent()
                ? Duration.ofSeconds(config.number("receiver-timeout-seconds", 5, 1, 3600))
                : positive(config, "receiver-timeout", ApmConfig.DEFAULT_RECEIVER_TIMEOUT);
        int defaultDecoders = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        int decoders = (int) config.number("decoders", defaultDecoders, 1, 64);
        Duration decoderTimeout = config.string("decoder-timeout-millis").isPresent()
                ? Duration.ofMillis(config.number("decoder-timeout-millis", 1000, 1, 3_600_000))
                : positive(config, "decoder-timeout", ApmConfig.DEFAULT_DECODER_TIMEOUT);
        long maxDecoded = config.number("max-decoded-bytes", ApmConfig.DEFAULT_MAX_DECODED_BYTES, 256 * 1024,
                1L << 32);
        long statsBytes = config.number("stats.max-bytes", ApmConfig.DEFAULT_STATS_MAX_BYTES, 64 * 1024, 1L << 32);
        long clientStatsBytes = config.number("client-stats.max-bytes", ApmConfig.DEFAULT_CLIENT_STATS_MAX_BYTES,
                64 * 1024, 1L << 32);
        boolean bySpanKind = config.bool("compute-stats-by-span-kind", true);
        boolean peerTags = config.bool("peer-tags-aggregation", true);
        List<String> extraPeerTags = words(config, "peer-tags");
        Optional<String> env = config.string("env").map(String::trim).filter(v -> !v.isEmpty());

        Map<String, String> apmEnvironment = new TreeMap<>();
        environment.forEach((k, v) -> {
            if (k.startsWith("DD_APM_") || k.startsWith("DD_MAX_") || k.equals("DD_IGNORE_RESOURCE")) {
                apmEnvironment.put(k, v);
            }
        });
        ObfuscationConfig obfuscation = ObfuscationConfig.defaults();
        try {
            obfuscation = ObfuscationConfig.fromEnvironment(apmEnvironment);
        } catch (ObfuscationConfigException e) {
            config.problem("obfuscation", e.getMessage());
        }
        try {
            SamplingConfig.fromEnvironment(apmEnvironment, SamplingConfig.DEFAULT_ENV);
        } catch (SamplingConfigException e) {
            config.problem("sampling", e.getMessage());
        }
        TraceFilters filters = TraceFilters.none();
        try {
            filters = TraceFilters.fromEnvironment(apmEnvironment);
        } catch (FilterConfigException e) {
            config.problem("filters", e.getMessage());
        }
        ApmConfig.Intake intake = new ApmConfig.Intake(url(config, "profiling-url"), url(config, "telemetry-url"),
                config.bool("telemetry-enabled", true), url(config, "debugger-url"),
                url(config, "debugger-diagnostics-url"), url(config, "evp-url"));
        return new ApmConfig(nonLocal ? "0.0.0.0" : "127.0.0.1", port, socket, maxPayload, receiverTimeout, decoders,
                decoderTimeout, maxDecoded, statsBytes, clientStatsBytes, bySpanKind, peerTags, extraPeerTags, env,
                obfuscation, apmEnvironment, filters, intake);
    }

    @Override
    public long memoryBytes(ApmConfig config) {
        return config.decoders() * (config.maxPayloadBytes() + config.maxDecodedBytes())
                + ApmReceiver.PROXY_MAX_BYTES + config.statsMaxBytes() + config.clientStatsMaxBytes()
                + FIXED_MEMORY_BYTES;
    }

    @Override
    public Collector create(ApmConfig config, PluginContext context) {
        return new ApmReceiver(config, context);
    }

    private static Duration positive(PluginConfig config, String key, Duration defaultValue) {
        Duration value = config.duration(key, defaultValue);
        if (value.isNegative() || value.isZero()) {
            config.problem(key, "a positive duration, e.g. " + defaultValue.toSeconds() + "s");
            return defaultValue;
        }
        return value;
    }

    private static Optional<URI> url(PluginConfig config, String key) {
        Optional<String> value = config.string(key).map(String::trim).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(value.get());
            if ((uri.getScheme() == null || !uri.getScheme().matches("https?")) || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return Optional.of(uri);
        } catch (Exception e) {
            config.problem(key, "an http or https URL with a host, e.g. https://intake.profile.datadoghq.eu");
            return Optional.empty();
        }
    }

    private static Optional<Path> socketPath(PluginConfig config) {
        Optional<String> raw = config.string("socket").map(String::trim);
        if (raw.isEmpty()) {
            return Optional.of(ApmConfig.DEFAULT_SOCKET);
        }
        String value = raw.get();
        if (value.isEmpty()) {
            return Optional.empty(); // set empty on purpose: no socket
        }
        String path = value.startsWith("unix://") ? value.substring("unix://".length()) : value;
        if (!path.startsWith("/")) {
            config.problem("socket", "an absolute path, e.g. /var/run/datadog/apm.socket, or empty for none");
            return Optional.empty();
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            config.problem("socket", "a path of at most " + MAX_SOCKET_PATH_BYTES + " bytes (the limit of a Unix "
                    + "socket address)");
            return Optional.empty();
        }
        return Optional.of(Path.of(path));
    }

    /** The Agent's lists come space-separated from the environment and comma-separated from files: take both. */
    private static List<String> words(PluginConfig config, String key) {
        List<String> out = new ArrayList<>();
        for (String item : config.list(key)) {
            for (String word : item.trim().split("[\\s,]+")) {
                if (!word.isEmpty()) {
                    out.add(word);
                }
            }
        }
        return out;
    }
}
