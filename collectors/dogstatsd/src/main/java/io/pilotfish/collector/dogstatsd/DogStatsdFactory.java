package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code dogstatsd} collector: DogStatsD over UDP and Unix sockets, aggregated as the Datadog Agent aggregates
 * it. Keys follow the Agent's {@code dogstatsd_*} settings, and the Agent's {@code DD_DOGSTATSD_*} variables set them.
 */
public final class DogStatsdFactory implements CollectorFactory<DogStatsdConfig> {

    public static final String TYPE = "dogstatsd";
    /** A Unix socket path must fit {@code sockaddr_un.sun_path} (108 bytes with its terminating zero). */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DogStatsdConfig configure(PluginConfig config) {
        int port = (int) config.number("port", DogStatsdConfig.DEFAULT_PORT, 0, 65_535);
        boolean nonLocal = config.bool("non-local-traffic", false);
        Optional<Path> socket = socketPath(config, "socket");
        Optional<Path> streamSocket = socketPath(config, "stream-socket");
        if (socket.isPresent() && socket.equals(streamSocket)) {
            config.problem("stream-socket", "a path other than socket's: one file cannot be both sockets");
        }
        int bufferSize = (int) config.number("buffer-size", DogStatsdConfig.DEFAULT_BUFFER_SIZE, 512,
                DogStatsdConfig.MAX_BUFFER_SIZE);
        int receiveBuffer = (int) config.number("so-rcvbuf", DogStatsdConfig.DEFAULT_RECEIVE_BUFFER, 0, 1L << 30);
        int queueSize = (int) config.number("queue-size", DogStatsdConfig.DEFAULT_QUEUE_SIZE, 1, 65_536);
        Cardinality cardinality = config.choice("tag-cardinality", Cardinality.class, Cardinality.LOW);
        boolean originDetection = config.bool("origin-detection", true);
        List<String> aggregates = words(config, "histogram-aggregates");
        if (aggregates.isEmpty() && config.string("histogram-aggregates").isEmpty()) {
            aggregates = Aggregator.Settings.DEFAULTS.aggregates();
        }
        List<String> badAggregates = aggregates.stream()
                .filter(a -> !Aggregator.Settings.SUPPORTED_AGGREGATES.contains(a)).toList();
        if (!badAggregates.isEmpty()) {
            config.problem("histogram-aggregates", "aggregates among " + Aggregator.Settings.SUPPORTED_AGGREGATES
                    + " (unknown: " + String.join(", ", badAggregates) + ")");
            aggregates = Aggregator.Settings.DEFAULTS.aggregates();
        }
        List<Integer> percentiles = percentiles(config);
        int contextLimit = (int) config.number("context-limit", Aggregator.Settings.DEFAULTS.maxContexts(), 1,
                10_000_000);
        long expiry = config.number("expiry-seconds", Aggregator.Settings.DEFAULTS.counterExpiry(), 0, 86_400);
        long aggregatorBytes = config.number("aggregator.max-bytes",
                Aggregator.Settings.defaultMaxBytes(Runtime.getRuntime().maxMemory()), Aggregator.Settings.MIN_BYTES,
                1L << 40);
        TagSet tags = TagSet.of(words(config, "tags"));
        return new DogStatsdConfig(nonLocal ? "0.0.0.0" : "127.0.0.1", port, socket, streamSocket, bufferSize,
                receiveBuffer, queueSize, cardinality, originDetection,
                new Aggregator.Settings(aggregates, percentiles, contextLimit, expiry, aggregatorBytes), tags);
    }

    @Override
    public long memoryBytes(DogStatsdConfig config) {
        return PacketQueue.memoryBytes(config.queueSize(), config.bufferSize()) + config.aggregation().maxBytes()
                + DogStatsdReceiver.FIXED_MEMORY_BYTES;
    }

    @Override
    public Collector create(DogStatsdConfig config, PluginContext context) {
        return new DogStatsdReceiver(config, context);
    }

    private static Optional<Path> socketPath(PluginConfig config, String key) {
        Optional<String> value = config.string(key).map(String::trim).filter(v -> !v.isEmpty());
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String path = value.get().startsWith("unix://") ? value.get().substring("unix://".length()) : value.get();
        if (!path.startsWith("/")) {
            config.problem(key, "an absolute path, e.g. /var/run/datadog/dsd.socket");
            return Optional.empty();
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            config.problem(key, "a path of at most " + MAX_SOCKET_PATH_BYTES + " bytes (the limit of a Unix socket "
                    + "address)");
            return Optional.empty();
        }
        return Optional.of(Path.of(path));
    }

    /**
     * The Agent's lists come space-separated from the environment and comma-separated from files: take both.
     * Histogram settings are names and numbers, so their case does not matter; tags keep theirs.
     */
    private static List<String> words(PluginConfig config, String key) {
        List<String> out = new ArrayList<>();
        for (String item : config.list(key)) {
            for (String word : item.trim().split("\\s+")) {
                if (!word.isEmpty()) {
                    out.add(key.startsWith("histogram-") ? word.toLowerCase(Locale.ROOT) : word);
                }
            }
        }
        return out;
    }

    /** Percentiles as the Agent writes them ({@code 0.95}), each becoming {@code .95percentile}. */
    private static List<Integer> percentiles(PluginConfig config) {
        if (config.string("histogram-percentiles").isEmpty()) {
            return Aggregator.Settings.DEFAULTS.percentiles();
        }
        List<Integer> out = new ArrayList<>();
        for (String word : words(config, "histogram-percentiles")) {
            double fraction;
            try {
                fraction = Double.parseDouble(word);
            } catch (NumberFormatException e) {
                fraction = Double.NaN;
            }
            long percent = Math.round(fraction * 100);
            if (!(fraction > 0 && fraction <= 1) || Math.abs(fraction * 100 - percent) > 1e-9 || percent < 1) {
                config.problem("histogram-percentiles", "fractions from 0.01 to 1 in hundredths, e.g. 0.95 0.99 "
                        + "(got \"" + word + "\")");
                return Aggregator.Settings.DEFAULTS.percentiles();
            }
            out.add((int) percent);
        }
        return out;
    }
}
