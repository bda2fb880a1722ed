package io.pilotfish.collector.dogstatsd.listen;

import io.netty.buffer.ByteBuf;

/** Receives what the listeners read. Both methods run on the listener thread, so they must never block. */
public interface PacketHandler {

    /**
     * One packet. {@code packet} is valid only during the call (copy what you keep).
     *
     * @param truncated the datagram was longer than the buffer size and was cut at that many bytes
     * @param peerContainerId the container id resolved from the Unix socket peer's credentials, or "" when none
     */
    void packet(Transport transport, ByteBuf packet, boolean truncated, String peerContainerId);

    /** A listener-level problem (stream frame too long, connection reset, ...): a short reason tag and a message. */
    void problem(Transport transport, String reason, String message);
}
