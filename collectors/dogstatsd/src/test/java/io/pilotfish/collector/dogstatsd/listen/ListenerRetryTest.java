package io.pilotfish.collector.dogstatsd.listen;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each listener stands alone: one that cannot bind leaves the others receiving, is reported to the observer, and is
 * bound again with backoff until it succeeds (the process holding its port may go away).
 */
class ListenerRetryTest {

    private static final String LOCALHOST = "127.0.0.1";
    /** Short waits, so that a test sees several retries; what is awaited is the event, never a duration. */
    private static final Listeners.Backoff FAST = new Listeners.Backoff(Duration.ofMillis(20), Duration.ofMillis(200),
            0.2);
    private static final long EVENT_TIMEOUT_SECONDS = 30;

    @TempDir
    Path dir;

    private final RecordingHandler handler = new RecordingHandler();
    private final Events events = new Events();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    /** What the observer heard, in order. */
    private static final class Events implements Listeners.Observer {
        record Event(Transport transport, boolean bound, String address, ListenerException failure, int failures,
                     Optional<Duration> retryIn) {
        }

        private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();

        @Override
        public void bound(Listeners.Bound socket) {
            queue.add(new Event(socket.transport(), true, socket.address(), null, 0, Optional.empty()));
        }

        @Override
        public void bindFailed(Transport transport, ListenerException failure, int failures,
                Optional<Duration> retryIn) {
            queue.add(new Event(transport, false, "", failure, failures, retryIn));
        }

        Event next() throws InterruptedException {
            Event event = queue.poll(EVENT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(event, "no listener event within " + EVENT_TIMEOUT_SECONDS + " s");
            return event;
        }

        /** Skips failures until {@code transport} binds. */
        Event nextBind(Transport transport) throws InterruptedException {
            while (true) {
                Event event = next();
                if (event.bound() && event.transport() == transport) {
                    return event;
                }
            }
        }
    }

    // ---- each listener alone

    @Test
    void aTakenUdpPortLeavesBothUnixSocketsReceiving() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        try (DatagramChannel holder = holdUdpPort()) {
            int port = port(holder);
            Path socket = dir.resolve("d.sock");
            Path stream = dir.resolve("s.sock");
            Listeners listeners = start(new ListenerSettings(LOCALHOST, port, socket, stream, 8192, 0, false));

            assertEquals(List.of(Transport.UNIX_DATAGRAM, Transport.UNIX_STREAM), transports(listeners.bound()));
            assertTrue(listeners.failures().get(0).getMessage().contains("127.0.0.1:" + port));
            assertUnixDatagramArrives(socket);
            assertStreamFrameArrives(stream);
        }
    }

    @Test
    void aBadDatagramSocketPathLeavesUdpAndTheStreamSocketReceiving() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path stream = dir.resolve("s.sock");
        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT,
                dir.resolve("missing").resolve("d.sock"), stream, 8192, 0, false));

        assertEquals(List.of(Transport.UDP, Transport.UNIX_STREAM), transports(listeners.bound()));
        assertTrue(listeners.failures().get(0).getMessage().contains("DD_DOGSTATSD_SOCKET"));
        assertUdpArrives(listeners.udpPort());
        assertStreamFrameArrives(stream);
    }

    @Test
    void aBadStreamSocketPathLeavesUdpAndTheDatagramSocketReceiving() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("d.sock");
        Path notASocket = dir.resolve("s.sock");
        Files.writeString(notASocket, "keep me");
        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, socket,
                notASocket, 8192, 0, false));

        assertEquals(List.of(Transport.UDP, Transport.UNIX_DATAGRAM), transports(listeners.bound()));
        assertTrue(listeners.failures().get(0).getMessage().contains("DD_DOGSTATSD_STREAM_SOCKET"));
        assertUdpArrives(listeners.udpPort());
        assertUnixDatagramArrives(socket);
    }

    // ---- retries

    @Test
    void aPortFreedLaterIsBoundByARetryAndReceives() throws Exception {
        DatagramChannel holder = holdUdpPort();
        int port = port(holder);
        Listeners listeners;
        try {
            listeners = start(new ListenerSettings(LOCALHOST, port, null, null, 8192, 0, false));
            Events.Event first = events.next();
            assertFalse(first.bound(), first.toString());
            assertEquals(1, first.failures());
            assertTrue(first.retryIn().isPresent(), "a taken port is retried");
            assertTrue(first.failure().getMessage().contains("DD_DOGSTATSD_PORT"), first.failure().getMessage());
            Events.Event second = events.next();
            assertFalse(second.bound(), "still taken: " + second);
            assertEquals(2, second.failures());
        } finally {
            holder.close();
        }

        Events.Event bound = events.nextBind(Transport.UDP);

        assertEquals(LOCALHOST + ":" + port, bound.address());
        assertEquals(List.of(new Listeners.Bound(Transport.UDP, LOCALHOST + ":" + port)), listeners.bound());
        assertEquals(List.of(), listeners.failures(), "the problem clears once bound");
        assertEquals(port, listeners.udpPort());
        assertUdpArrives(port);
    }

    @Test
    void aSocketDirectoryCreatedLaterIsBoundByARetryWhileUdpReceivesMeanwhile() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path late = dir.resolve("mounted-late");
        Path socket = late.resolve("d.sock");
        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, socket, null,
                8192, 0, false));
        assertEquals(Transport.UDP, events.next().transport());
        Events.Event failed = events.next();
        assertEquals(Transport.UNIX_DATAGRAM, failed.transport());
        assertFalse(failed.bound());
        assertUdpArrives(listeners.udpPort());

        Files.createDirectory(late);
        Events.Event bound = events.nextBind(Transport.UNIX_DATAGRAM);

        assertEquals(socket.toString(), bound.address());
        assertEquals(List.of(), listeners.failures());
        assertUnixDatagramArrives(socket);
    }

    @Test
    void aPermanentFailureIsNotRetried() throws Exception {
        Path tooLong = dir.resolve("s".repeat(120) + ".sock");
        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, tooLong, null,
                8192, 0, false));
        events.nextBind(Transport.UDP);

        Events.Event failed = events.next();

        assertTrue(failed.failure().isPermanent(), failed.toString());
        assertEquals(Optional.empty(), failed.retryIn());
        assertEquals(1, listeners.failures().size());
        assertFalse(listeners.retryThreadStarted(), "nothing to retry, so no retry thread");
    }

    @Test
    void closingStopsTheRetries() throws Exception {
        try (DatagramChannel holder = holdUdpPort()) {
            Listeners listeners = start(new ListenerSettings(LOCALHOST, port(holder), null, null, 8192, 0, false));
            events.next();
            events.next(); // a retry ran: the retry thread exists
            assertTrue(listeners.retryThreadStarted());

            listeners.close();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EVENT_TIMEOUT_SECONDS);
            while (rebindThreadAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(rebindThreadAlive(), "the retry thread ends with the listeners");
        }
    }

    @Test
    void theBackoffDoublesFromTheFirstWaitUpToTheMostWithJitterBelowIt() {
        Listeners.Backoff backoff = Listeners.Backoff.DEFAULT;
        long[] expectedMillis = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
        for (int attempt = 1; attempt <= expectedMillis.length; attempt++) {
            for (int sample = 0; sample < 50; sample++) {
                long delay = backoff.delay(attempt).toMillis();
                long most = expectedMillis[attempt - 1];
                assertTrue(delay <= most && delay >= most * 8 / 10, "attempt " + attempt + ": " + delay + " ms");
            }
        }
        assertEquals(60_000, Listeners.Backoff.DEFAULT.delay(Integer.MAX_VALUE).toMillis(), 12_000);
    }

    // ---- helpers

    private Listeners start(ListenerSettings settings) {
        Listeners listeners = Listeners.start(settings, handler, CgroupContainerId.fromProc(), Epoll.isAvailable(),
                events, FAST);
        toClose.add(listeners);
        return listeners;
    }

    private static DatagramChannel holdUdpPort() throws IOException {
        DatagramChannel holder = DatagramChannel.open();
        holder.bind(new InetSocketAddress(LOCALHOST, 0));
        return holder;
    }

    private static int port(DatagramChannel channel) throws IOException {
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    private static List<Transport> transports(List<Listeners.Bound> bound) {
        return bound.stream().map(Listeners.Bound::transport).toList();
    }

    private static boolean rebindThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(thread -> thread.getName().equals(Listeners.REBIND_THREAD_NAME) && thread.isAlive());
    }

    private void assertUdpArrives(int port) throws Exception {
        try (DatagramChannel client = DatagramChannel.open()) {
            client.send(ByteBuffer.wrap("udp.hits:1|c".getBytes(UTF_8)),
                    new InetSocketAddress(InetAddress.getByName(LOCALHOST), port));
        }
        RecordingHandler.Packet packet = handler.nextPacket();
        assertEquals(Transport.UDP, packet.transport());
        assertEquals("udp.hits:1|c", packet.text());
    }

    private void assertUnixDatagramArrives(Path socket) throws Exception {
        try (UnixDatagramClient client = new UnixDatagramClient(socket)) {
            client.send("uds.hits:1|c".getBytes(UTF_8));
        }
        RecordingHandler.Packet packet = handler.nextPacket();
        assertEquals(Transport.UNIX_DATAGRAM, packet.transport());
        assertEquals("uds.hits:1|c", packet.text());
    }

    private void assertStreamFrameArrives(Path socket) throws Exception {
        byte[] payload = "stream.hits:1|c".getBytes(UTF_8);
        ByteBuffer frame = ByteBuffer.allocate(4 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(payload.length).put(payload).flip();
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            while (frame.hasRemaining()) {
                client.write(frame);
            }
            RecordingHandler.Packet packet = handler.nextPacket();
            assertEquals(Transport.UNIX_STREAM, packet.transport());
            assertEquals("stream.hits:1|c", packet.text());
        }
    }
}
