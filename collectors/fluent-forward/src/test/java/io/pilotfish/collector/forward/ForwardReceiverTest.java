package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.TestPluginContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver over real sockets with a small hand-written client: what reaches the pipeline, the acks, the
 * handshake, the heartbeat, and what each kind of bad connection costs (itself only, counted).
 */
class ForwardReceiverTest {

    private static final int READ_TIMEOUT_MS = 20_000;

    @TempDir
    Path dir;

    private TestPluginContext context;
    private ForwardReceiver receiver;
    private final CollectingEmitter collected = new CollectingEmitter();
    private int port;

    @AfterEach
    void stop() throws Exception {
        if (receiver != null) {
            receiver.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        if (context != null) {
            context.close();
        }
    }

    private void start(Map<String, String> keys) throws Exception {
        start(keys, collected);
    }

    private void start(Map<String, String> keys, Emitter emitter) throws Exception {
        port = freePort();
        Map<String, String> all = new HashMap<>(keys);
        all.putIfAbsent("port", Integer.toString(port));
        all.putIfAbsent("socket", "");
        // The protocol tests see each line at once; the processing tests below keep the default (joining on).
        all.putIfAbsent("stack-trace-aggregation", "false");
        MapPluginConfig pluginConfig = MapPluginConfig.of("fluent-forward", all);
        ForwardConfig config = new ForwardFactory().configure(pluginConfig);
        assertEquals(List.of(), pluginConfig.problems(), "the test's settings are valid");
        context = TestPluginContext.builder().hostname("router-host").build();
        receiver = new ForwardReceiver(config, context);
        receiver.start(emitter).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        return socket;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private List<String> messages() {
        return collected.ofType(LogRecord.class).stream().map(LogRecord::messageText).toList();
    }

    private static void expectAck(InputStream in, String chunk) throws IOException {
        byte[] expected = MsgpackOut.ack(chunk);
        assertArrayEquals(expected, in.readNBytes(expected.length), "the ack of " + chunk);
    }

    /** Reads until the server closes the connection; true if it did (a reset counts as closed). */
    private static boolean closedByServer(InputStream in) throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    /** One whole msgpack value from the stream. */
    private static byte[] readValue(InputStream in) throws Exception {
        FrameScanner scanner = new FrameScanner(1 << 20);
        byte[] buf = new byte[0];
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before a whole value");
            }
            buf = Arrays.copyOf(buf, buf.length + 1);
            buf[buf.length - 1] = (byte) b;
            long n = scanner.scan(buf, 0, buf.length, false);
            if (n >= 0) {
                return buf;
            }
        }
    }

    @Test
    void aPortHeldByAnotherProcessFailsTheStartAndLeavesNothingBound() throws Exception {
        try (ServerSocket fluentBit = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int taken = fluentBit.getLocalPort();
            MapPluginConfig pluginConfig = MapPluginConfig.of("fluent-forward", Map.of("port",
                    Integer.toString(taken), "socket", ""));
            ForwardConfig config = new ForwardFactory().configure(pluginConfig);
            context = TestPluginContext.create();
            ForwardReceiver failing = new ForwardReceiver(config, context);
            java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class,
                    () -> failing.start(collected).toCompletableFuture().get(20, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("another process"), e.getCause().getMessage());
            // The UDP heartbeat on the same port had bound: it is let go with the failed start.
            try (java.net.DatagramSocket udp = new java.net.DatagramSocket(taken, InetAddress.getLoopbackAddress())) {
                assertEquals(taken, udp.getLocalPort());
            }
        }
    }

    @Test
    void messageAndForwardFramesOverTcpAreEmittedInOrderAndAcked() throws Exception {
        start(Map.of());
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(Frames.concat(
                    Frames.message(Frames.TAG, 1_700_000_000L, Frames.fireLensRecord("first", "stderr"),
                            Map.of("chunk", "c-1")),
                    Frames.forward(Frames.TAG, 3, "next-", Map.of("chunk", "c-2"))));
            out.flush();
            expectAck(s.getInputStream(), "c-1");
            expectAck(s.getInputStream(), "c-2");
        }
        assertEquals(List.of("first", "next-0", "next-1", "next-2"), messages());
        LogRecord first = collected.ofType(LogRecord.class).get(0);
        assertEquals("error", first.status());
        assertTrue(first.tags().contains("ecs_container_name:app"), first.tags().toString());
        assertEquals(4, context.counter("forward.records_received"));
        assertEquals(1, context.counter("forward.frames", "mode:message"));
        assertEquals(1, context.counter("forward.frames", "mode:forward"));
        assertEquals(2, context.counter("forward.acks_sent"));
        assertEquals(1, context.counter("forward.connections", "transport:tcp"));
    }

    @Test
    void withoutChunkNothingIsAnsweredAndTheRecordsStillArrive() throws Exception {
        start(Map.of());
        try (Socket s = connect()) {
            s.getOutputStream().write(Frames.forward("t", 2, "quiet-", null));
            await(() -> messages().size() == 2, "two records");
            // The receiver sends nothing for a frame without chunk: the first bytes back are a later frame's ack.
            s.getOutputStream().write(Frames.message("t", 1, Map.of("log", "x"), Map.of("chunk", "later")));
            expectAck(s.getInputStream(), "later");
        }
        assertEquals(1, context.counter("forward.acks_sent"));
    }

    @Test
    void aClientThatWritesAndClosesAtOnceLosesNothing() throws Exception {
        start(Map.of());
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 5_000; i++) {
            all.writeBytes(Frames.message("app", 1, Map.of("log", "line " + i), null));
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(all.toByteArray()); // as fluent-logger without ack: write, then close
        }
        await(() -> messages().size() == 5_000, "all 5,000 lines of the closed connection");
        assertEquals("line 4999", messages().get(4_999));
        await(() -> receiver.openConnections() == 0, "the connection released once its frames were done");
        assertEquals(0, receiver.bufferedBytes());
    }

    private static final byte[] CHUNK = Frames.message("t", 1, Map.of("log", "a".repeat(60 * 1024)),
            Map.of("chunk", "c1"));

    /** Sends a 60 KiB chunk and a small one, each waiting for its ack; what the connection holds after them. */
    private long bufferedAfterTwoChunks() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(CHUNK);
            expectAck(s.getInputStream(), "c1");
            // The next frame is read after the first one's buffer was kept or given back (one event-loop task).
            s.getOutputStream().write(Frames.message("t", 1, Map.of("log", "b"), Map.of("chunk", "c2")));
            expectAck(s.getInputStream(), "c2");
            return receiver.bufferedBytes();
        }
    }

    @Test
    void aClientSendingChunksKeepsOneBufferBetweenThemUntilItCloses() throws Exception {
        start(Map.of("max-line-bytes", "65536"));
        long held = bufferedAfterTwoChunks();
        assertTrue(held >= CHUNK.length, "the chunk's buffer kept for the next chunk: " + held);
        await(() -> receiver.bufferedBytes() == 0, "the buffer given back at the close");
        assertEquals(2, messages().size());
    }

    @Test
    void aConnectionGivesItsBufferBackBetweenChunksWhenTheBudgetIsInDemand() throws Exception {
        // A quarter of this budget is less than the chunk's buffer.
        start(Map.of("max-line-bytes", "65536", "max-frame-bytes", "65536", "max-buffered-bytes", "262144"));
        long held = bufferedAfterTwoChunks();
        assertTrue(held < CHUNK.length, "the chunk's buffer given back: " + held);
        assertEquals(2, messages().size());
    }

    @Test
    void aFrameWrittenOneByteAtATimeArrivesWhole() throws Exception {
        start(Map.of());
        byte[] frame = Frames.packed("t", Frames.gzip(Frames.entries(3, "gz-")),
                Map.of("compressed", "gzip", "chunk", "slow"));
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            for (byte b : frame) {
                out.write(b);
                out.flush();
            }
            expectAck(s.getInputStream(), "slow");
        }
        assertEquals(List.of("gz-0", "gz-1", "gz-2"), messages());
        assertEquals(1, context.counter("forward.frames", "mode:compressed_packed_forward"));
    }

    @Test
    void theUnixSocketServesTheSameProtocol() throws Exception {
        Path socket = dir.resolve("fluent.sock");
        start(Map.of("socket", socket.toString()));
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(channel);
            out.write(Frames.packed(Frames.TAG, Frames.entries(2, "unix-"), Map.of("chunk", "u")));
            out.flush();
            expectAck(Channels.newInputStream(channel), "u");
        }
        assertEquals(List.of("unix-0", "unix-1"), messages());
        assertEquals(1, context.counter("forward.connections", "transport:unix"));
        assertEquals(1, context.counter("forward.frames", "mode:packed_forward"));
    }

    @Test
    void garbageClosesItsConnectionOnlyAndIsCounted() throws Exception {
        start(Map.of());
        try (Socket good = connect(); Socket bad = connect()) {
            bad.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(closedByServer(bad.getInputStream()), "the connection that sent garbage is closed");
            good.getOutputStream().write(Frames.message("t", 1, Map.of("log", "still here"), Map.of("chunk", "g")));
            expectAck(good.getInputStream(), "g");
        }
        assertEquals(List.of("still here"), messages());
        assertEquals(1, context.counter("forward.errors", "reason:garbage"));
        assertTrue(context.log().lines().stream().anyMatch(l -> l.kind().equals("forward-garbage")),
                "a log line says why");
    }

    @Test
    void aHugeDeclaredLengthClosesTheConnectionBeforeItsBodyArrives() throws Exception {
        start(Map.of());
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[] {(byte) 0x92, (byte) 0xA1, 't', (byte) 0xDB, -1, -1, -1, -1});
            assertTrue(closedByServer(s.getInputStream()));
        }
        assertEquals(1, context.counter("forward.errors", "reason:declared_too_long"));
    }

    @Test
    void connectionsOverTheLimitAreClosedAtOnce() throws Exception {
        start(Map.of("max-connections", "2"));
        try (Socket a = connect(); Socket b = connect()) {
            for (Socket s : List.of(a, b)) {
                s.getOutputStream().write(Frames.message("t", 1, Map.of("log", "in"), Map.of("chunk", "in")));
                expectAck(s.getInputStream(), "in");
            }
            try (Socket third = connect()) {
                assertTrue(closedByServer(third.getInputStream()), "the third connection is closed");
            }
            a.getOutputStream().write(Frames.message("t", 1, Map.of("log", "again"), Map.of("chunk", "again")));
            expectAck(a.getInputStream(), "again");
        }
        assertEquals(1, context.counter("forward.errors", "reason:too_many_connections"));
    }

    @Test
    void aClientThatNeverFinishesItsFrameIsClosedAfterTheIdleTimeout() throws Exception {
        start(Map.of("idle-timeout", "1s"));
        byte[] frame = Frames.forward("t", 2, "half-", null);
        try (Socket s = connect()) {
            s.getOutputStream().write(Arrays.copyOf(frame, frame.length / 2));
            assertTrue(closedByServer(s.getInputStream()));
        }
        assertEquals(1, context.counter("forward.errors", "reason:idle_timeout"));
        assertEquals(List.of(), messages());
        await(() -> receiver.openConnections() == 0, "the connection to be gone");
    }

    @Test
    void theAckIsSentOnlyOnceTheRecordsWereEmitted() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch room = new CountDownLatch(1);
        Emitter full = new Emitter() {
            @Override
            public void emit(Signal signal) {
                collected.emit(signal);
            }

            @Override
            public void awaitCapacity(Duration max) {
                waiting.countDown();
                try {
                    room.await(max.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        start(Map.of(), full);
        try (Socket s = connect()) {
            s.getOutputStream().write(Frames.forward("t", 2, "queued-", Map.of("chunk", "after")));
            assertTrue(waiting.await(20, TimeUnit.SECONDS), "the worker waits for the sinks' room");
            // The queue is full: nothing emitted yet, and so no ack can have been written.
            assertEquals(List.of(), messages());
            assertEquals(0, s.getInputStream().available());
            room.countDown();
            expectAck(s.getInputStream(), "after");
            assertEquals(List.of("queued-0", "queued-1"), messages(), "every record was emitted before the ack");
        }
    }

    @Test
    void withASharedKeyTheHandshakeComesFirst() throws Exception {
        start(Map.of("shared-key", "s3cr3t-key"));
        try (Socket s = connect()) {
            InputStream in = s.getInputStream();
            byte[] helo = readValue(in);
            MsgpackReader r = new MsgpackReader(helo, 0, helo.length);
            assertEquals(2, r.readArrayHeader("HELO"));
            assertEquals("HELO", r.readString("type"));
            r.readMapHeader("options");
            assertEquals("nonce", r.readString("key"));
            int len = r.readBytesHeader("nonce");
            byte[] nonce = Arrays.copyOfRange(helo, r.position(), r.position() + len);
            byte[] salt = "pepper".getBytes(StandardCharsets.US_ASCII);
            String digest = HandshakeTest.sha512Hex(salt, "app-host".getBytes(StandardCharsets.UTF_8), nonce,
                    "s3cr3t-key".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().write(HandshakeTest.ping("app-host", salt, digest));
            byte[] pong = readValue(in);
            List<?> answer = (List<?>) new MsgpackReader(pong, 0, pong.length).readValue(0);
            assertEquals(List.of("PONG", true, "", "router-host"), answer.subList(0, 4));
            s.getOutputStream().write(Frames.message("t", 1, Map.of("log", "authenticated"), Map.of("chunk", "h")));
            expectAck(in, "h");
        }
        assertEquals(List.of("authenticated"), messages());
    }

    @Test
    void aBadSharedKeyGetsAFailedPongAndTheConnectionClosed() throws Exception {
        start(Map.of("shared-key", "s3cr3t-key"));
        try (Socket s = connect()) {
            InputStream in = s.getInputStream();
            readValue(in); // HELO
            s.getOutputStream().write(Frames.concat(HandshakeTest.ping("app-host", new byte[] {1}, "00"),
                    Frames.message("t", 1, Map.of("log", "sneaked in"), null)));
            byte[] pong = readValue(in);
            assertEquals(List.of("PONG", false, "shared_key mismatch", "", ""),
                    new MsgpackReader(pong, 0, pong.length).readValue(0));
            assertTrue(closedByServer(in));
        }
        assertEquals(List.of(), messages(), "nothing is taken from a client that failed the handshake");
        assertEquals(1, context.counter("forward.errors", "reason:auth_failed"));
        assertTrue(context.log().lines().stream().noneMatch(l -> l.text().contains("s3cr3t-key")),
                "the key is never logged");
    }

    @Test
    void aClientThatSkipsTheHandshakeIsRefused() throws Exception {
        start(Map.of("shared-key", "s3cr3t-key"));
        try (Socket s = connect()) {
            readValue(s.getInputStream()); // HELO
            s.getOutputStream().write(Frames.message("t", 1, Map.of("log", "no ping"), null));
            assertTrue(closedByServer(s.getInputStream()));
        }
        assertEquals(List.of(), messages());
        assertEquals(1, context.counter("forward.errors", "reason:auth_failed"));
    }

    @Test
    void udpHeartbeatsOnTheSamePortAreAnsweredWithAZeroByte() throws Exception {
        start(Map.of());
        try (DatagramSocket udp = new DatagramSocket()) {
            udp.setSoTimeout(READ_TIMEOUT_MS);
            udp.send(new DatagramPacket(new byte[0], 0, InetAddress.getLoopbackAddress(), port));
            DatagramPacket answer = new DatagramPacket(new byte[16], 16);
            udp.receive(answer);
            assertEquals(1, answer.getLength());
            assertEquals(0, answer.getData()[0]);
        }
        assertEquals(1, context.counter("forward.heartbeats"));
    }

    @Test
    void connectionsThatWouldPassTheSharedBufferBudgetAreClosedAndMemoryStaysBounded() throws Exception {
        long budget = 128 * 1024;
        start(Map.of("max-frame-bytes", "65536", "max-buffered-bytes", Long.toString(budget),
                "max-line-bytes", "65536"));
        byte[] big = Frames.message("t", 1, Map.of("log", "a".repeat(61 * 1024)), Map.of("chunk", "big"));
        int part = 60 * 1024;
        List<Socket> clients = List.of(connect(), connect(), connect());
        try {
            // Three partial frames of 60 KiB cannot all be held in 128 KiB: one at least is closed.
            for (Socket c : clients) {
                c.getOutputStream().write(big, 0, part);
            }
            await(() -> context.counter("forward.errors", "reason:overloaded") >= 1, "a connection refused");
            assertTrue(receiver.bufferedBytes() <= budget, "buffers within the budget: " + receiver.bufferedBytes());
            int acked = 0;
            for (Socket c : clients) {
                try {
                    c.getOutputStream().write(big, part, big.length - part);
                    byte[] ack = c.getInputStream().readNBytes(MsgpackOut.ack("big").length);
                    if (Arrays.equals(MsgpackOut.ack("big"), ack)) {
                        acked++;
                    }
                } catch (IOException closed) {
                    // this one was refused
                }
            }
            assertTrue(acked >= 1, "the connections within the budget go on");
            assertEquals(acked, messages().size());
        } finally {
            for (Socket c : clients) {
                c.close();
            }
        }
        await(() -> receiver.bufferedBytes() == 0, "every buffer to be given back");
    }

    @Test
    void aZipBombClosesItsConnectionOnceItInflatesPastTheLimit() throws Exception {
        start(Map.of("max-decompressed-bytes", "1048576"));
        byte[] entry = Frames.entry(1, Map.of("log", "bomb"));
        java.io.ByteArrayOutputStream mib = new java.io.ByteArrayOutputStream();
        while (mib.size() + entry.length <= 1024 * 1024) {
            mib.writeBytes(entry);
        }
        byte[] member = Frames.gzip(mib.toByteArray());
        java.io.ByteArrayOutputStream bomb = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 64; i++) {
            bomb.writeBytes(member);
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(Frames.packed("t", bomb.toByteArray(),
                    Map.of("compressed", "gzip", "chunk", "bomb")));
            assertTrue(closedByServer(s.getInputStream()), "closed, and never acked");
        }
        assertEquals(1, context.counter("forward.errors", "reason:decompressed_too_large"));
        assertEquals(0, context.counter("forward.acks_sent"));
        assertTrue(messages().size() <= 1024 * 1024 / entry.length, "nothing past the limit: " + messages().size());
    }

    /**
     * The awsfirelens driver sends each line of a container as its own frame: a Java stack trace on stderr arrives
     * as one frame per line. By default its frames become one log, each frame is acked at once (the lines are in the
     * agent's memory, as queued ones are, and sent at stop), and the last message goes once the stream is quiet.
     */
    @Test
    void aStackTraceSentLineByLineArrivesAsOneLogAndEveryFrameIsAckedAtOnce() throws Exception {
        start(Map.of("stack-trace-aggregation", "true"));
        String[] trace = {
            "Exception in thread \"main\" java.lang.IllegalStateException: card declined",
            "\tat com.shop.Checkout.charge(Checkout.java:42)",
            "\tat com.shop.Checkout.main(Checkout.java:12)",
            "Caused by: java.io.IOException: timeout",
            "\t... 2 more",
        };
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(Frames.message(Frames.TAG, 1, Frames.fireLensRecord("order 7 started", "stdout"),
                    Map.of("chunk", "before")));
            for (int i = 0; i < trace.length; i++) {
                out.write(Frames.message(Frames.TAG, 2, Frames.fireLensRecord(trace[i], "stderr"),
                        Map.of("chunk", "t-" + i)));
            }
            out.flush();
            expectAck(s.getInputStream(), "before");
            for (int i = 0; i < trace.length; i++) {
                expectAck(s.getInputStream(), "t-" + i);
            }
        }
        await(() -> messages().size() == 2, "the line before and the trace, once the streams are quiet");
        assertEquals(List.of("order 7 started", String.join("\\n", trace)), messages(),
                "the trace's lines joined with the Agent's separator");
        LogRecord joined = collected.ofType(LogRecord.class).get(1);
        assertEquals("error", joined.status());
        assertEquals(1, context.counter("logs.multiline.aggregated"));
    }

    @Test
    void theCollectorsRulesMaskACardAndDropHealthChecksCounted() throws Exception {
        start(Map.of("log-processing-rules", "[{\"type\":\"exclude_at_match\",\"name\":\"no_health\","
                + "\"pattern\":\"GET /health\"},{\"type\":\"mask_sequences\",\"name\":\"cards\","
                + "\"replace_placeholder\":\"[masked_card]\",\"pattern\":\"(?:4[0-9]{12}(?:[0-9]{3})?)\"}]"));
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(Frames.message(Frames.TAG, 1, Frames.fireLensRecord("GET /health 200", "stdout"), null));
            out.write(Frames.message(Frames.TAG, 1, Frames.fireLensRecord("paid with 4111111111111111 ok", "stdout"),
                    Map.of("chunk", "c")));
            out.flush();
            expectAck(s.getInputStream(), "c");
        }
        await(() -> messages().size() == 1, "the masked line");
        assertEquals(List.of("paid with [masked_card] ok"), messages());
        assertEquals(1, context.counter("logs.processing.dropped", "rule:no_health", "type:exclude_at_match"));
        assertEquals(1, context.counter("logs.processing.masked", "rule:cards"));
    }

    /** A line longer than 16 KiB as Docker's and ECS's drivers send it: in pieces marked partial_message. */
    private static Map<String, Object> piece(String text, String id, int ordinal, boolean last) {
        Map<String, Object> record = Frames.fireLensRecord(text, "stdout");
        record.put("partial_message", "true");
        record.put("partial_id", id);
        record.put("partial_ordinal", Integer.toString(ordinal));
        record.put("partial_last", Boolean.toString(last));
        return record;
    }

    @Test
    void aLineTheDriverCutIntoPiecesArrivesAsOneLogWithoutThePieceFields() throws Exception {
        start(Map.of("stack-trace-aggregation", "true"));
        String first = "{\"msg\":\"" + "a".repeat(16_370);
        String second = "b".repeat(16_384);
        String third = "c\",\"level\":\"warn\"}";
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(Frames.message(Frames.TAG, 1, piece(first, "4f3c", 1, false), Map.of("chunk", "p1")));
            out.write(Frames.message(Frames.TAG, 1, piece(second, "4f3c", 2, false), Map.of("chunk", "p2")));
            out.write(Frames.message(Frames.TAG, 1, piece(third, "4f3c", 3, true), Map.of("chunk", "p3")));
            out.write(Frames.message(Frames.TAG, 2, Frames.fireLensRecord("a short line", "stdout"),
                    Map.of("chunk", "short")));
            out.flush();
            for (String chunk : List.of("p1", "p2", "p3", "short")) {
                expectAck(s.getInputStream(), chunk);
            }
        }
        await(() -> messages().size() == 2, "the joined line and the short one");
        List<LogRecord> logs = collected.ofType(LogRecord.class);
        assertEquals("a".repeat(16_370) + second + "c", logs.get(0).messageText(),
                "the pieces joined into the JSON line they were cut from, and its message lifted");
        assertEquals("warn", logs.get(0).status());
        for (String field : RecordMapper.PIECE_FIELDS) {
            assertFalse(logs.get(0).attributes().containsKey(field), field + " in " + logs.get(0).attributes());
        }
        assertEquals("/ecs-web-7-app-d6a9e8f0c1b2a3e4", logs.get(0).attributes().get("container_name"));
        assertEquals("a short line", logs.get(1).messageText());
        assertEquals(1, context.counter("logs.partial_lines.joined"));
    }

    /** A piece as the Go driver writes it: a msgpack str of the bytes it cut, UTF-8 or not. */
    private static byte[] rawPiece(byte[] text, int ordinal, boolean last, String chunk) {
        MsgpackWriter w = new MsgpackWriter().array(4).str(Frames.TAG).integer(1_700_000_000L).map(7);
        w.str("container_id").str("abc123def456").str("source").str("stdout").str("log").strBytes(text);
        w.str("partial_message").str("true").str("partial_id").str("9c1e").str("partial_ordinal")
                .str(Integer.toString(ordinal)).str("partial_last").str(Boolean.toString(last));
        return w.value(Map.of("chunk", chunk)).bytes();
    }

    @Test
    void aCharacterTheDriverCutInTwoArrivesWhole() throws Exception {
        start(Map.of("stack-trace-aggregation", "true"));
        byte[] line = ("注文: " + "あ".repeat(12000) + " 完了").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            for (int from = 0, ordinal = 1; from < line.length; from += 16_384, ordinal++) {
                int to = Math.min(line.length, from + 16_384); // byte-wise, as Docker's copier cuts
                out.write(rawPiece(java.util.Arrays.copyOfRange(line, from, to), ordinal, to == line.length,
                        "p" + ordinal));
            }
            out.flush();
            for (int ordinal = 1; ordinal <= (line.length + 16_383) / 16_384; ordinal++) {
                expectAck(s.getInputStream(), "p" + ordinal);
            }
        }
        receiver.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
        receiver = null;
        assertEquals(1, messages().size(), "one log");
        assertTrue(messages().get(0).equals("注文: " + "あ".repeat(12000) + " 完了"),
                "every character whole, including the ones cut at 16 KiB");
    }

    /** What is still being joined at stop is sent: a stop loses no line. */
    @Test
    void stoppingSendsTheMessagesStillBeingJoined() throws Exception {
        start(Map.of("stack-trace-aggregation", "true"));
        try (Socket s = connect()) {
            s.getOutputStream().write(Frames.message(Frames.TAG, 1, Frames.fireLensRecord("last words", "stdout"),
                    Map.of("chunk", "last")));
            expectAck(s.getInputStream(), "last");
        }
        receiver.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
        receiver = null;
        assertEquals(List.of("last words"), messages());
    }
}
