package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.firelens.FireLensRoutes;
import io.pilotfish.collector.forward.firelens.FluentBitConfig;
import io.pilotfish.collector.forward.firelens.FluentBitConfigException;
import io.pilotfish.processing.logs.LogProcessingOptions;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code fluent-forward} collector: the Fluentd forward protocol on TCP 24224 and ECS's FireLens socket, as Fluent
 * Bit's {@code in_forward} serves it to the {@code awsfirelens} log driver.
 */
public final class ForwardFactory implements CollectorFactory<ForwardConfig> {

    public static final String TYPE = "fluent-forward";
    /** A Unix socket path must fit {@code sockaddr_un.sun_path} (108 bytes with its terminating zero). */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    /** Threads, read buffers, the decoders' inflate windows and string tables beside the budgets. */
    static final long FIXED_MEMORY_BYTES = 3L * 1024 * 1024;
    /** The most one socket read delivers. */
    static final long READ_BYTES = 64 * 1024;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ForwardConfig configure(PluginConfig config) {
        int port = (int) config.number("port", ForwardConfig.DEFAULT_PORT, 0, 65_535);
        String bind = config.string("bind", ForwardConfig.DEFAULT_BIND).trim();
        if (bind.isEmpty()) {
            config.problem("bind", "an address to listen on, e.g. 127.0.0.1 (the default) or 0.0.0.0");
            bind = ForwardConfig.DEFAULT_BIND;
        }
        Optional<Path> socket = socketPath(config);
        Optional<Secret> sharedKey = config.secret("shared-key").filter(s -> !s.reveal().isEmpty());
        long maxFrame = config.number("max-frame-bytes", ForwardConfig.DEFAULT_MAX_FRAME_BYTES, 64 * 1024,
                1L << 30);
        long maxDecompressed = config.number("max-decompressed-bytes", ForwardConfig.DEFAULT_MAX_DECOMPRESSED_BYTES,
                64 * 1024, 1L << 34);
        int maxLine = (int) config.number("max-line-bytes", ForwardConfig.DEFAULT_MAX_LINE_BYTES, 1024,
                1L << 30);
        int maxConnections = (int) config.number("max-connections", ForwardConfig.DEFAULT_MAX_CONNECTIONS, 1,
                65_536);
        long maxBuffered = config.number("max-buffered-bytes", ForwardConfig.DEFAULT_MAX_BUFFERED_BYTES,
                64 * 1024, 1L << 34);
        if (maxBuffered < maxFrame + READ_BYTES) {
            config.problem("max-buffered-bytes", "at least max-frame-bytes + 64 KiB (" + (maxFrame + READ_BYTES)
                    + "), so that a frame of the largest size and the read that ends it can be held");
        }
        Duration idle = config.duration("idle-timeout", ForwardConfig.DEFAULT_IDLE_TIMEOUT);
        if (idle.isNegative() || idle.isZero()) {
            config.problem("idle-timeout", "a positive duration, e.g. 60s");
            idle = ForwardConfig.DEFAULT_IDLE_TIMEOUT;
        }
        boolean heartbeat = config.bool("udp-heartbeat", true);
        return new ForwardConfig(bind, port, socket, sharedKey, maxFrame, maxDecompressed, maxLine, maxConnections,
                maxBuffered, idle, heartbeat, routes(config), config.bool("container-collect-all", false),
                LogProcessingOptions.read(config));
    }

    /**
     * The FireLens configuration ECS mounted, read once here so that a broken one is a start-up error naming the key;
     * none at the default path means a plain forward receiver, whose records all go to Datadog.
     */
    private static FireLensRoutes routes(PluginConfig config) {
        Optional<String> set = config.string("firelens-config").map(String::trim);
        String path = set.orElse(FluentBitConfig.FIRELENS_PATH);
        if (path.isEmpty()) {
            return FireLensRoutes.none();
        }
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            if (set.isPresent()) {
                config.problem("firelens-config", "the Fluent Bit configuration ECS generates for the log router ("
                        + FluentBitConfig.FIRELENS_PATH + "), or empty for none; " + path + " is not a file");
            }
            return FireLensRoutes.none();
        }
        try {
            return FireLensRoutes.of(FluentBitConfig.read(file, System.getenv()));
        } catch (FluentBitConfigException e) {
            config.problem("firelens-config", "a Fluent Bit configuration Pilotfish can read: " + e.getMessage());
            return FireLensRoutes.none();
        }
    }

    /**
     * The connections' shared buffer budget (the frames in work are read where they were buffered), and per decoder
     * thread one frame's worth more: the inflate window of a compressed chunk's largest entry, or the transient
     * decoded form of a frame (its records, once emitted, count in the sinks' queues).
     */
    @Override
    public long memoryBytes(ForwardConfig config) {
        return config.maxBufferedBytes() + ForwardReceiver.WORKERS * config.maxFrameBytes() + FIXED_MEMORY_BYTES
                + ForwardReceiver.MAX_PENDING_MESSAGE_BYTES;
    }

    @Override
    public Collector create(ForwardConfig config, PluginContext context) {
        return new ForwardReceiver(config, context);
    }

    private static Optional<Path> socketPath(PluginConfig config) {
        Optional<String> raw = config.string("socket").map(String::trim);
        if (raw.isEmpty()) {
            return Optional.of(ForwardConfig.DEFAULT_SOCKET);
        }
        String value = raw.get();
        if (value.isEmpty()) {
            return Optional.empty(); // set empty on purpose: no socket
        }
        String path = value.startsWith("unix://") ? value.substring("unix://".length()) : value;
        if (!path.startsWith("/")) {
            config.problem("socket", "an absolute path, e.g. /var/run/fluent.sock, or empty for none");
            return Optional.empty();
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            config.problem("socket", "a path of at most " + MAX_SOCKET_PATH_BYTES + " bytes (the limit of a Unix "
                    + "socket address)");
            return Optional.empty();
        }
        return Optional.of(Path.of(path));
    }
}
