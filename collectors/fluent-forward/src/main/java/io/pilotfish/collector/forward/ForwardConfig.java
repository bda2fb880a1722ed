package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.firelens.FireLensRoutes;
import io.pilotfish.processing.logs.LogProcessingOptions;
import io.pilotfish.spi.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code fluent-forward} collector.
 *
 * @param bind                 address the TCP listener (and the UDP heartbeat) binds (key {@code bind})
 * @param port                 TCP port, also the UDP heartbeat's (key {@code port}); 0 for no TCP listener
 * @param socket               Unix stream socket path (key {@code socket}), served when its directory exists
 * @param sharedKey            when present, every connection must pass the HELO/PING/PONG handshake with it
 *                             (key {@code shared-key})
 * @param maxFrameBytes        the largest msgpack frame taken; larger ones close the connection
 *                             (key {@code max-frame-bytes})
 * @param maxDecompressedBytes how far one CompressedPackedForward chunk may inflate (key {@code max-decompressed-bytes})
 * @param maxLineBytes         longer messages are cut here (key {@code max-line-bytes})
 * @param maxConnections       connections over this are closed at once (key {@code max-connections})
 * @param maxBufferedBytes     what all connections' partial frames may hold together (key {@code max-buffered-bytes})
 * @param idleTimeout          a connection holding a partial frame (or an unfinished handshake) this long without a
 *                             byte is closed (key {@code idle-timeout})
 * @param udpHeartbeat         whether UDP heartbeats on the same port are answered (key {@code udp-heartbeat})
 * @param routes               what the FireLens configuration (key {@code firelens-config}) asks per container; every
 *                             record goes to Datadog as it is when there is none
 * @param containerCollectAll  records no FireLens datadog output takes are sent too, as the Agent's
 *                             {@code DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL} (key {@code container-collect-all})
 * @param processing           rules, multi-line and stack-trace joining for every record (keys
 *                             {@code log-processing-rules}, {@code stack-trace-aggregation},
 *                             {@code auto-multi-line-detection}); a container's labels add their own rules
 */
public record ForwardConfig(String bind, int port, Optional<Path> socket, Optional<Secret> sharedKey,
                            long maxFrameBytes, long maxDecompressedBytes, int maxLineBytes, int maxConnections,
                            long maxBufferedBytes, Duration idleTimeout, boolean udpHeartbeat,
                            FireLensRoutes routes, boolean containerCollectAll, LogProcessingOptions processing) {

    public static final int DEFAULT_PORT = 24224;
    public static final String DEFAULT_BIND = "127.0.0.1";
    /** Where ECS's generated FireLens configuration has Fluent Bit listen, and so where the drivers send. */
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/fluent.sock");
    /** Fluent Bit's {@code in_forward} {@code Buffer_Max_Size}: what clients already keep their chunks under. */
    public static final long DEFAULT_MAX_FRAME_BYTES = 6_144_000;
    public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 16L * 1024 * 1024;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    public ForwardConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(sharedKey, "sharedKey");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(routes, "routes");
        Objects.requireNonNull(processing, "processing");
    }
}
