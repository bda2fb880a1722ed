package io.pilotfish.collector.dogstatsd.listen;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What to listen on.
 *
 * @param udpHost the UDP bind address: 127.0.0.1, or 0.0.0.0 when non-local traffic is allowed
 * @param udpPort the UDP port; 0 turns UDP off, {@link #ANY_FREE_PORT} binds any free port (for tests)
 * @param socket the Unix datagram socket path, or null for none
 * @param streamSocket the Unix stream socket path, or null for none
 * @param bufferSize the largest packet in bytes (the Agent's {@code dogstatsd_buffer_size}, 8192 by default)
 * @param receiveBufferBytes SO_RCVBUF for the sockets, 0 for the OS default
 * @param originFromPeerCredentials resolve the container of a stream socket peer from its pid
 */
public record ListenerSettings(
        String udpHost,
        int udpPort,
        Path socket,
        Path streamSocket,
        int bufferSize,
        int receiveBufferBytes,
        boolean originFromPeerCredentials) {

    public static final int ANY_FREE_PORT = -1;
    public static final int DEFAULT_BUFFER_SIZE = 8192;
    /** The largest UDP payload; the Agent documents the same ceiling for {@code dogstatsd_buffer_size}. */
    public static final int MAX_BUFFER_SIZE = 65536;

    public ListenerSettings {
        Objects.requireNonNull(udpHost, "udpHost");
        if (udpPort < ANY_FREE_PORT || udpPort > 65535) {
            throw new IllegalArgumentException("udpPort must be 0 (off) to 65535, or -1 for any free port: " + udpPort);
        }
        if (bufferSize < 1 || bufferSize > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("bufferSize must be 1 to " + MAX_BUFFER_SIZE + " bytes: " + bufferSize);
        }
        if (receiveBufferBytes < 0) {
            throw new IllegalArgumentException(
                    "receiveBufferBytes must be 0 (OS default) or more: " + receiveBufferBytes);
        }
    }

    public boolean udpEnabled() {
        return udpPort != 0;
    }
}
