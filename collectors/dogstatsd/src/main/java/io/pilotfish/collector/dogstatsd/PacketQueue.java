package io.pilotfish.collector.dogstatsd;

import io.netty.buffer.ByteBuf;
import io.pilotfish.collector.dogstatsd.listen.Transport;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Packets between the listener thread and the parsing worker. Its buffers are allocated on first use and reused:
 * at most {@code capacity} of {@code bufferSize} bytes each, so a flood costs a bounded amount of memory and is
 * refused (the caller counts it) instead of growing the heap. Offers never block the listener.
 */
final class PacketQueue {

    /** One packet's bytes and where it came from. Owned by the worker between {@link #poll} and {@link #release}. */
    static final class Packet {
        final byte[] bytes;
        int length;
        Transport transport;
        boolean truncated;
        String peerContainerId;

        private Packet(int size) {
            this.bytes = new byte[size];
        }
    }

    private final ArrayBlockingQueue<Packet> ready;
    private final ArrayBlockingQueue<Packet> free;
    private final int capacity;
    private final int bufferSize;
    /** Only the listener thread allocates, so a plain counter is enough. */
    private int allocated;

    PacketQueue(int capacity, int bufferSize) {
        this.capacity = capacity;
        this.bufferSize = bufferSize;
        this.ready = new ArrayBlockingQueue<>(capacity);
        this.free = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * Copies up to {@code bufferSize} readable bytes of {@code content} into a free buffer and queues it.
     *
     * @return false when every buffer is waiting to be parsed: the packet is dropped
     */
    boolean offer(Transport transport, ByteBuf content, boolean truncated, String peerContainerId) {
        Packet packet = free.poll();
        if (packet == null) {
            if (allocated >= capacity) {
                return false;
            }
            allocated++;
            packet = new Packet(bufferSize);
        }
        int length = Math.min(content.readableBytes(), bufferSize);
        content.getBytes(content.readerIndex(), packet.bytes, 0, length);
        packet.length = length;
        packet.transport = transport;
        packet.truncated = truncated || content.readableBytes() > bufferSize;
        packet.peerContainerId = peerContainerId;
        ready.add(packet); // never full: there are no more packets than its capacity
        return true;
    }

    /** The next packet, or null after {@code timeout} without one. */
    Packet poll(long timeout, TimeUnit unit) throws InterruptedException {
        return ready.poll(timeout, unit);
    }

    /** Hands a parsed packet's buffer back for reuse. */
    void release(Packet packet) {
        packet.peerContainerId = "";
        free.add(packet);
    }

    /** Packets waiting to be parsed. */
    int depth() {
        return ready.size();
    }

    /** The most bytes the queue's buffers can hold. */
    long budgetBytes() {
        return (long) capacity * bufferSize;
    }
}
