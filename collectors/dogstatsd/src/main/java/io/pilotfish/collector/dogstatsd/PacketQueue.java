package io.pilotfish.collector.dogstatsd;

import io.netty.buffer.ByteBuf;
import io.pilotfish.collector.dogstatsd.listen.Transport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Packets between the listener thread (the one producer) and the parsing worker (the one consumer), held in a byte
 * ring bounded in bytes: a packet takes its own length, not a whole {@code buffer-size} slot, so the default 8 MiB
 * holds about 5,900 packets of 1.4 KiB where fixed slots held 1,024. Whenever the ring is empty, writing starts
 * again at its beginning, and its segments are allocated the first time they are needed: while the worker keeps up,
 * only the first segment is ever touched. Offers never block: a full ring refuses (the caller counts the drop, and
 * has normally stopped reading before, see {@link #nearlyFull}).
 */
final class PacketQueue {

    /** The ring is made of segments of about this size; no packet straddles two. */
    private static final int SEGMENT_TARGET_BYTES = 512 * 1024;
    /** Packet records per packet of {@code buffer-size} the budget holds: room for packets of ~1/32 of it (256 B). */
    private static final int RECORDS_PER_BUDGET_PACKET = 32;
    private static final int MAX_RECORDS = 1 << 20;

    /**
     * The packet the worker is parsing: {@code length} bytes of {@code bytes} from {@code offset}. One reused view,
     * valid between {@link #poll} and {@link #release}.
     */
    static final class Packet {
        byte[] bytes;
        int offset;
        int length;
        Transport transport;
        boolean truncated;
        String peerContainerId;
        private long reserved;

        private Packet() {
        }
    }

    private final int segmentSize;
    private final byte[][] segments;
    private final long capacity;
    private final int maxPacketBytes;

    // Records of queued packets: a ring of slots written by the listener, read by the worker.
    private final int recordMask;
    private final long[] recordStart;
    private final int[] recordLength;
    private final long[] recordReserved;
    private final byte[] recordFlags;
    private final String[] recordPeer;
    private static final Transport[] TRANSPORTS = Transport.values();
    private static final int TRUNCATED = 0x80;

    /** Records published by the listener / consumed by the worker; each written by one thread only. */
    private volatile long published;
    private volatile long consumed;
    /** Bytes reserved and not yet released, skipped tails included; added by the listener, subtracted by the worker. */
    private final AtomicLong usedBytes = new AtomicLong();
    /** Where the next packet goes, as a byte index in [0, capacity); the listener's alone. */
    private long writeIndex;
    private volatile Thread waitingWorker;
    /** Set by {@link #wake}: the worker's wait ends without a packet. */
    private volatile boolean wakeRequested;
    private final Packet view = new Packet();

    /**
     * @param queueSize      packets of {@code maxPacketBytes} the ring holds: its budget is the product
     * @param maxPacketBytes the largest packet ({@code buffer-size})
     */
    PacketQueue(int queueSize, int maxPacketBytes) {
        if (queueSize < 1 || maxPacketBytes < 1) {
            throw new IllegalArgumentException("queueSize and maxPacketBytes must be positive");
        }
        this.maxPacketBytes = maxPacketBytes;
        int packetsPerSegment = Math.max(1, Math.min(queueSize, SEGMENT_TARGET_BYTES / maxPacketBytes));
        this.segmentSize = packetsPerSegment * maxPacketBytes;
        int segmentCount = (queueSize + packetsPerSegment - 1) / packetsPerSegment;
        this.segments = new byte[segmentCount][];
        this.capacity = (long) segmentCount * segmentSize;
        int records = Integer.highestOneBit((int) Math.min(MAX_RECORDS,
                (long) queueSize * RECORDS_PER_BUDGET_PACKET) * 2 - 1);
        this.recordMask = records - 1;
        this.recordStart = new long[records];
        this.recordLength = new int[records];
        this.recordReserved = new long[records];
        this.recordFlags = new byte[records];
        this.recordPeer = new String[records];
    }

    /** The heap a ring of these dimensions may take: every segment and the packet records. */
    static long memoryBytes(int queueSize, int maxPacketBytes) {
        int packetsPerSegment = Math.max(1, Math.min(queueSize, SEGMENT_TARGET_BYTES / maxPacketBytes));
        long segmentSize = (long) packetsPerSegment * maxPacketBytes;
        long segmentCount = (queueSize + packetsPerSegment - 1) / packetsPerSegment;
        long records = Integer.highestOneBit((int) Math.min(MAX_RECORDS,
                (long) queueSize * RECORDS_PER_BUDGET_PACKET) * 2 - 1);
        return segmentCount * segmentSize + records * (8 + 4 + 8 + 1 + 4);
    }

    /**
     * Copies up to {@code maxPacketBytes} readable bytes of {@code content} into the ring and queues them. Listener
     * thread only.
     *
     * @return false when the ring has no room for them: the packet is dropped
     */
    boolean offer(Transport transport, ByteBuf content, boolean truncated, String peerContainerId) {
        long slot = published;
        if (slot - consumed > recordMask) {
            return false; // every record is in use (a flood of tiny packets)
        }
        int length = Math.min(content.readableBytes(), maxPacketBytes);
        long used = usedBytes.get();
        if (used == 0) {
            writeIndex = 0; // empty: start over at the beginning, so the same pages are reused
        }
        long start = writeIndex;
        long offsetInSegment = start % segmentSize;
        if (offsetInSegment + length > segmentSize) {
            start += segmentSize - offsetInSegment; // skip the segment's tail: packets never straddle segments
        }
        if (start + length > capacity) {
            start = 0;
        }
        long reserved = (start >= writeIndex ? start - writeIndex : capacity - writeIndex + start) + length;
        if (used + reserved > capacity) {
            return false;
        }
        int segment = (int) (start / segmentSize);
        byte[] bytes = segments[segment];
        if (bytes == null) {
            bytes = segments[segment] = new byte[segmentSize];
        }
        content.getBytes(content.readerIndex(), bytes, (int) (start % segmentSize), length);
        int record = (int) slot & recordMask;
        recordStart[record] = start;
        recordLength[record] = length;
        recordReserved[record] = reserved;
        recordFlags[record] = (byte) (transport.ordinal()
                | (truncated || content.readableBytes() > maxPacketBytes ? TRUNCATED : 0));
        recordPeer[record] = peerContainerId;
        writeIndex = start + length == capacity ? 0 : start + length;
        usedBytes.addAndGet(reserved);
        published = slot + 1; // publishes the bytes and the record to the worker
        Thread waiting = waitingWorker;
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
        return true;
    }

    /**
     * Ends the worker's {@link #poll} at once (or its next one, if it is not waiting), so it looks at its state again.
     * Any thread.
     */
    void wake() {
        wakeRequested = true;
        Thread waiting = waitingWorker;
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
    }

    /** The next packet, or null after about {@code timeout} without one or after {@link #wake}. Worker thread only. */
    Packet poll(long timeout, TimeUnit unit) throws InterruptedException {
        long slot = consumed;
        if (slot == published) {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            waitingWorker = Thread.currentThread();
            try {
                // Published is checked again once this thread shows as waiting, so no wake-up is missed; a park may
                // also end early (a stale unpark), hence the loop.
                while (slot == published) {
                    if (wakeRequested) {
                        wakeRequested = false;
                        return null;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    LockSupport.parkNanos(this, left);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                }
            } finally {
                waitingWorker = null;
            }
        }
        int record = (int) slot & recordMask;
        long start = recordStart[record];
        view.bytes = segments[(int) (start / segmentSize)];
        view.offset = (int) (start % segmentSize);
        view.length = recordLength[record];
        view.transport = TRANSPORTS[recordFlags[record] & ~TRUNCATED & 0xFF];
        view.truncated = (recordFlags[record] & TRUNCATED) != 0;
        view.peerContainerId = recordPeer[record];
        view.reserved = recordReserved[record];
        recordPeer[record] = null;
        return view;
    }

    /** Frees the polled packet's bytes for the listener. Worker thread only. */
    void release(Packet packet) {
        packet.bytes = null;
        usedBytes.addAndGet(-packet.reserved);
        consumed = consumed + 1;
    }

    /** Packets waiting to be parsed. */
    int depth() {
        return (int) (published - consumed);
    }

    /** Bytes held by queued packets (and the segment tails skipped for them). */
    long usedBytes() {
        return usedBytes.get();
    }

    /** Segments of the ring allocated so far: the memory it has cost. */
    int segmentsAllocated() {
        int allocated = 0;
        for (byte[] segment : segments) {
            allocated += segment == null ? 0 : 1;
        }
        return allocated;
    }

    /** The most bytes the ring can hold. */
    long budgetBytes() {
        return capacity;
    }

    /**
     * True when less than {@code headroomBytes} are free or the records are nearly used up: the listener should stop
     * reading before what is already in flight from the sockets overflows the ring.
     */
    boolean nearlyFull(long headroomBytes) {
        return capacity - usedBytes.get() < headroomBytes || published - consumed > recordMask - (recordMask >> 4);
    }
}
