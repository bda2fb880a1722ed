package io.pilotfish.collector.forward;

import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The forward protocol's server on TCP and a Unix socket, on its own small Vert.x (the SPI hands plugins no Vert.x).
 *
 * <p>The event loop only frames: each connection's bytes go to a buffer in which a {@link FrameScanner} finds where
 * frames end, resuming where it stopped, so a frame split over many reads is looked at once. Whole frames are decoded
 * and emitted on a worker thread, in order, while the connection's reading is paused; so a connection holds at most
 * one partial frame and the frames of one read, never more than {@code max-frame-bytes} of an unfinished frame, and
 * all connections' buffers together stay within {@code max-buffered-bytes} (a connection that would pass it is
 * closed, counted). The worker waits for the sinks' room between bursts ({@link Emitter#awaitCapacity}); an ack
 * ({@code chunk}) is written only once every record of its frame was emitted, so a full queue delays acks (and with
 * them the clients) instead of dropping what they sent.
 *
 * <p>Bad input (garbage, truncated or oversized frames, wrong types, zip bombs, a failed handshake) closes its
 * connection only, with a rate-limited log line and {@code forward.errors} by reason.
 */
public final class ForwardReceiver implements Receiver {

    /** Decoder threads: decoding runs at hundreds of MB/s a thread, so two keep up with any local sender. */
    static final int WORKERS = 2;
    private static final AtomicLong CONNECTION_IDS = new AtomicLong();
    /** Unfinished multi-line messages of all streams ({@link ForwardProcessing}). */
    static final long MAX_PENDING_MESSAGE_BYTES = ForwardProcessing.MAX_PENDING_BYTES;
    private static final int INITIAL_BUFFER_BYTES = 16 * 1024;
    /** The largest buffer a connection keeps between frames (see {@code shrink}). */
    private static final int RETAINED_BUFFER_BYTES = 512 * 1024;
    /**
     * Records handed to the sinks at once, between waits for their room. Small enough that both workers' groups fit
     * in the quarter of a small queue that the wait keeps free (128 records of about a kilobyte each: with APM off the
     * logs queue is 4.5 MB), large enough that the queue's lock is taken once for many lines.
     */
    private static final int RECORDS_PER_CAPACITY_CHECK = 128;
    private static final Duration CAPACITY_WAIT = Duration.ofSeconds(30);
    private static final Buffer HEARTBEAT_RESPONSE = Buffer.buffer(new byte[] {0});
    private static final String THREAD_PREFIX = "pilotfish-forward";

    private final ForwardConfig config;
    private final PluginContext context;
    private final ForwardTelemetry telemetry;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong buffered = new AtomicLong();
    private final List<NetServer> servers = new ArrayList<>();
    private final String serverHostname;
    private volatile Emitter emitter;
    private volatile ForwardProcessing processing;
    private volatile boolean stopping;
    private Vertx vertx;
    private Context eventLoop;
    private ExecutorService workers;
    private ThreadLocal<ForwardDecoder> decoders;
    private DatagramSocket heartbeat;
    private volatile int tcpPort = -1;
    private volatile int udpPort = -1;

    public ForwardReceiver(ForwardConfig config, PluginContext context) {
        this.config = config;
        this.context = context;
        this.telemetry = new ForwardTelemetry(context.telemetry());
        String host = context.agent() == null ? null : context.agent().hostname();
        this.serverHostname = host == null || host.isEmpty() ? "pilotfish" : host;
    }

    @Override
    public CompletionStage<Void> start(Emitter emitter) {
        this.emitter = emitter;
        RecordMapper mapper = new RecordMapper(config.maxLineBytes(), config.routes(), this::containerTags,
                this::container, config.containerCollectAll())
                .onLabelProblem((container, problem) -> context.log().warn("container_label",
                        "container " + container + ": " + problem + "; its logs are sent without it"));
        decoders = ThreadLocal.withInitial(() -> new ForwardDecoder(config.maxFrameBytes(),
                config.maxDecompressedBytes(), mapper, () -> context.clock().millis()));
        processing = new ForwardProcessing(config.processing(), context, emitter::emit);
        processing.start();
        for (String ignored : config.routes().ignoredOutputs()) {
            context.log().warn("firelens_output_ignored", ignored + ": Pilotfish sends logs to Datadog only; the "
                    + "records of this output are not sent");
        }
        config.routes().routes().forEach(route -> context.log().info("FireLens: " + route));
        // No file cache and no class-path resolving: ECS's read-only root has no writable /tmp for them.
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setPreferNativeTransport(true)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false))
                .setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
        eventLoop = vertx.getOrCreateContext();
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, THREAD_PREFIX + "-decoder-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        context.telemetry().gauge("forward.connections.open", open::get);
        context.telemetry().gauge("forward.buffered_bytes", buffered::get);
        CompletableFuture<Void> started = new CompletableFuture<>();
        eventLoop.runOnContext(v -> listen().onComplete(done -> {
            if (done.succeeded()) {
                started.complete(null);
            } else {
                // What did bind (the UDP heartbeat, the socket) is let go at once: a failed receiver holds nothing.
                stop().whenComplete((x, e) -> started.completeExceptionally(done.cause()));
            }
        }));
        return started;
    }

    /**
     * The tags of the container a record names, as the Agent's tagger gives them to its logs (high cardinality): the
     * task's when the id is unknown or absent; none before the task metadata is known.
     */
    private TagSet containerTags(String containerId) {
        return context.metadata().current().map(task -> task.containerTags(containerId, Cardinality.HIGH))
                .orElse(TagSet.EMPTY);
    }

    /** The container of the task with this Docker id, else this name; none before the task metadata is known. */
    private Optional<ContainerMetadata> container(String dockerId, String name) {
        return context.metadata().current().flatMap(task -> {
            Optional<ContainerMetadata> byId = dockerId.isEmpty() ? Optional.empty()
                    : task.task().container(dockerId);
            return byId.isPresent() || name.isEmpty() ? byId : task.task().containers().stream()
                    .filter(c -> c.name().equals(name)).findFirst();
        });
    }

    /** The TCP port bound (the configured one, or the one the OS chose for port 0 in tests); -1 before. */
    int tcpPort() {
        return tcpPort;
    }

    int udpPort() {
        return udpPort;
    }

    private Future<Void> listen() {
        List<Future<?>> binds = new ArrayList<>();
        if (config.port() > 0) {
            NetServer tcp = vertx.createNetServer(serverOptions()).connectHandler(s -> accept(s, "tcp"));
            servers.add(tcp);
            binds.add(tcp.listen(config.port(), config.bind()).onSuccess(s -> {
                tcpPort = s.actualPort();
                String address = config.bind() + ":" + s.actualPort();
                context.log().info("forward receiver listening on tcp " + address);
                context.health().listening("tcp", address);
            }).recover(e -> Future.failedFuture(new IOException("the forward receiver cannot listen on "
                    + config.bind() + ":" + config.port() + " (" + e.getMessage() + "); another process (a Fluent "
                    + "Bit sidecar?) may hold the port: set pilotfish.collectors.<name>.port to a free one", e))));
            if (config.udpHeartbeat()) {
                binds.add(listenHeartbeat());
            }
        }
        config.socket().ifPresent(path -> binds.add(listenUnix(path)));
        return Future.join(binds).mapEmpty(); // every bind settled before the outcome, so a failure can close them all
    }

    /**
     * Fluentd's {@code out_forward} with {@code heartbeat_type udp} sends a datagram to the same port and takes any
     * answer as "alive"; Fluentd's {@code in_forward} answers a single zero byte, and so does this.
     */
    private Future<Void> listenHeartbeat() {
        heartbeat = vertx.createDatagramSocket(new DatagramSocketOptions());
        heartbeat.handler(packet -> {
            telemetry.heartbeat();
            SocketAddress sender = packet.sender();
            heartbeat.send(HEARTBEAT_RESPONSE, sender.port(), sender.host());
        });
        return heartbeat.listen(config.port(), config.bind()).onSuccess(s -> {
            udpPort = s.localAddress().port();
            context.health().listening("udp", config.bind() + ":" + udpPort);
        }).<Void>mapEmpty().recover(e -> {
            // Heartbeats are optional (TCP connects are the default heartbeat): losing them leaves logs flowing.
            context.health().degraded("the forward UDP heartbeat cannot listen on " + config.bind() + ":"
                    + config.port() + ": " + e.getMessage() + " (set udp-heartbeat=false if nothing sends them)");
            return Future.succeededFuture();
        });
    }

    private Future<Void> listenUnix(Path path) {
        Path dir = path.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            // As FireLens: the socket lives in a directory the task mounts; without it, TCP only.
            context.log().info("forward receiver: no Unix socket, as " + dir + " does not exist (mount a volume "
                    + "there, or set pilotfish.collectors.<name>.socket)");
            return Future.succeededFuture();
        }
        if (!vertx.isNativeTransportEnabled()) {
            context.health().degraded("the forward Unix socket " + path + " needs the epoll transport, which did not "
                    + "load: " + vertx.unavailableNativeTransportCause());
            return Future.succeededFuture();
        }
        try {
            Files.deleteIfExists(path); // a socket left by a killed agent
        } catch (IOException e) {
            context.log().warn("forward-socket", "cannot remove the old socket " + path + ": " + e.getMessage());
        }
        NetServer unix = vertx.createNetServer(serverOptions()).connectHandler(s -> accept(s, "unix"));
        servers.add(unix);
        return unix.listen(SocketAddress.domainSocketAddress(path.toString())).onSuccess(s -> {
            try {
                // The log drivers connect as other users: any local user may write to it.
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx-w--w-"));
            } catch (IOException | UnsupportedOperationException e) {
                context.log().warn("forward-socket", "cannot open " + path + " to other users: " + e.getMessage());
            }
            context.log().info("forward receiver listening on unix " + path);
            context.health().listening("unix", path.toString());
        }).<Void>mapEmpty().recover(e -> {
            context.health().degraded("the forward receiver cannot listen on " + path + ": " + e.getMessage()
                    + " (check that the directory is writable by this user, or set the socket key)");
            return Future.succeededFuture();
        });
    }

    private static NetServerOptions serverOptions() {
        return new NetServerOptions().setTcpNoDelay(true).setTcpKeepAlive(true);
    }

    // ------------------------------------------------------------------ connections (event loop)

    private void accept(NetSocket socket, String transport) {
        if (stopping) {
            socket.close();
            return;
        }
        if (open.get() >= config.maxConnections()) {
            refuse("too_many_connections", "a " + transport + " connection was closed at once: "
                    + config.maxConnections() + " are open (max-connections)");
            socket.close();
            return;
        }
        open.incrementAndGet();
        telemetry.connectionOpened(transport);
        new Connection(socket, transport).begin();
    }

    private void refuse(String reason, String message) {
        telemetry.error(reason);
        context.log().warn("forward-" + reason, message);
    }

    /**
     * One client connection: its buffer, its frame scanner, its handshake, and at most one batch of frames in work.
     * Touched on the event loop only; the worker reads the frames' bytes while reading is paused, and nothing moves
     * them until its batch is done.
     */
    private final class Connection {

        private final NetSocket socket;
        private final String transport;
        private final SelfTelemetry.Counter bytesReceived;
        private final FrameScanner scanner = new FrameScanner(config.maxFrameBytes());
        private Handshake handshake;
        private byte[] buf;
        private int start;
        private int end;
        private long reserved;
        private boolean working;
        /** Released: its buffer and budget given back, nothing more read. */
        private boolean closed;
        /** The channel closed (the peer, or a reset): nothing can be written to it any more. */
        private boolean gone;
        /**
         * Every byte the peer sent has been delivered (Vert.x calls the end handler after the data it still held for
         * a paused socket): once the frames in the buffer are done, the connection is released.
         */
        private boolean ended;
        private long idleTimer = -1;
        /**
         * Joined into the streams of its records: lines of one container from two connections (a driver that
         * reconnected) are decoded on two threads at once and are never joined with each other.
         */
        private final String streamSuffix = "#" + CONNECTION_IDS.incrementAndGet();

        Connection(NetSocket socket, String transport) {
            this.socket = socket;
            this.transport = transport;
            this.bytesReceived = telemetry.bytes(transport);
        }

        void begin() {
            socket.handler(this::onData);
            // A client without acks writes its lines and closes at once: what it sent is still read and emitted to
            // the last frame. The close only stops the answers; the end (after the last byte) releases.
            socket.closeHandler(v -> gone = true);
            socket.endHandler(v -> {
                ended = true;
                if (!working) {
                    frames();
                }
            });
            socket.exceptionHandler(e -> close(null, null));
            config.sharedKey().ifPresent(key -> {
                handshake = new Handshake(key, serverHostname);
                socket.write(Buffer.buffer(handshake.helo()));
                armIdleTimer();
            });
        }

        private void onData(Buffer data) {
            if (closed) {
                return;
            }
            int n = data.length();
            bytesReceived.add(n);
            if (!ensureRoom(n)) {
                return;
            }
            data.getBytes(0, n, buf, end);
            end += n;
            if (!working) {
                frames();
            }
        }

        /** Makes room for {@code n} more bytes within the shared budget; closes the connection when there is none. */
        private boolean ensureRoom(int n) {
            if (buf != null && end + n <= buf.length) {
                return true;
            }
            if (!working && start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
                if (end + n <= buf.length) {
                    return true;
                }
            }
            long needed = (long) end + n;
            if (needed - start > config.maxFrameBytes() + 2L * 64 * 1024 + n) {
                // Only while a batch is in work can whole frames pile up here; the scanner bounds a partial one.
                close("frame_too_large", "more than " + config.maxFrameBytes() + " bytes buffered for one connection");
                return false;
            }
            // Doubling keeps a large frame's copies few; when the budget is tight, exactly what is needed will do.
            long size = Math.max(needed, buf == null ? INITIAL_BUFFER_BYTES : Math.min(2L * buf.length,
                    config.maxFrameBytes() + 64 * 1024L));
            if (!reserve(size - reserved)) {
                size = needed;
            }
            if (size == needed && !reserve(size - reserved)) {
                close("overloaded", "the connections' buffers hold " + buffered.get() + " bytes "
                        + "(max-buffered-bytes " + config.maxBufferedBytes() + "): a " + transport
                        + " connection was closed to keep memory bounded");
                return false;
            }
            // The worker may be reading the old array: it keeps it; the new one holds the same bytes.
            byte[] grown = new byte[(int) size];
            if (buf != null) {
                System.arraycopy(buf, 0, grown, 0, end);
            }
            buf = grown;
            return true;
        }

        private boolean reserve(long bytes) {
            if (bytes <= 0) {
                buffered.addAndGet(bytes);
                reserved += bytes;
                return true;
            }
            while (true) {
                long now = buffered.get();
                if (now + bytes > config.maxBufferedBytes()) {
                    return false;
                }
                if (buffered.compareAndSet(now, now + bytes)) {
                    reserved += bytes;
                    return true;
                }
            }
        }

        /** Finds the whole frames buffered and sends them to work; what is left is the start of the next frame. */
        private void frames() {
            List<long[]> found = new ArrayList<>();
            int at = start;
            try {
                while (at < end) {
                    long length = scanner.scan(buf, at, end - at, true);
                    if (length < 0) {
                        break;
                    }
                    if (handshake != null) {
                        Handshake.Outcome outcome = handshake.ping(buf, at, (int) length);
                        socket.write(Buffer.buffer(outcome.pong()));
                        if (!outcome.ok()) {
                            refuse("auth_failed", "a " + transport + " client failed the handshake: "
                                    + outcome.reason());
                            socket.end(); // closes once PONG is out, so that the client can say why
                            closed();
                            return;
                        }
                        handshake = null;
                        start = at + (int) length;
                    } else {
                        found.add(new long[] {at, length});
                    }
                    at += (int) length;
                }
            } catch (ForwardException e) {
                close(e.reason().tag(), "a " + transport + " connection sent bad input and was closed: "
                        + e.getMessage());
                return;
            }
            if (found.isEmpty()) {
                if (ended) {
                    if (start < end || scanner.inFrame()) {
                        telemetry.error("truncated_frame"); // the peer stopped in the middle of a frame
                    }
                    closed();
                    return;
                }
                if (start == end && !scanner.inFrame()) {
                    start = 0;
                    end = 0;
                    shrink();
                }
                armIdleTimer();
                return;
            }
            cancelIdleTimer();
            working = true;
            if (!ended) {
                socket.pause();
            }
            int consumed = at;
            byte[] frames = buf;
            try {
                workers.execute(() -> work(frames, found, consumed));
            } catch (RejectedExecutionException e) {
                close(null, null); // stopping
            }
        }

        /** On a worker: decodes and emits each frame in order; acks each after its records were emitted. */
        private void work(byte[] frames, List<long[]> found, int consumed) {
            ForwardDecoder decoder = decoders.get();
            List<Buffer> acks = new ArrayList<>();
            String failure = null;
            String failureMessage = null;
            Emitter out = emitter;
            Batch batch = new Batch(out);
            ForwardProcessing chain = processing;
            Consumer<LogRecord> toBatch = batch::add; // once per work, not once per record
            ForwardDecoder.RecordConsumer records = new ForwardDecoder.RecordConsumer() {
                @Override
                public void accept(LogRecord record) {
                    batch.add(record);
                }

                @Override
                public void accept(RecordMapper.Mapped mapped) {
                    chain.accept(mapped, streamSuffix, toBatch);
                }
            };
            for (long[] frame : found) {
                try {
                    out.awaitCapacity(CAPACITY_WAIT);
                    ForwardDecoder.Decoded decoded = decoder.decode(frames, (int) frame[0], (int) frame[1],
                            records);
                    telemetry.records(batch.flush());
                    telemetry.frame(decoded);
                    if (decoded.chunk() != null) {
                        acks.add(Buffer.buffer(MsgpackOut.ack(decoded.chunk())));
                    }
                } catch (ForwardException e) {
                    telemetry.records(batch.flush()); // those before the error are sent
                    failure = e.reason().tag();
                    failureMessage = "a " + transport + " connection sent bad input and was closed: "
                            + e.getMessage();
                    break;
                } catch (RuntimeException e) {
                    telemetry.records(batch.flush());
                    context.log().error("forward-internal", "decoding a forward frame failed", e);
                    failure = "internal_error";
                    failureMessage = "decoding a forward frame failed: " + e;
                    break;
                }
            }
            String reason = failure;
            String message = failureMessage;
            eventLoop.runOnContext(v -> done(acks, consumed, reason, message));
        }


        private void done(List<Buffer> acks, int consumed, String failure, String message) {
            working = false;
            if (closed) {
                return;
            }
            if (!gone) {
                for (Buffer ack : acks) {
                    telemetry.ackSent(); // counted first: the client may act on the ack before the next line runs
                    socket.write(ack);
                }
            }
            if (failure != null) {
                close(failure, message);
                return;
            }
            start = consumed;
            if (!ended) {
                socket.resume();
            }
            frames();
        }

        /**
         * Between frames the buffer is kept for the next one while it is of a common frame's size and the connections
         * together hold little of the budget: a client that sends a 100 KB chunk, waits for its ack and sends the next
         * one would otherwise have its buffer grown from the first size again for every chunk (a sixth of what the
         * agent allocated under a forward load). After a large frame, or when the budget is in demand, the buffer and
         * its bytes go back.
         */
        private void shrink() {
            if (buf != null && buf.length > INITIAL_BUFFER_BYTES
                    && (buf.length > RETAINED_BUFFER_BYTES || buffered.get() > config.maxBufferedBytes() / 4)) {
                buf = null;
                reserve(-reserved);
            }
        }

        private void armIdleTimer() {
            cancelIdleTimer();
            if (handshake == null && end == start && !scanner.inFrame()) {
                return; // an idle connection with nothing half-sent is normal: loggers keep theirs open
            }
            idleTimer = vertx.setTimer(config.idleTimeout().toMillis(), id -> {
                idleTimer = -1;
                if (!working) {
                    close("idle_timeout", "a " + transport + " connection sent " + (handshake != null
                            ? "no PING" : "part of a frame") + " and nothing for " + config.idleTimeout().toSeconds()
                            + " s; it was closed");
                }
            });
        }

        private void cancelIdleTimer() {
            if (idleTimer >= 0) {
                vertx.cancelTimer(idleTimer);
                idleTimer = -1;
            }
        }

        /** Closes the connection; with a reason, counted and logged (rate limited). */
        private void close(String reason, String message) {
            if (reason != null && !closed) {
                refuse(reason, message);
            }
            if (!closed) {
                socket.close();
            }
            closed();
        }

        private void closed() {
            if (closed) {
                return;
            }
            closed = true;
            cancelIdleTimer();
            open.decrementAndGet();
            buf = null;
            reserve(-reserved);
        }
    }

    /**
     * A frame's records, handed to the sinks {@value #RECORDS_PER_CAPACITY_CHECK} at a time (one hand-over each,
     * not one per line), with a wait for the sinks' room between groups.
     */
    private static final class Batch {
        private final Emitter out;
        private final List<LogRecord> records = new ArrayList<>(RECORDS_PER_CAPACITY_CHECK);
        private int sinceFlush;

        Batch(Emitter out) {
            this.out = out;
        }

        void add(LogRecord record) {
            records.add(record);
            if (records.size() >= RECORDS_PER_CAPACITY_CHECK) {
                hand();
                out.awaitCapacity(CAPACITY_WAIT);
            }
        }

        private void hand() {
            out.emitAll(records);
            sinceFlush += records.size();
            records.clear();
        }

        /** Hands over what is left; returns the records handed over since the last flush. */
        int flush() {
            hand();
            int n = sinceFlush;
            sinceFlush = 0;
            return n;
        }
    }

    // ------------------------------------------------------------------ stop

    @Override
    public CompletionStage<Void> stop() {
        if (stopping) {
            return CompletableFuture.completedFuture(null);
        }
        stopping = true;
        ForwardProcessing chain = processing;
        if (chain != null) {
            // What is being joined goes now, while the sinks surely take it: the frames still in work are finished
            // below, within the platform's budget for this stop, and their last lines are flushed after them.
            chain.flushPending();
        }
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        if (vertx == null) {
            if (processing != null) {
                processing.close();
            }
            stopped.complete(null);
            return stopped;
        }
        eventLoop.runOnContext(v -> {
            List<Future<Void>> closes = new ArrayList<>();
            for (NetServer server : servers) {
                closes.add(server.close());
            }
            if (heartbeat != null) {
                closes.add(heartbeat.close());
            }
            Future.join(closes).onComplete(closed -> {
                // Frames already read are emitted (and acked) before the connections close.
                Thread finisher = new Thread(() -> {
                    workers.shutdown();
                    try {
                        if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                            context.log().warn("forward-stop", "forward frames still in work at shutdown were not "
                                    + "finished");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (processing != null) {
                        processing.close(); // the last lines of every stream, joined or not, go now
                    }
                    config.socket().ifPresent(ForwardReceiver::deleteQuietly);
                    vertx.close().onComplete(x -> stopped.complete(null));
                }, THREAD_PREFIX + "-stop");
                finisher.setDaemon(true);
                finisher.start();
            });
        });
        return stopped;
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the next start replaces it
        }
    }

    @Override
    public void close() {
        if (!stopping) {
            stop().toCompletableFuture().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    /** For tests: what the connections' buffers hold now. */
    long bufferedBytes() {
        return buffered.get();
    }

    /** For tests: connections open now. */
    int openConnections() {
        return open.get();
    }

    Optional<Path> socketPath() {
        return config.socket();
    }
}
