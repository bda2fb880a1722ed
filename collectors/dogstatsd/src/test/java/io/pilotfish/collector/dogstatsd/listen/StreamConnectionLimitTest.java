package io.pilotfish.collector.dogstatsd.listen;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Unix stream socket holds at most {@link Listeners#MAX_STREAM_CONNECTIONS} connections; more are refused. */
class StreamConnectionLimitTest {

    @TempDir
    Path dir;

    @Test
    void connectionsBeyondTheCapAreClosedAndCountedWhileTheOthersKeepWorking() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("s.sock");
        Recorder handler = new Recorder();
        List<SocketChannel> clients = new ArrayList<>();
        try (Listeners listeners = Listeners.start(new ListenerSettings("127.0.0.1", 0, null, socket, 8192, 0, false),
                handler)) {
            for (int i = 0; i < Listeners.MAX_STREAM_CONNECTIONS; i++) {
                clients.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
            }
            // Each admitted connection is served: its packet arrives.
            for (int i = 0; i < clients.size(); i++) {
                write(clients.get(i), frame("held." + i + ":1|c"));
                assertEquals("held." + i + ":1|c", handler.packets.poll(20, TimeUnit.SECONDS),
                        "connection " + i + " is served");
            }
            for (int i = 0; i < 3; i++) {
                try (SocketChannel extra = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    assertClosedByListener(extra, "connection " + (Listeners.MAX_STREAM_CONNECTIONS + i + 1));
                    String problem = handler.problems.poll(20, TimeUnit.SECONDS);
                    assertTrue(problem != null && problem.startsWith(Transport.UNIX_STREAM.tag() + " connection_limit: "
                            + Listeners.MAX_STREAM_CONNECTIONS + " connections"), problem);
                }
            }
            // A client that closes makes room for another.
            clients.remove(0).close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            SocketChannel next = null;
            while (next == null) {
                SocketChannel attempt = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                write(attempt, frame("after.close:1|c"));
                String packet = handler.packets.poll(200, TimeUnit.MILLISECONDS);
                if (packet != null) {
                    assertEquals("after.close:1|c", packet);
                    next = attempt;
                } else {
                    // The listener had not seen the close yet: this one was refused, as the problem says.
                    String problem = handler.problems.poll(20, TimeUnit.SECONDS);
                    assertTrue(problem != null && problem.contains("connection_limit"), problem);
                    attempt.close();
                    assertTrue(System.nanoTime() < deadline, "no room after a client closed");
                }
            }
            clients.add(next);
        } finally {
            for (SocketChannel client : clients) {
                client.close();
            }
        }
    }

    /** Packets and problems as text, in arrival order. */
    private static final class Recorder implements PacketHandler {
        final BlockingQueue<String> packets = new LinkedBlockingQueue<>();
        final BlockingQueue<String> problems = new LinkedBlockingQueue<>();

        @Override
        public void packet(Transport transport, ByteBuf packet, boolean truncated, String peerContainerId) {
            packets.add(packet.toString(UTF_8));
        }

        @Override
        public void problem(Transport transport, String reason, String message) {
            problems.add(transport.tag() + " " + reason + ": " + message);
        }
    }

    private static ByteBuffer frame(String packet) {
        byte[] payload = packet.getBytes(UTF_8);
        return ByteBuffer.allocate(4 + payload.length).order(ByteOrder.LITTLE_ENDIAN).putInt(payload.length)
                .put(payload).flip();
    }

    private static void write(SocketChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    private static void assertClosedByListener(SocketChannel channel, String which) throws Exception {
        channel.configureBlocking(false);
        ByteBuffer sink = ByteBuffer.allocate(64);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                if (channel.read(sink.clear()) < 0) {
                    return;
                }
            } catch (IOException reset) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(which + " was held beyond the cap of " + Listeners.MAX_STREAM_CONNECTIONS);
    }
}
