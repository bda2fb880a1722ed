package io.pilotfish.collector.dogstatsd;

import io.netty.buffer.ByteBuf;
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
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * DogStatsD as a {@link Receiver}. The listener thread only copies packets into a bounded {@link PacketQueue}; one
 * worker thread parses, tags and aggregates them and emits each 10-second bucket once it has closed. When the queue
 * is nearly full the listeners stop reading until it has drained to half, so a stall of the worker (a flush, a
 * collection) is absorbed by the kernel's receive buffers rather than dropped here; the Datadog Agent's listeners
 * block the same way. Stopping closes the listeners, parses what is queued and flushes every bucket, the open one
 * included.
 */
final class DogStatsdReceiver implements Receiver, PacketHandler, DogStatsdParser.Handler {

    private static final long POLL_MILLIS_MAX = 1000;

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
        try {
            if (context.metadata().available() && context.metadata().current().isEmpty()) {
                // Tags of the task are wanted from the first bucket on.
                context.metadata().refresh();
            }
        } catch (RuntimeException e) {
            log.warn("metadata", "dogstatsd: the task metadata could not be read (" + e.getMessage()
                    + "); metrics go out without ECS tags until it can");
        }
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
                return CompletableFuture.failedFuture(e);
            }
            listeners.udpKernelDrops().ifPresent(ignored -> telemetry.gauge("dogstatsd.kernel_drops",
                    this::kernelDrops, "listener:udp"));
            log.info("dogstatsd listening: " + describeListeners() + "; packets up to " + config.bufferSize()
                    + " bytes, queue of " + queue.budgetBytes() / 1024 + " KiB (queue-size " + config.queueSize()
                    + " x buffer-size)");
        }
        return CompletableFuture.completedFuture(null);
    }

    private String describeListeners() {
        StringBuilder out = new StringBuilder();
        if (config.port() != 0) {
            out.append("udp ").append(config.host()).append(':').append(listeners.udpPort());
        }
        config.socket().ifPresent(path -> out.append(out.isEmpty() ? "" : ", ").append("unix datagram ").append(path));
        config.streamSocket().ifPresent(path -> out.append(out.isEmpty() ? "" : ", ").append("unix stream ")
                .append(path));
        return out.toString();
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
                if (now >= nextFlush) {
                    flush(now, false);
                    nextFlush = nextBoundaryMillis(now);
                }
                PacketQueue.Packet packet = queue.poll(Math.min(POLL_MILLIS_MAX, Math.max(1, nextFlush - now)),
                        TimeUnit.MILLISECONDS);
                if (packet != null) {
                    process(packet);
                } else if (stopping) {
                    break; // the listeners are closed and the queue is empty
                }
            }
            flush(context.clock().millis(), true);
            stopped.complete(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped.complete(null);
        } catch (RuntimeException | Error e) {
            log.error("worker", "dogstatsd: the parsing worker stopped", e);
            stopped.completeExceptionally(e);
        }
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
        TagSet tags = originTags.tags(sample.tags(), sample.origin(), current.peerContainerId);
        String host = currentHost;
        if (sample.timestamped()) {
            List<Metric> points = Aggregator.unaggregated(sample, tags, host);
            if (points.isEmpty()) {
                drop("unsupported_timestamp", 1, "dogstatsd: " + sample.name() + " is a "
                        + sample.type().name().toLowerCase(Locale.ROOT) + " with a timestamp (T); only gauges and "
                        + "counts may carry one, as in the Datadog Agent");
                return;
            }
            points.forEach(this::emit);
            return;
        }
        if (!aggregator.add(sample, tags, host, currentArrival)) {
            drop("context_limit", 1, "dogstatsd: more than " + config.aggregation().maxContexts() + " contexts "
                    + "(name and tags) in one 10 s bucket; samples of new contexts are dropped. Check for a tag with "
                    + "unbounded values, or raise context-limit");
        }
    }

    @Override
    public void event(Event event, Origin origin) {
        countMessage();
        TagSet tags = originTags.tags(event.tags(), origin, current.peerContainerId);
        String host = event.host().isEmpty() ? currentHost : event.host();
        eventsOut.increment();
        emitter.emit(new Event(event.title(), event.text(), event.timestamp(), event.alertType(), event.priority(),
                event.sourceTypeName(), event.aggregationKey(), tags, host));
    }

    @Override
    public void serviceCheck(ServiceCheck check, Origin origin) {
        countMessage();
        TagSet tags = originTags.tags(check.tags(), origin, current.peerContainerId);
        String host = check.host().isEmpty() ? currentHost : check.host();
        serviceChecksOut.increment();
        emitter.emit(new ServiceCheck(check.name(), check.status(), check.timestamp(), tags, check.message(), host));
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
