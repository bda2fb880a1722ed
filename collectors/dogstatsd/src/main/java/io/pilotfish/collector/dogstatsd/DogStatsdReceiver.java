package io.pilotfish.collector.dogstatsd;

import io.netty.buffer.ByteBuf;
import io.pilotfish.collector.dogstatsd.listen.ListenerException;
import io.pilotfish.collector.dogstatsd.listen.ListenerSettings;
import io.pilotfish.collector.dogstatsd.listen.Listeners;
import io.pilotfish.collector.dogstatsd.listen.PacketHandler;
import io.pilotfish.collector.dogstatsd.listen.Transport;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * DogStatsD as a {@link Receiver}. The listener thread only copies packets into a bounded {@link PacketQueue}; one
 * worker thread parses, tags and aggregates them and emits each 10-second bucket once it has closed. When the queue
 * is nearly full the listeners stop reading until it has drained to half, so a stall of the worker (a flush, a
 * collection) is absorbed by the kernel's receive buffers rather than dropped here; the Datadog Agent's listeners
 * block the same way. Stopping closes the listeners, parses what is queued and flushes every bucket, the open one
 * included.
 *
 * <p>Until the task metadata first answers (at most {@link #FIRST_METADATA_WAIT} after start), samples are kept
 * apart by origin instead of being tagged, and the first flush waits: once the answer is in, they get the task's and
 * their container's tags as every later sample does. Events, service checks and timestamped points of that time wait
 * too, up to {@link #HELD_SIGNALS_MAX_BYTES}.
 */
final class DogStatsdReceiver implements Receiver, PacketHandler, DogStatsdParser.Handler {

    private static final long POLL_MILLIS_MAX = 1000;
    /**
     * How long after start the first flush may wait for the task metadata: what the platform's heartbeat waits too.
     * It covers a first request that times out (2 s) and its retry, and keeps the first bucket within the Agent's own
     * 15-second flush period of the time it would have been sent.
     */
    static final Duration FIRST_METADATA_WAIT = Duration.ofSeconds(5);
    /**
     * Events, service checks and timestamped points kept while the first metadata answer is awaited, in bytes as the
     * sinks' queues count them; beyond it they go out at once, with the tags known then.
     */
    static final long HELD_SIGNALS_MAX_BYTES = 1024 * 1024;
    /**
     * What the collector holds beside the ring and the aggregator: signals held for the metadata, the parser's caches
     * and the origin-tag cache, with their tables.
     */
    static final long FIXED_MEMORY_BYTES = HELD_SIGNALS_MAX_BYTES + DogStatsdParser.CACHES_MAX_BYTES
            + OriginTags.MERGED_CACHE_MAX_BYTES;
    /** How long one flush may wait, in all, for the sinks to take its points: see {@link #flush}. */
    static final Duration FLUSH_PACING_LIMIT = Duration.ofSeconds(3);
    /** Points emitted between two waits for the sinks' room. */
    private static final int PACING_STEP = 256;

    /** A signal that waits for the task metadata, with its own tags and where it came from. */
    private record HeldSignal(Signal signal, TagSet messageTags, OriginTags.Source source) {
    }

    private final DogStatsdConfig config;
    private final PluginContext context;
    private final PluginLog log;
    private final PacketQueue queue;
    private final DogStatsdParser parser;
    private final Aggregator aggregator;
    private final OriginTags originTags;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    /** Per listener, made on first use so unused listeners report nothing; packets are counted on the listener
     *  thread, messages on the worker, so each map has one writer. */
    private final Map<Transport, SelfTelemetry.Counter> packets = new EnumMap<>(Transport.class);
    private final Map<Transport, SelfTelemetry.Counter> messages = new EnumMap<>(Transport.class);
    private final Map<ParseError, SelfTelemetry.Counter> parseErrors = new EnumMap<>(ParseError.class);
    /** Drops are counted from the listener thread and the worker. */
    private final Map<String, SelfTelemetry.Counter> dropped = new ConcurrentHashMap<>();
    private final SelfTelemetry.Counter pointsOut;
    private final SelfTelemetry.Counter eventsOut;
    private final SelfTelemetry.Counter serviceChecksOut;
    private final SelfTelemetry telemetry;

    private volatile Emitter emitter;
    private volatile Listeners listeners;
    private volatile boolean stopping;
    private volatile int contexts;
    private volatile long aggregatorBytes;
    /** Reading stops when the queue has less free room than a read can hand over, and resumes below the mark. */
    private final long pauseHeadroomBytes;
    private final long resumeBelowBytes;
    private final SelfTelemetry.Counter readPauses;
    /** Written on the listener thread only; read by the worker. */
    private volatile boolean readingPaused;
    private final AtomicBoolean resumeRequested = new AtomicBoolean();
    /** Read by the telemetry timer only. */
    private long lastKernelDrops;
    private final AtomicBoolean kernelDropsReported = new AtomicBoolean();
    /** Guarded by itself: the listeners that cannot bind now, each with what health shows for it. */
    private final Map<Transport, String> listenersDown = new EnumMap<>(Transport.class);
    /** Set once, when the parsing worker died; shown in health alongside the listeners. */
    private volatile String workerFailure;
    private Thread worker;

    /** Set once the metadata refresh started at start() has completed, either way; read by the worker. */
    private volatile boolean metadataAnswered;
    /** Worker thread only (set before it starts): samples are kept untagged and the flush waits. */
    private boolean awaitingMetadata;
    private long metadataWaitEndMillis;
    private final List<HeldSignal> heldSignals = new ArrayList<>();
    private long heldSignalBytes;

    /** The packet being parsed: set by the worker before each parse, read by the parser's callbacks. */
    private PacketQueue.Packet current;
    private long currentArrival;
    private String currentHost;
    private SelfTelemetry.Counter currentMessages;

    DogStatsdReceiver(DogStatsdConfig config, PluginContext context) {
        this.config = config;
        this.context = context;
        this.log = context.log();
        this.queue = new PacketQueue(config.queueSize(), config.bufferSize());
        this.pauseHeadroomBytes = Listeners.bytesInFlightAfterPause(config.bufferSize());
        this.resumeBelowBytes = Math.max(0, (queue.budgetBytes() - pauseHeadroomBytes) / 2);
        this.parser = new DogStatsdParser(DogStatsdParser.Limits.DEFAULTS, () -> context.clock().millis() / 1000);
        this.aggregator = new Aggregator(config.aggregation());
        this.originTags = new OriginTags(context.metadata(), config.tagCardinality(), config.originDetection(),
                config.extraTags());
        this.telemetry = context.telemetry();
        this.pointsOut = telemetry.counter("dogstatsd.points");
        this.eventsOut = telemetry.counter("dogstatsd.events");
        this.serviceChecksOut = telemetry.counter("dogstatsd.service_checks");
        telemetry.gauge("dogstatsd.contexts", () -> contexts);
        telemetry.gauge("dogstatsd.aggregator.bytes", () -> aggregatorBytes);
        this.readPauses = telemetry.counter("dogstatsd.read_pauses");
        telemetry.gauge("dogstatsd.queue.packets", queue::depth);
        telemetry.gauge("dogstatsd.queue.bytes", queue::usedBytes);
    }

    @Override
    public CompletionStage<Void> start(Emitter emitter) {
        this.emitter = emitter;
        awaitForFirstMetadata();
        if (!config.listens()) {
            log.warn("nothing_to_listen", "dogstatsd: port is 0 and no socket is set, so nothing listens; set port "
                    + "(DD_DOGSTATSD_PORT), socket (DD_DOGSTATSD_SOCKET) or stream-socket, or disable the collector");
        }
        worker = Thread.ofPlatform().daemon().name("pilotfish-dogstatsd-" + context.instanceName())
                .start(this::work);
        if (config.listens()) {
            try {
                listeners = Listeners.start(new ListenerSettings(config.host(), config.port(),
                        config.socket().orElse(null), config.streamSocket().orElse(null), config.bufferSize(),
                        config.receiveBuffer(), config.originDetection()), this, new ListenerHealth());
            } catch (RuntimeException e) {
                stopping = true;
                queue.wake();
                return CompletableFuture.failedFuture(e);
            }
            reportListeners(listeners);
            reportKernelDrops();
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Counts the kernel's UDP drops once UDP is bound (at start or by a retry) and the OS tells them. */
    private void reportKernelDrops() {
        Listeners bound = listeners;
        if (bound != null && bound.udpKernelDrops().isPresent() && kernelDropsReported.compareAndSet(false, true)) {
            telemetry.gauge("dogstatsd.kernel_drops", this::kernelDrops, "listener:udp");
        }
    }

    /**
     * Keeps health up to date as listeners bind and fail: a listener that cannot bind is a degraded part, named with
     * its fix and when it is tried again, until a retry binds it. The first failure of each is logged as an error,
     * a retry only when its reason changes, and the bind that ends a failure as news.
     */
    private final class ListenerHealth implements Listeners.Observer {

        @Override
        public void bound(Listeners.Bound socket) {
            context.health().listening(socket.transport().socketType(), socket.address());
            String was;
            synchronized (listenersDown) {
                was = listenersDown.remove(socket.transport());
            }
            if (was != null) {
                log.info("dogstatsd: now listening on " + socket.transport().socketType() + " " + socket.address()
                        + "; the earlier bind failure is cleared");
                reportKernelDrops();
            }
            reportHealth();
        }

        @Override
        public void bindFailed(Transport transport, ListenerException failure, int failures,
                Optional<Duration> retryIn) {
            if (stopping) {
                return;
            }
            String reason = failure.getMessage();
            String shown = reason + retryIn.map(delay -> " Binding is retried, next in " + seconds(delay) + " (attempt "
                    + (failures + 1) + ").").orElse(failure.isPermanent() ? " Not retried: only a change of "
                    + "configuration can fix it." : "");
            String before;
            synchronized (listenersDown) {
                before = listenersDown.put(transport, shown);
            }
            if (failures == 1) {
                log.error("listener_" + transport.tag(), "dogstatsd: " + reason + (retryIn.isPresent()
                        ? " Binding is retried, at first after " + seconds(retryIn.get()) + ", then less often (up to"
                        + " every minute) until it succeeds." : "") + " The other listeners run without it.", null);
            } else if (before == null || !before.startsWith(reason)) {
                log.warn("listener_" + transport.tag(), "dogstatsd: still cannot bind (attempt " + failures + "): "
                        + reason);
            }
            reportHealth();
        }
    }

    private static String seconds(Duration delay) {
        long millis = delay.toMillis();
        return millis < 1000 ? millis + " ms" : Math.round(millis / 1000.0) + " s";
    }

    /** Health from the listeners that cannot bind and the worker: degraded while any is down, healthy after. */
    private void reportHealth() {
        List<String> reasons = new ArrayList<>();
        String worker = workerFailure;
        if (worker != null) {
            reasons.add(worker);
        }
        boolean nothingListens;
        synchronized (listenersDown) {
            reasons.addAll(listenersDown.values());
            Listeners bound = listeners;
            nothingListens = !listenersDown.isEmpty() && bound != null && bound.bound().isEmpty();
        }
        if (reasons.isEmpty()) {
            context.health().healthy();
        } else {
            context.health().degraded((nothingListens ? "no DogStatsD listener is bound, so nothing is received. "
                    : "") + String.join(" ", reasons));
        }
    }

    /**
     * Without the task's metadata yet (but with an endpoint), asks for it and has the first flush wait for the answer,
     * so that the first points carry the task's tags as every later one does.
     */
    private void awaitForFirstMetadata() {
        metadataWaitEndMillis = context.clock().millis() + FIRST_METADATA_WAIT.toMillis();
        try {
            if (context.metadata().available() && context.metadata().current().isEmpty()) {
                awaitingMetadata = true;
                context.metadata().refresh().whenComplete((snapshot, error) -> {
                    metadataAnswered = true;
                    queue.wake();
                });
            }
        } catch (RuntimeException e) {
            awaitingMetadata = false;
            log.warn("metadata", "dogstatsd: the task metadata could not be read (" + e.getMessage()
                    + "); metrics go out without ECS tags until it can");
        }
    }

    /** Says what listens once started; health heard of each socket and each failure from {@link ListenerHealth}. */
    private void reportListeners(Listeners bound) {
        // Now that the listeners are known, health can tell whether nothing at all listens.
        reportHealth();
        List<Listeners.Bound> sockets = bound.bound();
        log.info("dogstatsd listening: " + (sockets.isEmpty() ? "nothing yet (binding is retried)" : sockets.stream()
                .map(socket -> socket.transport().socketType() + " " + socket.address())
                .collect(Collectors.joining(", "))) + "; packets up to " + config.bufferSize() + " bytes, queue of "
                + queue.budgetBytes() / 1024 + " KiB (queue-size " + config.queueSize() + " x buffer-size)");
    }

    /** The kernel's drop count for the UDP socket; the last one read once the socket is closed (final report). */
    private double kernelDrops() {
        Listeners bound = listeners;
        if (bound != null) {
            bound.udpKernelDrops().ifPresent(drops -> lastKernelDrops = drops);
        }
        return lastKernelDrops;
    }

    /** The UDP port bound, for tests that listen on any free port; 0 when UDP is off or not started. */
    int udpPort() {
        Listeners bound = listeners;
        return bound == null || config.port() == 0 ? 0 : bound.udpPort();
    }

    // ---------------------------------------------------------------- listener thread

    @Override
    public void packet(Transport transport, ByteBuf packet, boolean truncated, String peerContainerId) {
        packets.computeIfAbsent(transport, t -> telemetry.counter("dogstatsd.packets", "listener:" + t.tag()))
                .increment();
        if (!queue.offer(transport, packet, truncated, peerContainerId)) {
            drop("queue_full", 1, "dogstatsd: the parse queue is full (" + queue.budgetBytes() / 1024 + " KiB, "
                    + "queue-size x buffer-size); packets are dropped. Raise queue-size (DD_DOGSTATSD_QUEUE_SIZE) or "
                    + "send fewer, larger packets");
        }
        if (!readingPaused && queue.nearlyFull(pauseHeadroomBytes)) {
            Listeners bound = listeners;
            if (bound != null) {
                // Back-pressure: the kernel's receive buffer holds what comes next until the worker catches up.
                readingPaused = true;
                readPauses.increment();
                bound.pauseReading();
                // The worker may have drained the queue before it could see the pause: then nobody else resumes.
                resumeReadingIfDrained();
            }
        }
    }

    /**
     * Once the queue has drained below the mark, reading resumes (on the listener thread). Called by the worker after
     * each packet and by the listener right after pausing: each writes its side (the queue's bytes, the pause) before
     * reading the other's, so at least one of them sees both.
     */
    private void resumeReadingIfDrained() {
        if (readingPaused && queue.usedBytes() <= resumeBelowBytes && resumeRequested.compareAndSet(false, true)) {
            Listeners bound = listeners;
            if (bound == null) {
                resumeRequested.set(false);
                return;
            }
            bound.onListenerThread(() -> {
                readingPaused = false;
                resumeRequested.set(false);
                bound.resumeReading();
            });
        }
    }

    @Override
    public void problem(Transport transport, String reason, String message) {
        drop(reason, 1, "dogstatsd " + transport.tag() + ": " + message);
    }

    private void drop(String reason, long count, String message) {
        dropped.computeIfAbsent(reason, r -> telemetry.counter("dogstatsd.dropped", "reason:" + r)).add(count);
        log.warn("dropped_" + reason, message);
    }

    // ---------------------------------------------------------------- worker thread

    private void work() {
        long nextFlush = nextBoundaryMillis(context.clock().millis());
        try {
            while (true) {
                long now = context.clock().millis();
                if (awaitingMetadata && (metadataAnswered || now >= metadataWaitEndMillis || metadataKnown())) {
                    stopAwaitingMetadata();
                }
                if (now >= nextFlush && !awaitingMetadata) {
                    flush(now, false);
                    nextFlush = nextBoundaryMillis(now);
                }
                // While the metadata is awaited the flush waits too: nothing is due before the end of the wait.
                long wakeAt = awaitingMetadata ? metadataWaitEndMillis : nextFlush;
                PacketQueue.Packet packet = queue.poll(Math.min(POLL_MILLIS_MAX, Math.max(1, wakeAt - now)),
                        TimeUnit.MILLISECONDS);
                if (packet != null) {
                    process(packet);
                } else if (stopping) {
                    break; // the listeners are closed and the queue is empty
                }
            }
            if (awaitingMetadata) {
                stopAwaitingMetadata();
            }
            flush(context.clock().millis(), true);
            stopped.complete(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped.complete(null);
        } catch (RuntimeException | Error e) {
            log.error("worker", "dogstatsd: the parsing worker stopped", e);
            workerFailure = "the DogStatsD parsing worker stopped (" + e + "): nothing received is parsed or sent any "
                    + "more. Restart the agent, and report the error with its log.";
            reportHealth();
            stopped.completeExceptionally(e);
        }
    }

    private boolean metadataKnown() {
        try {
            return context.metadata().current().isPresent();
        } catch (RuntimeException e) {
            return false; // a broken source is as good as no answer yet; the wait still ends on time
        }
    }

    /**
     * The first metadata answer is in, or the wait is over: what waited for it gets its tags (the task's, if it is
     * known now) and goes out like everything after it.
     */
    private void stopAwaitingMetadata() {
        awaitingMetadata = false;
        originTags.refresh();
        boolean anythingWaited = aggregator.contexts() > 0 || !heldSignals.isEmpty();
        if (!originTags.knowsTask() && (metadataAnswered || context.clock().millis() >= metadataWaitEndMillis)) {
            log.warn("metadata_wait", "dogstatsd: no task metadata " + (metadataAnswered ? "could be read"
                    : "within " + FIRST_METADATA_WAIT.toSeconds() + " s of start") + "; the first metrics go out "
                    + "without the task's ECS tags");
        } else if (!originTags.knowsTask() && anythingWaited) {
            // Stopped (or failed to start) before the wait was over: only worth saying if something waited.
            log.warn("metadata_wait", "dogstatsd: stopping before the task metadata answered; what was received "
                    + "until now goes out without the task's ECS tags");
        }
        aggregator.resolve(originTags::tags);
        contexts = aggregator.contexts();
        for (HeldSignal held : heldSignals) {
            emitTagged(held.signal(), originTags.tags(held.messageTags(), held.source()));
        }
        heldSignals.clear();
        heldSignalBytes = 0;
    }

    private static long nextBoundaryMillis(long nowMillis) {
        long bucketMillis = Aggregator.BUCKET_SECONDS * 1000;
        return (nowMillis / bucketMillis + 1) * bucketMillis;
    }

    private void process(PacketQueue.Packet packet) {
        try {
            int length = packet.length;
            if (packet.truncated) {
                // The last line was cut at the buffer's end: keep the whole lines before it.
                length = lastNewline(packet.bytes, packet.offset, packet.length) + 1;
                drop("oversized_packet", 1, "dogstatsd " + packet.transport.tag() + ": a packet over buffer-size ("
                        + config.bufferSize() + " bytes) was cut; its last line is dropped. Raise buffer-size "
                        + "(DD_DOGSTATSD_BUFFER_SIZE, up to 65536) or have the client send smaller packets");
            }
            current = packet;
            currentMessages = messages.computeIfAbsent(packet.transport, t -> telemetry.counter(
                    "dogstatsd.messages", "listener:" + t.tag()));
            currentArrival = context.clock().millis() / 1000;
            currentHost = context.agent().hostname();
            originTags.refresh();
            parser.parse(packet.bytes, packet.offset, length, this);
            contexts = aggregator.contexts();
        } finally {
            current = null;
            queue.release(packet);
            resumeReadingIfDrained();
        }
    }

    /** Where the packet's last newline is, counted from its offset; -1 when it has none. */
    private static int lastNewline(byte[] bytes, int offset, int length) {
        for (int i = length - 1; i >= 0; i--) {
            if (bytes[offset + i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void countMessage() {
        currentMessages.increment();
    }

    @Override
    public void metric(MetricSample sample) {
        countMessage();
        OriginTags.Source source = originTags.source(sample.origin(), current.peerContainerId);
        String host = currentHost;
        if (sample.timestamped()) {
            boolean untagged = awaitingMetadata;
            List<Metric> points = Aggregator.unaggregated(sample,
                    untagged ? sample.tags() : originTags.tags(sample.tags(), source), host);
            if (points.isEmpty()) {
                drop("unsupported_timestamp", 1, "dogstatsd: " + SafeText.quote(sample.name(), 100) + " is a "
                        + sample.type().name().toLowerCase(Locale.ROOT) + " with a timestamp (T); only gauges and "
                        + "counts may carry one, as in the Datadog Agent");
                return;
            }
            for (Metric point : points) {
                if (!untagged) {
                    emit(point);
                } else if (!hold(point, sample.tags(), source)) {
                    emitTagged(point, originTags.tags(sample.tags(), source));
                }
            }
            return;
        }
        boolean taken = awaitingMetadata
                ? aggregator.addUnresolved(sample, sample.tags(), source, host, currentArrival)
                : aggregator.add(sample, originTags.tags(sample.tags(), source), host, currentArrival);
        if (!taken && aggregator.lastRefusal() == Aggregator.Refusal.MEMORY) {
            drop("aggregator_memory", 1, "dogstatsd: the aggregator's memory budget ("
                    + config.aggregation().maxBytes() / 1024 + " KiB, aggregator.max-bytes) is used up by "
                    + aggregator.contexts() + " contexts; samples of new contexts (and growth of histograms, sets and "
                    + "distributions) are dropped. Check for a tag with unbounded values, or raise the heap and "
                    + "aggregator.max-bytes");
        } else if (!taken) {
            drop("context_limit", 1, "dogstatsd: more than " + config.aggregation().maxContexts() + " contexts "
                    + "(name and tags) in one 10 s bucket; samples of new contexts are dropped. Check for a tag with "
                    + "unbounded values, or raise context-limit");
        }
    }

    @Override
    public void event(Event event, Origin origin) {
        countMessage();
        String host = event.host().isEmpty() ? currentHost : event.host();
        OriginTags.Source source = originTags.source(origin, current.peerContainerId);
        Event withHost = new Event(event.title(), event.text(), event.timestamp(), event.alertType(),
                event.priority(), event.sourceTypeName(), event.aggregationKey(), event.tags(), host);
        if (!hold(withHost, event.tags(), source)) {
            emitTagged(withHost, originTags.tags(event.tags(), source));
        }
    }

    @Override
    public void serviceCheck(ServiceCheck check, Origin origin) {
        countMessage();
        String host = check.host().isEmpty() ? currentHost : check.host();
        OriginTags.Source source = originTags.source(origin, current.peerContainerId);
        ServiceCheck withHost = new ServiceCheck(check.name(), check.status(), check.timestamp(), check.tags(),
                check.message(), host);
        if (!hold(withHost, check.tags(), source)) {
            emitTagged(withHost, originTags.tags(check.tags(), source));
        }
    }

    /**
     * Keeps a signal until the task metadata answers; false when nothing is awaited (any more) or the room for held
     * signals is used up, and the caller sends it at once.
     */
    private boolean hold(Signal signal, TagSet messageTags, OriginTags.Source source) {
        if (!awaitingMetadata) {
            return false;
        }
        if (heldSignalBytes + signal.estimatedBytes() > HELD_SIGNALS_MAX_BYTES) {
            log.warn("held_signals_full", "dogstatsd: more than " + HELD_SIGNALS_MAX_BYTES / 1024 + " KiB of events, "
                    + "service checks and timestamped points arrived before the task metadata; the rest go out "
                    + "without its ECS tags");
            return false;
        }
        heldSignals.add(new HeldSignal(signal, messageTags, source));
        heldSignalBytes += signal.estimatedBytes();
        return true;
    }

    /** Sends a signal made with its own tags, with {@code tags} in their place. */
    private void emitTagged(Signal signal, TagSet tags) {
        switch (signal) {
            case Metric point -> emit(point.withTags(tags));
            case Event event -> {
                eventsOut.increment();
                emitter.emit(new Event(event.title(), event.text(), event.timestamp(), event.alertType(),
                        event.priority(), event.sourceTypeName(), event.aggregationKey(), tags, event.host()));
            }
            case ServiceCheck check -> {
                serviceChecksOut.increment();
                emitter.emit(new ServiceCheck(check.name(), check.status(), check.timestamp(), tags, check.message(),
                        check.host()));
            }
            default -> throw new IllegalArgumentException("not a DogStatsD signal: " + signal);
        }
    }

    @Override
    public void error(ParseError reason, String message) {
        parseErrors.computeIfAbsent(reason, r -> telemetry.counter("dogstatsd.parse_errors", r.tag())).increment();
        log.warn("parse_" + reason.name().toLowerCase(Locale.ROOT), "dogstatsd " + current.transport.tag()
                + ": dropped a message (" + reason.name().toLowerCase(Locale.ROOT) + "): " + message);
    }

    /**
     * Emits the closed buckets. A bucket of many contexts is a burst larger than a sink's queue may hold: every
     * {@value #PACING_STEP} points the worker waits for the sinks to make room, while they are sending successfully,
     * {@link #FLUSH_PACING_LIMIT} at most per flush. Packets wait in the ring (and the kernel buffer) meanwhile.
     */
    private void flush(long nowMillis, boolean includeOpen) {
        long pacingDeadline = System.nanoTime() + FLUSH_PACING_LIMIT.toNanos();
        int[] sinceWait = {0};
        aggregator.flush(nowMillis / 1000, includeOpen, signal -> {
            emit(signal);
            if (++sinceWait[0] >= PACING_STEP) {
                sinceWait[0] = 0;
                long left = pacingDeadline - System.nanoTime();
                if (left > 0) {
                    emitter.awaitCapacity(Duration.ofNanos(left));
                }
            }
        });
        contexts = aggregator.contexts();
        aggregatorBytes = aggregator.usedBytes();
    }

    private void emit(Signal signal) {
        pointsOut.increment();
        emitter.emit(signal);
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public CompletionStage<Void> stop() {
        closeListeners();
        stopping = true;
        queue.wake();
        if (worker == null) {
            stopped.complete(null);
        }
        return stopped;
    }

    private void closeListeners() {
        Listeners bound = listeners;
        if (bound != null) {
            bound.close();
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "DogStatsdReceiver[" + context.instanceName() + ", " + config.host() + ":" + config.port() + "]";
    }
}
