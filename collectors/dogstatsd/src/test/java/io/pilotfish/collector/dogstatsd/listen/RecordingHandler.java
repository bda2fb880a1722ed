package io.pilotfish.collector.dogstatsd.listen;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Keeps a copy of every packet and problem the listeners report, with the thread that reported it. */
class RecordingHandler implements PacketHandler {

    record Packet(Transport transport, String text, boolean truncated, String peerContainerId, String thread) {
    }

    record Problem(Transport transport, String reason, String message) {
    }

    private final BlockingQueue<Packet> packets = new LinkedBlockingQueue<>();
    private final BlockingQueue<Problem> problems = new LinkedBlockingQueue<>();

    @Override
    public void packet(Transport transport, ByteBuf packet, boolean truncated, String peerContainerId) {
        packets.add(new Packet(transport, packet.toString(StandardCharsets.UTF_8), truncated, peerContainerId,
                Thread.currentThread().getName()));
    }

    @Override
    public void problem(Transport transport, String reason, String message) {
        problems.add(new Problem(transport, reason, message));
    }

    Packet nextPacket() throws InterruptedException {
        Packet packet = packets.poll(5, TimeUnit.SECONDS);
        assertNotNull(packet, "no packet within 5 s");
        return packet;
    }

    Problem nextProblem() throws InterruptedException {
        Problem problem = problems.poll(5, TimeUnit.SECONDS);
        assertNotNull(problem, "no problem reported within 5 s");
        return problem;
    }

    void assertNoMorePackets() throws InterruptedException {
        assertNull(packets.poll(200, TimeUnit.MILLISECONDS));
    }

    void assertNoProblems() {
        assertNull(problems.peek(), () -> "unexpected problem: " + problems.peek());
    }
}
