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
    /** Reading stops when the queue has less free room than a read can hand over, and resumes below the mark. */
    private final long pauseHeadroomBytes;
    private final long resumeBelowBytes;
    private final SelfTelemetry.Counter readPauses;
    /** Written on the listener thread only; read by the worker. */
    private volatile boolean readingPaused;
    private final AtomicBoolean resumeRequested = new AtomicBoolean();
    /** Read by the telemetry timer only. */
    private long lastKernelDrops;
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
                        config.receiveBuffer(), config.originDetection()), this);
            } catch (RuntimeException e) {
                stopping = true;
                queue.wake();
                return CompletableFuture.failedFuture(e);
            }
            reportListeners(listeners);
            listeners.udpKernelDrops().ifPresent(ignored -> telemetry.gauge("dogstatsd.kernel_drops",
                    this::kernelDrops, "listener:udp"));
        }
        return CompletableFuture.completedFuture(null);
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

    /** Tells health what listens, and what could not while the rest does. */
    private void reportListeners(Listeners bound) {
        for (Listeners.Bound socket : bound.bound()) {
            context.health().listening(socket.transport().socketType(), socket.address());
        }
        List<ListenerException> failures = bound.failures();
        if (!failures.isEmpty()) {
            String reasons = failures.stream().map(Throwable::getMessage).collect(Collectors.joining(" "));
            log.error("listener", "dogstatsd: " + reasons + " The other listeners run without "
                    + (failures.size() == 1 ? "it." : "them."), null);
            context.health().degraded(reasons);
        }
        log.info("dogstatsd listening: " + bound.bound().stream()
                .map(socket -> socket.transport().socketType() + " " + socket.address())
                .collect(Collectors.joining(", ")) + "; packets up to " + config.bufferSize() + " bytes, queue of "
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
            context.health().degraded("the DogStatsD parsing worker stopped (" + e + "): nothing received is parsed "
                    + "or sent any more. Restart the agent, and report the error with its log.");
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
                drop("unsupported_timestamp", 1, "dogstatsd: " + sample.name() + " is a "
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
        if (!taken) {
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

    private void flush(long nowMillis, boolean includeOpen) {
        aggregator.flush(nowMillis / 1000, includeOpen, this::emit);
        contexts = aggregator.contexts();
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
