package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.signal.TagSet;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code dogstatsd} collector.
 *
 * @param host              address the UDP listener binds: the loopback unless non-local traffic is allowed
 * @param port              UDP port (key {@code port}); 0 for no UDP listener
 * @param socket            Unix datagram socket path (key {@code socket})
 * @param streamSocket      Unix stream socket path (key {@code stream-socket})
 * @param bufferSize        largest packet taken whole, in bytes (key {@code buffer-size})
 * @param receiveBuffer     the sockets' kernel receive buffer in bytes, 0 for the OS default (key {@code so-rcvbuf})
 * @param queueSize         packets waiting to be parsed (key {@code queue-size}); with {@code bufferSize} the memory
 *                          budget of the intake
 * @param tagCardinality    the cardinality of the ECS tags added (key {@code tag-cardinality})
 * @param originDetection   whether a client's container id adds that container's tags (key {@code origin-detection})
 * @param aggregation       histogram aggregates and percentiles, context limit, counter expiry
 * @param extraTags         tags added to everything this collector emits (key {@code tags})
 */
public record DogStatsdConfig(String host, int port, Optional<Path> socket, Optional<Path> streamSocket,
                              int bufferSize, int receiveBuffer, int queueSize, Cardinality tagCardinality,
                              boolean originDetection, Aggregator.Settings aggregation, TagSet extraTags) {

    public static final int DEFAULT_PORT = 8125;
    public static final int DEFAULT_BUFFER_SIZE = 8192;
    public static final int MAX_BUFFER_SIZE = 65_536;
    public static final int DEFAULT_QUEUE_SIZE = 1024;
    /**
     * 4 MiB asked, where the Agent leaves the OS default (208 KiB on most hosts, 6 ms of a 500k lines/s load): the
     * kernel buffer is what holds packets while reading is paused or the JVM stops for a collection. The kernel caps
     * the request at net.core.rmem_max, and memory is only used while packets wait.
     */
    public static final int DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024;

    public DogStatsdConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(streamSocket, "streamSocket");
        Objects.requireNonNull(tagCardinality, "tagCardinality");
        Objects.requireNonNull(aggregation, "aggregation");
        Objects.requireNonNull(extraTags, "extraTags");
    }

    /** Whether anything listens at all. */
    public boolean listens() {
        return port != 0 || socket.isPresent() || streamSocket.isPresent();
    }
}
