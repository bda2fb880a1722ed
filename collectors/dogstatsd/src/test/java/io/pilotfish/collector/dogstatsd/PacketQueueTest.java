package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pilotfish.collector.dogstatsd.listen.Transport;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PacketQueueTest {

    private static ByteBuf bytes(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    private static boolean offer(PacketQueue queue, String text) {
        ByteBuf packet = bytes(text);
        try {
            return queue.offer(Transport.UDP, packet, false, "");
        } finally {
            packet.release();
        }
    }

    private static String take(PacketQueue queue) throws InterruptedException {
        PacketQueue.Packet packet = queue.poll(1, TimeUnit.SECONDS);
        if (packet == null) {
            return null;
        }
        String text = new String(packet.bytes, packet.offset, packet.length, StandardCharsets.UTF_8);
        queue.release(packet);
        return text;
    }

    @Test
    void aPacketTakesItsLengthNotAWholeBufferSoMorePacketsFit() throws Exception {
        PacketQueue queue = new PacketQueue(2, 64); // 128 bytes
        assertEquals(128, queue.budgetBytes());
        int accepted = 0;
        while (offer(queue, "x:1|c\n".repeat(3))) { // 18 bytes each
            accepted++;
        }
        assertEquals(7, accepted, "7 x 18 bytes fit in 128; fixed 64-byte slots held 2");
        assertEquals(7 * 18, queue.usedBytes());
        assertEquals(7, queue.depth());
        assertEquals("x:1|c\n".repeat(3), take(queue));
        assertTrue(offer(queue, "y:1|c"), "room freed by the worker is reused");
    }

    @Test
    void packetsComeOutInOrderWithTheirTransportTruncationAndPeer() throws Exception {
        PacketQueue queue = new PacketQueue(4, 64);
        ByteBuf stream = bytes("s:1|c");
        ByteBuf tooLong = bytes("z".repeat(100));
        try {
            assertTrue(queue.offer(Transport.UNIX_STREAM, stream, false, "c0ffee"));
            assertTrue(queue.offer(Transport.UDP, tooLong, false, ""));
        } finally {
            stream.release();
            tooLong.release();
        }
        PacketQueue.Packet first = queue.poll(1, TimeUnit.SECONDS);
        assertEquals(Transport.UNIX_STREAM, first.transport);
        assertEquals("c0ffee", first.peerContainerId);
        assertFalse(first.truncated);
        assertEquals("s:1|c", new String(first.bytes, first.offset, first.length, StandardCharsets.UTF_8));
        queue.release(first);
        PacketQueue.Packet second = queue.poll(1, TimeUnit.SECONDS);
        assertEquals(Transport.UDP, second.transport);
        assertTrue(second.truncated, "a packet over the buffer size is cut there and marked");
        assertEquals(64, second.length);
        queue.release(second);
        assertNull(queue.poll(10, TimeUnit.MILLISECONDS));
        assertEquals(0, queue.usedBytes());
    }

    @Test
    void packetsNeverStraddleTheEndOfTheRingAndTheSkippedTailCountsAsUsed() throws Exception {
        PacketQueue queue = new PacketQueue(1, 100); // one 100-byte segment
        assertTrue(offer(queue, "a".repeat(40)));
        assertTrue(offer(queue, "b".repeat(40)));
        assertEquals("a".repeat(40), take(queue)); // free: 40 bytes at the start, 20 at the end
        assertTrue(offer(queue, "c".repeat(30)), "goes to the start; the 20-byte tail is skipped");
        assertEquals(40 + 20 + 30, queue.usedBytes());
        assertFalse(offer(queue, "d".repeat(15)), "only 10 bytes are free before the b packet");
        assertEquals("b".repeat(40), take(queue));
        assertEquals("c".repeat(30), take(queue));
        assertEquals(0, queue.usedBytes());
        assertTrue(offer(queue, "e".repeat(100)), "an empty ring starts over and can take a full-size packet");
        assertEquals("e".repeat(100), take(queue));
    }

    @Test
    void aWorkerThatKeepsUpTouchesOnlyTheFirstSegment() throws Exception {
        PacketQueue queue = new PacketQueue(1024, 8192); // 8 MiB in segments of 512 KiB
        assertEquals(8L * 1024 * 1024, queue.budgetBytes());
        assertEquals(0, queue.segmentsAllocated(), "nothing is allocated before the first packet");
        String packet = "app.requests:1|c|#route:/r1\n".repeat(50);
        for (int i = 0; i < 10_000; i++) {
            assertTrue(offer(queue, packet));
            assertEquals(packet, take(queue));
        }
        assertEquals(1, queue.segmentsAllocated());
    }

    @Test
    void aFloodOfTinyPacketsIsBoundedByRecordsToo() {
        PacketQueue queue = new PacketQueue(1, 65_536); // 64 KiB, 32 records
        int accepted = 0;
        while (offer(queue, "x")) {
            accepted++;
        }
        assertEquals(32, accepted);
        assertTrue(queue.nearlyFull(0), "out of records counts as nearly full");
    }

    @Test
    void nearlyFullLeavesRoomForWhatAReadStillBrings() {
        PacketQueue queue = new PacketQueue(8, 1000); // 8000 bytes
        assertFalse(queue.nearlyFull(3000));
        assertTrue(offer(queue, "x".repeat(1000)));
        assertTrue(offer(queue, "x".repeat(1000)));
        assertTrue(offer(queue, "x".repeat(1000)));
        assertTrue(offer(queue, "x".repeat(1000)));
        assertFalse(queue.nearlyFull(3000), "4000 bytes free");
        assertTrue(offer(queue, "x".repeat(1000)));
        assertFalse(queue.nearlyFull(3000), "3000 bytes free");
        assertTrue(offer(queue, "x".repeat(1)));
        assertTrue(queue.nearlyFull(3000), "2999 bytes free");
    }

    @Test
    void aListenerAndAWorkerOnTheirOwnThreadsPassEveryPacketIntactAndInOrder() throws Exception {
        PacketQueue queue = new PacketQueue(16, 512); // small, so the two threads wrap the ring thousands of times
        int count = 200_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread listener = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    String text = i + ":" + "v".repeat(i % 300);
                    while (!offer(queue, text)) {
                        Thread.onSpinWait(); // full: the real listener pauses reading here
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        for (int i = 0; i < count; i++) {
            String expected = i + ":" + "v".repeat(i % 300);
            String got = take(queue);
            if (!expected.equals(got)) {
                listener.interrupt();
                assertEquals(expected, got, "packet " + i);
            }
        }
        listener.join(10_000);
        assertNull(failure.get());
        assertEquals(0, queue.usedBytes());
        assertEquals(0, queue.depth());
    }
}
