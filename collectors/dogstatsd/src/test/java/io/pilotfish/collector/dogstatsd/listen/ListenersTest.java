package io.pilotfish.collector.dogstatsd.listen;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listeners on real sockets: UDP, Unix datagram and Unix stream. Tests on Unix sockets need Netty's epoll
 * transport, which exists on Linux only: they assume it, so the module still builds on a developer's macOS; CI runs
 * on Linux, where they always run (0 skipped).
 */
class ListenersTest {

    private static final String LOCALHOST = "127.0.0.1";
    private static final String DOCKER_ID = "3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860";

    /** Socket paths must stay under 108 bytes: @TempDir lives in java.io.tmpdir, /tmp here. */
    @TempDir
    Path dir;

    private final RecordingHandler handler = new RecordingHandler();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    // ---- UDP

    @Test
    void udpPacketsArriveIntactOnTheListenerThread() throws Exception {
        Listeners listeners = start(udpOnly(ListenerSettings.DEFAULT_BUFFER_SIZE));
        String packet = "page.views:1|c|#env:prod\nrequest.time:12.5|ms";

        sendUdp(listeners.udpPort(), packet.getBytes(UTF_8));

        RecordingHandler.Packet received = handler.nextPacket();
        assertEquals(new RecordingHandler.Packet(Transport.UDP, packet, false, "", Listeners.THREAD_NAME), received);
    }

    @Test
    void manyUdpPacketsInARowArriveOneByOne() throws Exception {
        Listeners listeners = start(udpOnly(ListenerSettings.DEFAULT_BUFFER_SIZE));
        try (DatagramChannel client = DatagramChannel.open()) {
            for (int i = 0; i < 200; i++) {
                client.send(ByteBuffer.wrap(("metric." + i + ":" + "1".repeat(i + 1) + "|c").getBytes(UTF_8)),
                        new InetSocketAddress(LOCALHOST, listeners.udpPort()));
            }
        }
        for (int i = 0; i < 200; i++) {
            assertEquals("metric." + i + ":" + "1".repeat(i + 1) + "|c", handler.nextPacket().text());
        }
        handler.assertNoMorePackets();
    }

    @Test
    void aUdpDatagramLongerThanTheBufferArrivesTruncated() throws Exception {
        Listeners listeners = start(udpOnly(64));

        sendUdp(listeners.udpPort(), bytes(100));
        sendUdp(listeners.udpPort(), bytes(65));
        sendUdp(listeners.udpPort(), bytes(64));

        assertTruncatedTo(64, handler.nextPacket());
        assertTruncatedTo(64, handler.nextPacket());
        RecordingHandler.Packet exact = handler.nextPacket();
        assertEquals(new String(bytes(64), UTF_8), exact.text());
        assertFalse(exact.truncated());
    }

    @Test
    void aTakenUdpPortFailsNamingThePortAndTheSetting() throws Exception {
        try (DatagramChannel holder = DatagramChannel.open()) {
            holder.bind(new InetSocketAddress(LOCALHOST, 0));
            int port = ((InetSocketAddress) holder.getLocalAddress()).getPort();

            Listeners listeners = start(new ListenerSettings(LOCALHOST, port, null, null, 8192, 0, false));

            assertEquals(List.of(), listeners.bound());
            ListenerException failure = listeners.failures().get(0);
            assertFalse(failure.isPermanent(), "the port may be freed: binding is retried");
            assertTrue(failure.getMessage().contains("127.0.0.1:" + port), failure.getMessage());
            assertTrue(failure.getMessage().contains("DD_DOGSTATSD_PORT"), failure.getMessage());
            assertTrue(failure.getMessage().toLowerCase().contains("already in use"), failure.getMessage());
        }
    }

    @Test
    void udpKernelDropsCountWhatTheKernelDropped() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/udp")), "needs Linux procfs");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch stalled = new CountDownLatch(1);
        PacketHandler stalling = new RecordingHandler() {
            @Override
            public void packet(Transport transport, ByteBuf packet, boolean truncated, String peerContainerId) {
                // Deliberately blocks the listener thread so that the socket's small receive buffer overflows.
                stalled.countDown();
                awaitQuietly(release);
            }
        };
        Listeners listeners = Listeners.start(new ListenerSettings(
                LOCALHOST, ListenerSettings.ANY_FREE_PORT, null, null, 8192, 4096, false), stalling);
        toClose.add(listeners);
        try {
            assertEquals(OptionalLong.of(0), listeners.udpKernelDrops());
            sendUdp(listeners.udpPort(), bytes(10));
            assertTrue(stalled.await(5, TimeUnit.SECONDS));
            try (DatagramChannel client = DatagramChannel.open()) {
                for (int i = 0; i < 300; i++) {
                    client.send(ByteBuffer.wrap(bytes(1000)), new InetSocketAddress(LOCALHOST, listeners.udpPort()));
                }
            }
            OptionalLong drops = listeners.udpKernelDrops();
            assertTrue(drops.isPresent() && drops.getAsLong() > 0, "drops: " + drops);
        } finally {
            release.countDown();
        }
    }

    @Test
    void udpKernelDropsAreEmptyWithoutUdp() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Listeners listeners = start(new ListenerSettings(LOCALHOST, 0, dir.resolve("d.sock"), null, 8192, 0, false));
        assertEquals(0, listeners.udpPort());
        assertEquals(OptionalLong.empty(), listeners.udpKernelDrops());
    }

    @Test
    void withoutEpollUdpRunsOnNio() throws Exception {
        Listeners listeners = Listeners.start(udpOnly(64), handler, CgroupContainerId.fromProc(), false);
        toClose.add(listeners);

        sendUdp(listeners.udpPort(), "a:1|c".getBytes(UTF_8));
        sendUdp(listeners.udpPort(), bytes(100));

        assertEquals(new RecordingHandler.Packet(Transport.UDP, "a:1|c", false, "", Listeners.THREAD_NAME),
                handler.nextPacket());
        assertTruncatedTo(64, handler.nextPacket());
    }

    @Test
    void withoutEpollUnixSocketsAreRefused() {
        ListenerException failure = assertThrows(ListenerException.class, () -> Listeners.start(
                new ListenerSettings(LOCALHOST, 0, dir.resolve("d.sock"), null, 8192, 0, false), handler,
                CgroupContainerId.fromProc(), false));

        assertTrue(failure.getMessage().contains("DD_DOGSTATSD_SOCKET"), failure.getMessage());
        assertFalse(Files.exists(dir.resolve("d.sock")));
    }

    // ---- Unix datagram

    @Test
    void unixDatagramsArriveAndLongOnesAreTruncated() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("dsd.sock");
        start(new ListenerSettings(LOCALHOST, 0, socket, null, 64, 1 << 20, true));

        try (UnixDatagramClient client = new UnixDatagramClient(socket)) {
            client.send("page.views:1|c|c:ci-abc".getBytes(UTF_8));
            client.send(bytes(100));
        }

        assertEquals(new RecordingHandler.Packet(Transport.UNIX_DATAGRAM, "page.views:1|c|c:ci-abc", false, "",
                Listeners.THREAD_NAME), handler.nextPacket());
        assertTruncatedTo(64, handler.nextPacket());
        handler.assertNoProblems();
    }

    @Test
    void otherUsersMayWriteToTheSockets() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("d.sock");
        Path streamSocket = dir.resolve("s.sock");
        start(new ListenerSettings(LOCALHOST, 0, socket, streamSocket, 8192, 0, false));

        for (Path path : List.of(socket, streamSocket)) {
            assertTrue(Files.getPosixFilePermissions(path).containsAll(List.of(PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.OTHERS_WRITE)), path.toString());
        }
    }

    @Test
    void aStaleSocketFileIsReplaced() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("dsd.sock");
        try (ServerSocketChannel previousRun = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            previousRun.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(UnixSocketFile.isSocket(socket), "closing a socket leaves its file behind");

        start(new ListenerSettings(LOCALHOST, 0, socket, null, 8192, 0, false));
        try (UnixDatagramClient client = new UnixDatagramClient(socket)) {
            client.send("a:1|c".getBytes(UTF_8));
        }

        assertEquals("a:1|c", handler.nextPacket().text());
    }

    @Test
    void aFileThatIsNotASocketIsLeftAlone() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path notASocket = dir.resolve("dsd.sock");
        Files.writeString(notASocket, "keep me");

        ListenerException failure = start(new ListenerSettings(LOCALHOST, 0, notASocket, null, 8192, 0, false))
                .failures().get(0);

        assertTrue(failure.getMessage().contains("not a socket"), failure.getMessage());
        assertTrue(failure.getMessage().contains("DD_DOGSTATSD_SOCKET"), failure.getMessage());
        assertEquals("keep me", Files.readString(notASocket));
    }

    @Test
    void aMissingSocketDirectoryFailsThatListenerOnlyNamingItAndTheSetting() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path missing = dir.resolve("missing");

        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, null,
                missing.resolve("s.sock"), 8192, 0, false));

        assertEquals(1, listeners.failures().size(), listeners.failures().toString());
        String failure = listeners.failures().get(0).getMessage();
        assertTrue(failure.contains(missing + " does not exist"), failure);
        assertTrue(failure.contains("DD_DOGSTATSD_STREAM_SOCKET"), failure);
        assertEquals(List.of(new Listeners.Bound(Transport.UDP, LOCALHOST + ":" + listeners.udpPort())),
                listeners.bound());
        sendUdp(listeners.udpPort(), "still:1|c".getBytes(UTF_8));
        assertEquals("still:1|c", handler.nextPacket().text(), "UDP runs without the stream socket");
    }

    @Test
    void whenEveryListenerFailsForAReasonThatMayClearTheStartListsEachAndKeepsTrying() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path notASocket = dir.resolve("d.sock");
        Files.writeString(notASocket, "keep me");
        Path missing = dir.resolve("missing");

        Listeners listeners = start(new ListenerSettings(LOCALHOST, 0, notASocket, missing.resolve("s.sock"), 8192, 0,
                false));

        assertEquals(List.of(), listeners.bound());
        List<ListenerException> failures = listeners.failures();
        assertEquals(2, failures.size(), failures.toString());
        assertTrue(failures.get(0).getMessage().contains("DD_DOGSTATSD_SOCKET"), failures.get(0).getMessage());
        assertTrue(failures.get(1).getMessage().contains("DD_DOGSTATSD_STREAM_SOCKET"), failures.get(1).getMessage());
    }

    @Test
    void whenEveryListenerFailsForGoodTheStartFailsWithEachReason() {
        Path tooLong = dir.resolve("s".repeat(120) + ".sock");

        ListenerException failure = assertThrows(ListenerException.class, () -> Listeners.start(new ListenerSettings(
                LOCALHOST, 0, tooLong, dir.resolve("s.sock"), 8192, 0, false), handler, CgroupContainerId.fromProc(),
                false));

        assertTrue(failure.isPermanent());
        assertTrue(failure.getMessage().contains("DD_DOGSTATSD_SOCKET"), failure.getMessage());
        assertEquals(1, failure.getSuppressed().length);
        assertTrue(failure.getSuppressed()[0].getMessage().contains("DD_DOGSTATSD_STREAM_SOCKET"),
                failure.getSuppressed()[0].getMessage());
    }

    @Test
    void everyBoundSocketIsListedWithItsAddress() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("d.sock");
        Path streamSocket = dir.resolve("s.sock");

        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, socket,
                streamSocket, 8192, 0, false));

        assertEquals(List.of(new Listeners.Bound(Transport.UDP, LOCALHOST + ":" + listeners.udpPort()),
                new Listeners.Bound(Transport.UNIX_DATAGRAM, socket.toString()),
                new Listeners.Bound(Transport.UNIX_STREAM, streamSocket.toString())), listeners.bound());
        assertEquals(List.of(), listeners.failures());
    }

    @Test
    void aTooLongSocketPathFails() {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path tooLong = dir.resolve("s".repeat(120) + ".sock");

        ListenerException failure = assertThrows(ListenerException.class,
                () -> start(new ListenerSettings(LOCALHOST, 0, tooLong, null, 8192, 0, false)));

        assertTrue(failure.getMessage().contains("limited to 107"), failure.getMessage());
    }

    // ---- Unix stream

    @Test
    void streamFramesInOneWriteAndAcrossWritesArriveAsPackets() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("s.sock");
        start(new ListenerSettings(LOCALHOST, 0, null, socket, 8192, 0, false));

        try (SocketChannel client = connect(socket)) {
            write(client, frames("a:1|c", "b:2|g", "c:3|h"));
            assertEquals("a:1|c", handler.nextPacket().text());
            assertEquals("b:2|g", handler.nextPacket().text());
            assertEquals("c:3|h", handler.nextPacket().text());

            ByteBuffer split = frames("split.metric:42|c|#a:b");
            write(client, slice(split, 0, 2)); // half the length field
            Thread.sleep(50);
            write(client, slice(split, 2, 10)); // the rest of it and part of the payload
            Thread.sleep(50);
            handler.assertNoMorePackets();
            write(client, slice(split, 10, split.limit()));

            RecordingHandler.Packet received = handler.nextPacket();
            assertEquals(new RecordingHandler.Packet(Transport.UNIX_STREAM, "split.metric:42|c|#a:b", false, "",
                    Listeners.THREAD_NAME), received);
        }
        handler.assertNoProblems();
    }

    @Test
    void pausedReadingHoldsDatagramsAndStreamsInTheKernelUntilResumed() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("s.sock");
        Listeners listeners = start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, null, socket, 8192,
                0, false));
        try (SocketChannel before = connect(socket)) {
            write(before, frames("warm:1|c"));
            assertEquals("warm:1|c", handler.nextPacket().text());

            runOnListenerThread(listeners, listeners::pauseReading);
            sendUdp(listeners.udpPort(), "udp:1|c".getBytes(UTF_8));
            write(before, frames("open:1|c"));
            try (SocketChannel during = connect(socket)) {
                write(during, frames("new:1|c"));
                handler.assertNoMorePackets(); // a connection opened while paused waits too

                runOnListenerThread(listeners, listeners::resumeReading);
                List<String> texts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    texts.add(handler.nextPacket().text());
                }
                texts.sort(null);
                assertEquals(List.of("new:1|c", "open:1|c", "udp:1|c"), texts);
            }
        }
        handler.assertNoProblems();
    }

    private static void runOnListenerThread(Listeners listeners, Runnable task) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        listeners.onListenerThread(() -> {
            task.run();
            done.countDown();
        });
        assertTrue(done.await(5, TimeUnit.SECONDS));
    }

    @Test
    void aFrameOverTheLimitClosesThatConnectionOnly() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("s.sock");
        start(new ListenerSettings(LOCALHOST, 0, null, socket, 64, 0, false));

        try (SocketChannel bad = connect(socket); SocketChannel good = connect(socket)) {
            write(good, frames("x".repeat(64)));
            assertEquals("x".repeat(64), handler.nextPacket().text(), "a frame of exactly the limit is fine");

            write(bad, frames("y".repeat(65)));

            RecordingHandler.Problem problem = handler.nextProblem();
            assertEquals(Transport.UNIX_STREAM, problem.transport());
            assertEquals("frame_too_long", problem.reason());
            assertClosedByPeer(bad);

            write(good, frames("still:1|c"));
            assertEquals("still:1|c", handler.nextPacket().text());
        }
        handler.assertNoMorePackets();
    }

    @Test
    void aConnectionClosedInTheMiddleOfAFrameReportsTheUnfinishedFrame() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("s.sock");
        start(new ListenerSettings(LOCALHOST, 0, null, socket, 8192, 0, false));

        try (SocketChannel client = connect(socket)) {
            ByteBuffer two = frames("whole:1|c", "cut:1|c");
            write(client, slice(two, 0, two.limit() - 3)); // the second frame lacks its last 3 bytes
            assertEquals("whole:1|c", handler.nextPacket().text());
        }
        RecordingHandler.Problem problem = handler.nextProblem();
        assertEquals("partial_frame", problem.reason());
        assertTrue(problem.message().contains("its 8 bytes are dropped"), problem.message());
        handler.assertNoMorePackets();
    }

    @Test
    void peerCredentialsResolveToThePeersContainer(@TempDir Path proc) throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        long pid = ProcessHandle.current().pid(); // the client below is this process
        Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(proc.resolve(pid + "/cgroup"), "0::/docker/" + DOCKER_ID + "\n");
        Path socket = dir.resolve("s.sock");
        toClose.add(Listeners.start(new ListenerSettings(LOCALHOST, 0, null, socket, 8192, 0, true), handler,
                new CgroupContainerId(proc)));

        try (SocketChannel client = connect(socket)) {
            write(client, frames("a:1|c"));
            assertEquals(DOCKER_ID, handler.nextPacket().peerContainerId());
        }
    }

    @Test
    void withoutOriginDetectionThePeerIsNotLookedUp(@TempDir Path proc) throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        long pid = ProcessHandle.current().pid();
        Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(proc.resolve(pid + "/cgroup"), "0::/docker/" + DOCKER_ID + "\n");
        Path socket = dir.resolve("s.sock");
        toClose.add(Listeners.start(new ListenerSettings(LOCALHOST, 0, null, socket, 8192, 0, false), handler,
                new CgroupContainerId(proc)));

        try (SocketChannel client = connect(socket)) {
            write(client, frames("a:1|c"));
            assertEquals("", handler.nextPacket().peerContainerId());
        }
    }

    // ---- close

    @Test
    void closeRemovesTheSocketFilesAndFreesThePortQuickly() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("d.sock");
        Path streamSocket = dir.resolve("s.sock");
        Listeners listeners = Listeners.start(new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT,
                socket, streamSocket, 8192, 0, false), handler);
        int port = listeners.udpPort();
        assertTrue(Files.exists(socket) && Files.exists(streamSocket));

        try (SocketChannel connected = connect(streamSocket)) {
            write(connected, frames("a:1|c"));
            handler.nextPacket();
            long started = System.nanoTime();
            listeners.close();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertTrue(tookMillis <= 2_000, "close took " + tookMillis + " ms");
            assertClosedByPeer(connected);
        }
        assertFalse(Files.exists(socket));
        assertFalse(Files.exists(streamSocket));
        try (DatagramChannel rebound = DatagramChannel.open()) {
            rebound.bind(new InetSocketAddress(LOCALHOST, port));
        }
        listeners.close(); // a second close does nothing
    }

    @Test
    void closeLeavesASocketFileThatIsNoLongerOurs() throws Exception {
        // The agent runs on Linux only: an epoll transport that does not load is a broken build, not a reason to skip.
        assertTrue(Epoll.isAvailable(), "Netty's epoll transport must load here: the Unix sockets need it");
        Path socket = dir.resolve("d.sock");
        Listeners listeners = Listeners.start(
                new ListenerSettings(LOCALHOST, 0, socket, null, 8192, 0, false), handler);
        // A newer agent took the path over (it removed our file and bound its own).
        Files.delete(socket);
        try (ServerSocketChannel newer = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            newer.bind(UnixDomainSocketAddress.of(socket));
            listeners.close();
            assertTrue(Files.exists(socket));
        }
    }

    // ---- helpers

    private Listeners start(ListenerSettings settings) {
        Listeners listeners = Listeners.start(settings, handler);
        toClose.add(listeners);
        return listeners;
    }

    private static ListenerSettings udpOnly(int bufferSize) {
        return new ListenerSettings(LOCALHOST, ListenerSettings.ANY_FREE_PORT, null, null, bufferSize, 0, false);
    }

    private static void sendUdp(int port, byte[] datagram) throws IOException {
        try (DatagramChannel client = DatagramChannel.open()) {
            client.send(ByteBuffer.wrap(datagram), new InetSocketAddress(InetAddress.getByName(LOCALHOST), port));
        }
    }

    /** {@code length} bytes of readable, position-dependent text. */
    private static byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        return bytes;
    }

    private static void assertTruncatedTo(int length, RecordingHandler.Packet packet) {
        assertTrue(packet.truncated(), "truncated");
        assertEquals(new String(bytes(length), UTF_8), packet.text());
    }

    private static SocketChannel connect(Path socket) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** Stream framing: each packet after its length as a 4-byte little-endian integer. */
    private static ByteBuffer frames(String... packets) {
        List<byte[]> payloads = new ArrayList<>();
        int size = 0;
        for (String packet : packets) {
            byte[] payload = packet.getBytes(UTF_8);
            payloads.add(payload);
            size += 4 + payload.length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        payloads.forEach(payload -> buffer.putInt(payload.length).put(payload));
        return buffer.flip();
    }

    private static ByteBuffer slice(ByteBuffer buffer, int from, int to) {
        return buffer.duplicate().position(from).limit(to).slice();
    }

    private static void write(SocketChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    private static void assertClosedByPeer(SocketChannel channel) throws Exception {
        channel.configureBlocking(false);
        ByteBuffer sink = ByteBuffer.allocate(64);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
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
        throw new AssertionError("the listener did not close the connection within 5 s");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
