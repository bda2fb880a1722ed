package io.pilotfish.core.pipeline;

import io.pilotfish.core.buffer.DiskBuffer;
import io.pilotfish.core.config.DiskBufferOptions;
import io.pilotfish.core.config.SinkOptions;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Everything between the collectors and one sink: a queue bounded in bytes, batching by count, bytes and time, one
 * export at a time or up to {@code exports-in-flight} while the destination takes them, retries with exponential
 * backoff and jitter (or the destination's {@code Retry-After}),
 * splitting of batches the destination finds too large, and draining within a deadline at shutdown. Every item is
 * accounted for: received, sent, retried, or dropped with a reason.
 *
 * <p>All state is guarded by {@code this}; exports run on {@code exportExecutor}, timers on {@code scheduler}.
 * Neither ever waits on the other.
 *
 * <p><b>Disk buffer</b> ({@code disk-buffer.path} set). Over the budget, the oldest of the memory queue is written to
 * disk instead of dropped, on the sink's own disk thread ({@code offer} only hands it over: its caller may be an
 * event loop). The data then lies in one order, oldest first: the batch being sent, batches to retry, records read
 * back from disk, the records on disk, records being written to disk, the memory queue. Batches are taken in that
 * order, so what one container logged is sent in the order it was logged; the memory queue waits while anything is
 * on disk. Records come back from disk {@value #READ_WINDOW} bytes (estimated heap) at a time, ahead of sending;
 * while they and the records being written push the memory above the budget, the newest go to disk, and only past
 * the budget plus that fixed scratch ({@link #diskScratchBytes}) is the oldest dropped ({@code queue_full}), when
 * the disk cannot keep up. At the shutdown deadline what is still in memory goes to disk in that order instead of
 * being dropped, and is sent first at the next start.
 */
public final class SinkRunner {

    /** @param origin where the record ends on disk, for one read back from it; null for one that never went there */
    private record Entry(Signal signal, int bytes, long enqueuedAtMillis, DiskBuffer.Position origin) {
        Entry(Signal signal, int bytes, long enqueuedAtMillis) {
            this(signal, bytes, enqueuedAtMillis, null);
        }
    }

    /**
     * A batch taken for sending, with its place in the order batches were first taken: a batch that fails goes back
     * before every younger one, even when exports in flight together end out of order.
     */
    private record Taken(long sequence, List<Entry> entries, long bytes, boolean fromDisk) {
        /** @param fromDisk whether any record was read back from disk (then it is sent alone, see pump) */
        Taken(long sequence, List<Entry> entries, long bytes) {
            this(sequence, entries, bytes, entries.stream().anyMatch(entry -> entry.origin != null));
        }
    }

    /** Records are written to disk this much (estimated heap) at a time. */
    static final long SPILL_WINDOW = 1024 * 1024;
    /** Records read back from disk are held up to this much (estimated heap) ahead of sending. */
    static final long READ_WINDOW = 1024 * 1024;
    /** At shutdown, sending stops this long before the deadline (at most a quarter of what is left) to write. */
    static final long PERSIST_RESERVE_MILLIS = 2000;

    /** The heap a disk buffer may hold beyond the queue budget: fixed, counted by the memory plan. */
    public static long diskScratchBytes() {
        return SPILL_WINDOW + READ_WINDOW + DiskBuffer.IO_BUFFER_BYTES;
    }

    /** A disk buffer as status shows it. */
    public record DiskBufferView(Path path, long maxBytes, long bytes, long items, boolean open) {
    }

    private final String name;
    /** Guarded by this; replaced by {@link #replace} between exports. */
    private Sink sink;
    private SinkOptions options;
    private Sink pendingSink;
    private SinkOptions pendingOptions;
    private final Runnable credentialsRejected;
    private final ScheduledExecutorService scheduler;
    private final Executor exportExecutor;
    private final Clock clock;
    private final PluginLog log;

    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    /** Batches that failed or were split, oldest first (by sequence); they go before anything in {@link #queue}. */
    private final ArrayList<Taken> retries = new ArrayList<>();
    /** Records read back from disk, oldest first; after {@link #retries}, before everything else. */
    private final ArrayDeque<Entry> replay = new ArrayDeque<>();
    /** Queue, retries and replay. */
    private long bufferedBytes;
    /** The part of {@link #bufferedBytes} in {@link #replay}. */
    private long replayBytes;
    /** Exports started and not ended, in the order they started. */
    private final ArrayList<Taken> inFlight = new ArrayList<>();
    /** The sums over {@link #inFlight}. */
    private long inFlightBytes;
    private int inFlightItems;
    private long nextSequence;
    /** Taken from the queue and being written to disk by the disk thread. */
    private long spillingBytes;
    private int spillingItems;
    private boolean spillScheduled;
    private boolean readScheduled;
    /** Whether the disk may hold records not read back yet: true until the buffer is open and says otherwise. */
    private boolean diskUnread;
    /** Set at the stop, once what memory held was written: the disk thread takes nothing more. */
    private boolean persisted;

    private final DiskBufferOptions diskOptions;
    /** The disk thread: every call on {@link #disk} runs there. Null without a disk buffer. */
    private final ExecutorService diskExecutor;
    /** Used on the disk thread only; null until open (or when it could not be opened). */
    private DiskBuffer disk;
    /** For the gauges and status, from any thread. */
    private volatile DiskBuffer openDisk;
    /** Set when the shutdown deadline passed during an export: its items were already counted as dropped. */
    private boolean abandoned;
    private boolean accepting = true;
    private boolean draining;
    /** A sink removed by a reload drains on its own thread and may be drained again at shutdown. */
    private boolean drained;
    private int attempt;
    private long notBeforeMillis;
    private ScheduledFuture<?> timer;
    private long timerAtMillis = Long.MAX_VALUE;
    private String lastFailure = "";

    private final SelfTelemetry.Counter received;
    private final SelfTelemetry.Counter receivedBytes;
    private final SelfTelemetry.Counter sent;
    private final SelfTelemetry.Counter sentBytes;
    private final SelfTelemetry.Counter retried;
    private final SelfTelemetry.Counter splits;
    private final Map<DropReason, SelfTelemetry.Counter> dropped = new EnumMap<>(DropReason.class);
    private final Map<DropReason, SelfTelemetry.Counter> droppedBytes = new EnumMap<>(DropReason.class);
    private final SelfTelemetry.Counter spilled;
    private final SelfTelemetry.Counter replayed;
    private final SelfTelemetry.Counter corrupt;

    public SinkRunner(String name, Sink sink, SinkOptions options, ScheduledExecutorService scheduler,
                      Executor exportExecutor, Clock clock, SelfTelemetry telemetry, PluginLog log) {
        this(name, sink, options, scheduler, exportExecutor, clock, telemetry, log, () -> { });
    }

    /**
     * @param credentialsRejected called (on an export thread, must not block) when the destination refuses the
     *                            credentials, so the agent re-reads them; the batch itself is kept and retried
     */
    public SinkRunner(String name, Sink sink, SinkOptions options, ScheduledExecutorService scheduler,
                      Executor exportExecutor, Clock clock, SelfTelemetry telemetry, PluginLog log,
                      Runnable credentialsRejected) {
        this.name = name;
        this.sink = sink;
        this.options = options;
        this.credentialsRejected = credentialsRejected;
        this.scheduler = scheduler;
        this.exportExecutor = exportExecutor;
        this.clock = clock;
        this.log = log;
        this.received = telemetry.counter("sink.received");
        this.receivedBytes = telemetry.counter("sink.received.bytes");
        this.sent = telemetry.counter("sink.sent");
        this.sentBytes = telemetry.counter("sink.sent.bytes");
        this.retried = telemetry.counter("sink.retried");
        this.splits = telemetry.counter("sink.batches.split");
        for (DropReason reason : DropReason.values()) {
            dropped.put(reason, telemetry.counter("sink.dropped", reason.tag()));
            droppedBytes.put(reason, telemetry.counter("sink.dropped.bytes", reason.tag()));
        }
        telemetry.gauge("sink.queue.bytes", () -> queuedBytes());
        telemetry.gauge("sink.queue.items", () -> queuedItems());
        this.diskOptions = options.diskBuffer();
        this.spilled = telemetry.counter("sink.disk_buffer.spilled");
        this.replayed = telemetry.counter("sink.disk_buffer.replayed");
        this.corrupt = telemetry.counter("sink.disk_buffer.corrupt");
        if (diskOptions.enabled()) {
            Path dir = diskOptions.path().orElseThrow();
            DiskBuffer.prepare(dir).ifPresent(why -> {
                throw new IllegalStateException("pilotfish.sinks." + name + "." + DiskBufferOptions.PATH_KEY + " = "
                        + dir + ": the directory " + why + ". Mount a writable volume there, or leave the key empty "
                        + "to keep the queue in memory only");
            });
            this.diskExecutor = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "pilotfish-disk-" + name);
                thread.setDaemon(true);
                return thread;
            });
            this.diskUnread = true;
            telemetry.gauge("sink.disk_buffer.bytes", () -> {
                DiskBuffer current = openDisk;
                return current == null ? 0 : current.bytes();
            });
            telemetry.gauge("sink.disk_buffer.items", () -> {
                DiskBuffer current = openDisk;
                return current == null ? 0 : current.unreadItems();
            });
            diskExecutor.execute(this::openDisk);
        } else {
            this.diskExecutor = null;
        }
    }

    // ------------------------------------------------------------------ disk buffer (disk thread)

    private void openDisk() {
        Path dir = diskOptions.path().orElseThrow();
        try {
            disk = DiskBuffer.open(dir, diskOptions.maxBytes(), new DiskEvents());
            openDisk = disk;
        } catch (IOException | RuntimeException e) {
            log.error("disk_open", "cannot open the disk buffer at " + dir + " (" + e
                    + "); the queue stays in memory only until the next start", e);
        }
        long waiting = disk == null ? 0 : disk.unreadItems();
        synchronized (this) {
            diskUnread = waiting > 0;
        }
        if (waiting > 0) {
            log.info("disk buffer " + dir + ": " + waiting + " items kept from before; they are sent first");
        }
        schedulePump(0);
    }

    /** What the disk buffer reports, counted and logged (rate-limited) under this sink's name. */
    private final class DiskEvents implements DiskBuffer.Listener {
        @Override
        public void droppedOldest(Path segment, long items, long bytes, String why) {
            drop(DropReason.DISK_FULL, items, bytes);
            log.warn("disk_full", "disk buffer " + diskOptions.path().orElseThrow() + " is full: " + why
                    + "; dropped its oldest segment (" + items + " unsent items). Raise pilotfish.sinks." + name + "."
                    + DiskBufferOptions.MAX_BYTES_KEY + " (now " + diskOptions.maxBytes()
                    + ") or give the volume more space");
        }

        @Override
        public void corrupt(Path segment, long offset, long bytes, String why) {
            corrupt.increment();
            log.warn("disk_corrupt", "disk buffer segment " + segment + " is unreadable from byte " + offset + " ("
                    + why + "); its remaining " + bytes + " bytes are skipped, the rest of the buffer is kept");
        }

        @Override
        public void refused(Path segment, String why) {
            log.warn("disk_version", "disk buffer segment " + segment + " " + why);
        }

        @Override
        public void ioFailure(String what, IOException e) {
            log.warn("disk_io", "disk buffer: " + what + " failed: " + e);
        }
    }

    /** Under the lock: asks the disk thread to write the oldest of the memory queue. */
    private void scheduleSpill() {
        if (spillScheduled || persisted) {
            return;
        }
        spillScheduled = true;
        try {
            diskExecutor.execute(this::spill);
        } catch (RejectedExecutionException e) {
            spillScheduled = false;
        }
    }

    /** On the disk thread: moves the head of the memory queue to disk until memory is under its budget again. */
    private void spill() {
        while (true) {
            List<Entry> chunk = new ArrayList<>();
            long chunkBytes = 0;
            synchronized (this) {
                long target = options.queueMaxBytes() - options.queueMaxBytes() / 8;
                while (!persisted && !queue.isEmpty() && heldBytes() - chunkBytes > target
                        && chunkBytes < SPILL_WINDOW) {
                    Entry entry = queue.pollFirst();
                    chunk.add(entry);
                    chunkBytes += entry.bytes;
                }
                if (chunk.isEmpty()) {
                    spillScheduled = false;
                    notifyAll();
                    return;
                }
                bufferedBytes -= chunkBytes;
                spillingBytes += chunkBytes;
                spillingItems += chunk.size();
            }
            List<DiskBuffer.Pending> pending = new ArrayList<>(chunk.size());
            for (Entry entry : chunk) {
                pending.add(new DiskBuffer.Pending(entry.signal, entry.enqueuedAtMillis));
            }
            List<DiskBuffer.Pending> refused = disk == null ? pending : disk.append(pending);
            long unread = disk == null ? 0 : disk.unreadItems();
            synchronized (this) {
                spillingBytes -= chunkBytes;
                spillingItems -= chunk.size();
                spilled.add(chunk.size() - refused.size());
                countRefused(refused, DropReason.QUEUE_FULL);
                diskUnread = unread > 0;
                notifyAll();
            }
            schedulePump(0);
        }
    }

    /** Under the lock: counts what the disk did not take; kinds without a codec get {@code otherwise}. */
    private void countRefused(List<DiskBuffer.Pending> refused, DropReason otherwise) {
        for (DiskBuffer.Pending item : refused) {
            int bytes = Math.max(1, item.signal().estimatedBytes());
            boolean storable = disk != null && DiskBuffer.storable(item.signal());
            drop(storable ? DropReason.DISK_FULL : otherwise, 1, bytes);
        }
        if (!refused.isEmpty() && disk != null && refused.stream().anyMatch(p -> DiskBuffer.storable(p.signal()))) {
            log.warn("disk_full", "disk buffer " + diskOptions.path().orElseThrow() + " could not take "
                    + refused.size() + " items (full, or a record larger than half of pilotfish.sinks." + name + "."
                    + DiskBufferOptions.MAX_BYTES_KEY + " = " + diskOptions.maxBytes() + "); they are dropped");
        } else if (!refused.isEmpty()) {
            log.warn("queue_full", "queue over its budget of " + options.queueMaxBytes() + " bytes, dropping the "
                    + "oldest data that the disk buffer cannot hold (no disk codec for its kind, or the buffer could "
                    + "not be opened)");
        }
    }

    /** Under the lock: asks the disk thread to read records back. */
    private void scheduleRead() {
        if (readScheduled || persisted || diskExecutor == null) {
            return;
        }
        readScheduled = true;
        try {
            diskExecutor.execute(this::readBack);
        } catch (RejectedExecutionException e) {
            readScheduled = false;
        }
    }

    /** On the disk thread: reads the oldest records back, up to {@link #READ_WINDOW} in memory. */
    private void readBack() {
        long room;
        int maxItems;
        synchronized (this) {
            readScheduled = false;
            room = READ_WINDOW - replayBytes;
            maxItems = options.batch().maxItems() * 2;
            if (room <= 0 || disk == null || persisted) {
                return;
            }
        }
        List<DiskBuffer.Stored> read = disk.read(room, maxItems);
        long unread = disk.unreadItems();
        synchronized (this) {
            for (DiskBuffer.Stored stored : read) {
                Entry entry = new Entry(stored.signal(), Math.max(1, stored.signal().estimatedBytes()),
                        stored.enqueuedAtMillis(), stored.end());
                replay.addLast(entry);
                replayBytes += entry.bytes;
                bufferedBytes += entry.bytes;
            }
            replayed.add(read.size());
            diskUnread = unread > 0;
            fitBudget();
            notifyAll();
        }
        schedulePump(0);
    }

    /** Under the lock: acknowledges, on disk, the records of a batch that is done with. */
    private void ackDisk(List<Entry> batch) {
        DiskBuffer.Position last = null;
        for (Entry entry : batch) {
            if (entry.origin != null && (last == null || entry.origin.compareTo(last) > 0)) {
                last = entry.origin;
            }
        }
        if (last == null || diskExecutor == null) {
            return;
        }
        DiskBuffer.Position position = last;
        try {
            diskExecutor.execute(() -> {
                if (disk != null) {
                    disk.ack(position);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopped: the stop wrote what was left
        }
    }

    /**
     * {@link #heldBytes} as last seen under the lock, for {@link #awaitRoom}'s answer without it: written wherever
     * the held bytes grow ({@link #fitBudget} follows every growth) and when an export ends.
     */
    private volatile long heldApprox;

    /** Under the lock: memory the queue holds now, data being sent and written included. */
    private long heldBytes() {
        return bufferedBytes + inFlightBytes + spillingBytes;
    }

    /**
     * Under the lock: over the budget, a disk buffer takes the oldest of the memory queue; past the budget plus its
     * scratch (or over the budget without one), the oldest data is dropped.
     */
    private void fitBudget() {
        long hardLimit = diskExecutor == null || persisted ? options.queueMaxBytes()
                : options.queueMaxBytes() + SPILL_WINDOW + READ_WINDOW;
        while (heldBytes() > hardLimit && evictOldest()) {
            // evictOldest counts each drop
        }
        if (diskExecutor != null && heldBytes() > options.queueMaxBytes()) {
            scheduleSpill();
        }
        heldApprox = heldBytes();
    }

    public String name() {
        return name;
    }

    /** Takes one signal; never blocks. Over budget, the oldest data not being sent right now is dropped. */
    public void offer(Signal signal) {
        int bytes = Math.max(1, signal.estimatedBytes());
        boolean pumpNow;
        long batchTimeoutMillis;
        synchronized (this) {
            batchTimeoutMillis = options.batchTimeout().toMillis();
            enqueue(signal, bytes, clock.millis());
            pumpNow = queue.size() >= options.batch().maxItems() || bufferedBytes >= options.batch().maxBytes();
        }
        if (pumpNow) {
            pump();
        } else {
            schedulePump(batchTimeoutMillis);
        }
    }

    /**
     * Takes several signals as {@link #offer} takes each, under one lock per batch's worth: a receiver that decodes a
     * burst (a frame of hundreds of log lines) hands it over at once instead of contending with the export for every
     * item. Where a batch is full the lock is let go and the export started, as one by one: a burst larger than the
     * queue is sent as it comes instead of pushing its own first items out.
     */
    public void offerAll(List<? extends Signal> signals) {
        int n = signals.size();
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = Math.max(1, signals.get(i).estimatedBytes()); // outside the lock: it walks the attributes
        }
        int next = 0;
        while (next < n) {
            boolean pumpNow;
            long batchTimeoutMillis;
            synchronized (this) {
                batchTimeoutMillis = options.batchTimeout().toMillis();
                long now = clock.millis();
                do {
                    enqueue(signals.get(next), sizes[next], now);
                    next++;
                    pumpNow = queue.size() >= options.batch().maxItems()
                            || bufferedBytes >= options.batch().maxBytes();
                } while (next < n && !pumpNow);
            }
            if (pumpNow) {
                pump();
            } else {
                schedulePump(batchTimeoutMillis);
            }
        }
    }

    /** One signal into the queue, or dropped and counted; the caller holds the lock. */
    private void enqueue(Signal signal, int bytes, long now) {
        received.increment();
        receivedBytes.add(bytes);
        if (!accepting) {
            drop(DropReason.SHUTDOWN, 1, bytes);
            return;
        }
        if (bytes > options.queueMaxBytes() || bytes > options.batch().maxBytes()) {
            drop(DropReason.TOO_LARGE, 1, bytes);
            return;
        }
        queue.addLast(new Entry(signal, bytes, now));
        bufferedBytes += bytes;
        fitBudget();
    }

    /**
     * Waits, at most until {@code deadlineNanos} ({@link System#nanoTime}), while the queue holds more than three
     * quarters of its budget and the destination is taking data (no failure since the last success). A collector that
     * emits a burst from its own thread calls this between parts of it, so a burst the destination can take is sent
     * instead of pushing the oldest of it out of the queue. Returns at once while exports fail: the queue then drops
     * the oldest data as usual, so a dead destination never holds a collector up.
     *
     * @return false when the deadline passed with the queue still that full
     */
    public boolean awaitRoom(long deadlineNanos) {
        if (heldApprox <= options.queueMaxBytes() / 4 * 3) {
            return true; // the common case, answered without the lock that offers and exports share
        }
        synchronized (this) {
            while (accepting && attempt == 0 && bufferedBytes + inFlightBytes > options.queueMaxBytes() / 4 * 3) {
                long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (leftMillis <= 0) {
                    return false;
                }
                if (inFlight.size() < exportLimit()) {
                    scheduler.execute(this::pump); // a full queue is a full batch: send it now
                }
                try {
                    wait(Math.min(leftMillis, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private boolean evictOldest() {
        List<Entry> oldestBatch = retries.isEmpty() ? null : retries.get(0).entries;
        Entry victim;
        if (oldestBatch != null) {
            victim = oldestBatch.remove(0);
            if (oldestBatch.isEmpty()) {
                retries.remove(0);
            }
        } else if (!replay.isEmpty()) {
            victim = replay.pollFirst();
            replayBytes -= victim.bytes;
        } else {
            victim = queue.pollFirst();
        }
        if (victim == null) {
            return false;
        }
        bufferedBytes -= victim.bytes;
        drop(DropReason.QUEUE_FULL, 1, victim.bytes);
        log.warn("queue_full", "queue over its budget of " + options.queueMaxBytes()
                + " bytes, dropping the oldest data" + (lastFailure.isEmpty() ? "" : "; last failure: " + lastFailure)
                + (diskExecutor == null ? ". Raise queue.max-bytes or check the destination"
                : ". The disk buffer does not keep up with the data; raise queue.max-bytes or check the destination"));
        return true;
    }

    private void drop(DropReason reason, long items, long bytes) {
        dropped.get(reason).add(items);
        droppedBytes.get(reason).add(bytes);
    }

    private static long bytesOf(List<Entry> entries) {
        long bytes = 0;
        for (Entry entry : entries) {
            bytes += entry.bytes;
        }
        return bytes;
    }

    private void schedulePump(long delayMillis) {
        long at = clock.millis() + Math.max(0, delayMillis);
        synchronized (this) {
            if (timer != null && !timer.isDone() && timerAtMillis <= at) {
                return;
            }
            if (timer != null) {
                timer.cancel(false);
            }
            timerAtMillis = at;
            timer = scheduler.schedule(this::pump, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
        }
    }

    /** Starts the next export if one is due; otherwise arranges to be called when it will be. */
    void pump() {
        while (true) {
            Taken batch;
            Sink target;
            Duration timeout;
            synchronized (this) {
                timerAtMillis = Long.MAX_VALUE;
                if (inFlight.size() >= exportLimit() || inFlight.stream().anyMatch(Taken::fromDisk)) {
                    return; // an export that ends pumps again
                }
                long now = clock.millis();
                if (now < notBeforeMillis) {
                    schedulePump(notBeforeMillis - now);
                    return;
                }
                batch = nextBatch(now);
                if (batch == null) {
                    notifyAll();
                    return;
                }
                bufferedBytes -= batch.bytes;
                inFlightBytes += batch.bytes;
                inFlightItems += batch.entries.size();
                inFlight.add(batch);
                target = sink;
                timeout = options.requestTimeout();
            }
            Taken toSend = batch;
            dispatch(() -> export(target, timeout, toSend));
        }
    }

    /** Exports not handed to the sink yet, in the order they were taken; guarded by itself. */
    private final ArrayDeque<Runnable> dispatchQueue = new ArrayDeque<>();
    private boolean dispatching;

    /**
     * Hands exports to the sink one call at a time, in the order they were taken, on the export executor: a sink with
     * several exports out then sees them in order (its export call encodes; the request itself is asynchronous).
     */
    private void dispatch(Runnable export) {
        synchronized (dispatchQueue) {
            dispatchQueue.addLast(export);
            if (dispatching) {
                return;
            }
            dispatching = true;
        }
        exportExecutor.execute(this::runDispatched);
    }

    private void runDispatched() {
        while (true) {
            Runnable next;
            synchronized (dispatchQueue) {
                next = dispatchQueue.pollFirst();
                if (next == null) {
                    dispatching = false;
                    return;
                }
            }
            next.run();
        }
    }

    /**
     * Under the lock: how many exports may be in flight now. One while the destination fails (the retry probes it),
     * while batches wait to be sent again (failed, or split: they go one by one, in order, before anything younger)
     * and while a replacement sink waits for the old one's exports to end.
     */
    private int exportLimit() {
        return attempt > 0 || !retries.isEmpty() || pendingSink != null ? 1 : options.exportsInFlight();
    }

    /** Under the lock: the next batch to send, taken out of the queue (its bytes still in bufferedBytes), or null. */
    private Taken nextBatch(long now) {
        Taken retry = retries.isEmpty() ? null : retries.remove(0);
        List<Entry> batch = retry == null ? null : retry.entries;
        if (batch == null && !replay.isEmpty()) {
            if (!inFlight.isEmpty()) {
                // What comes back from disk is acknowledged there by position: it is sent alone, in order.
                return null;
            }
            // Read back from disk: older than anything in the queue, and waited long enough already.
            batch = new ArrayList<>();
            long bytes = 0;
            while (!replay.isEmpty() && batch.size() < options.batch().maxItems()
                    && (batch.isEmpty() || bytes + replay.peekFirst().bytes <= options.batch().maxBytes())) {
                Entry entry = replay.pollFirst();
                bytes += entry.bytes;
                replayBytes -= entry.bytes;
                batch.add(entry);
            }
            if (diskUnread && replayBytes < READ_WINDOW / 2) {
                scheduleRead();
            }
        } else if (batch == null && diskExecutor != null && (diskUnread || spillingItems > 0)) {
            // The queue is newer than what is on disk (or on its way there): it waits. The read, or the write
            // that ends, pumps again.
            if (diskUnread) {
                scheduleRead();
            }
            return null;
        } else if (batch == null) {
            Entry oldest = queue.peekFirst();
            if (oldest == null) {
                return null;
            }
            boolean full = queue.size() >= options.batch().maxItems() || bufferedBytes >= options.batch().maxBytes();
            long waited = now - oldest.enqueuedAtMillis;
            if (!full && !draining && waited < options.batchTimeout().toMillis()) {
                schedulePump(options.batchTimeout().toMillis() - waited);
                return null;
            }
            batch = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < options.batch().maxItems()
                    && (batch.isEmpty() || bytes + queue.peekFirst().bytes <= options.batch().maxBytes())) {
                Entry entry = queue.pollFirst();
                bytes += entry.bytes;
                batch.add(entry);
            }
            // The batch's bytes stay in bufferedBytes until pump() moves them to in-flight.
        }
        long maxAgeMillis = options.maxAge().toMillis();
        int before = batch.size();
        long expiredBytes = 0;
        List<Entry> fresh = new ArrayList<>(batch.size());
        for (Entry entry : batch) {
            if (now - entry.enqueuedAtMillis > maxAgeMillis) {
                expiredBytes += entry.bytes;
            } else {
                fresh.add(entry);
            }
        }
        if (fresh.size() < before) {
            bufferedBytes -= expiredBytes;
            drop(DropReason.EXPIRED, before - fresh.size(), expiredBytes);
        }
        if (fresh.isEmpty()) {
            return nextBatch(now);
        }
        return new Taken(retry == null ? nextSequence++ : retry.sequence, fresh, bytesOf(fresh));
    }

    private void export(Sink target, Duration timeout, Taken batch) {
        List<Signal> signals = new ArrayList<>(batch.entries.size());
        for (Entry entry : batch.entries) {
            signals.add(entry.signal);
        }
        CompletableFuture<ExportResult> result;
        try {
            result = target.export(signals).toCompletableFuture()
                    .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((outcome, error) -> {
            ExportResult classified = outcome;
            if (error != null) {
                classified = new ExportResult.Retryable(describe(error));
            } else if (outcome == null) {
                classified = new ExportResult.Retryable("sink returned no result");
            }
            complete(batch, classified);
        });
    }

    private static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && (root instanceof java.util.concurrent.CompletionException
                || root instanceof java.util.concurrent.ExecutionException)) {
            root = root.getCause();
        }
        if (root instanceof TimeoutException) {
            return "request timed out";
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    private void complete(Taken taken, ExportResult outcome) {
        long delay = 0;
        boolean askForCredentials = false;
        Sink retired = null;
        List<Entry> batch = taken.entries;
        synchronized (this) {
            if (!inFlight.removeIf(other -> other == taken)) {
                // Abandoned at the shutdown deadline: already counted as dropped, or written to disk.
                notifyAll();
                return;
            }
            inFlightBytes -= taken.bytes;
            inFlightItems -= batch.size();
            heldApprox = heldBytes();
            if (inFlight.isEmpty()) {
                retired = swapIfPending();
            }
            switch (outcome) {
                case ExportResult.Success success -> {
                    sent.add(batch.size());
                    sentBytes.add(bytesOf(batch));
                    ackDisk(batch);
                    // An export that was out together with a failed one does not cancel that one's backoff (or the
                    // destination's Retry-After); the failed batch's own success does.
                    if (retries.isEmpty() || attempt == 0) {
                        attempt = 0;
                        notBeforeMillis = 0;
                        lastFailure = "";
                    }
                }
                case ExportResult.Retryable retry -> {
                    delay = retryLater(taken, retry.reason(), retry.retryAfter());
                    log.warn("retry", "export failed (" + retry.reason() + "), retrying "
                            + batch.size() + " items in " + delay + " ms");
                }
                case ExportResult.CredentialsRejected refused -> {
                    // Not the data's fault: keep it for the re-read (rotated) key instead of dropping it.
                    delay = retryLater(taken, refused.reason(), Optional.empty());
                    askForCredentials = true;
                }
                case ExportResult.Permanent rejected -> {
                    drop(DropReason.REJECTED, batch.size(), bytesOf(batch));
                    ackDisk(batch);
                    lastFailure = rejected.reason();
                    log.warn("rejected", "destination rejected " + batch.size() + " items: "
                            + rejected.reason());
                }
                case ExportResult.TooLarge tooLarge -> {
                    if (batch.size() == 1) {
                        drop(DropReason.TOO_LARGE, 1, batch.get(0).bytes);
                        ackDisk(batch);
                        log.warn("too_large", "one item is larger than the destination accepts ("
                                + tooLarge.reason() + "); dropped");
                    } else {
                        splits.increment();
                        int half = batch.size() / 2;
                        List<Entry> first = new ArrayList<>(batch.subList(0, half));
                        List<Entry> second = new ArrayList<>(batch.subList(half, batch.size()));
                        retryInOrder(new Taken(taken.sequence, second, bytesOf(second)));
                        retryInOrder(new Taken(taken.sequence, first, bytesOf(first)));
                        // The halves are queued again: their bytes count against the budget until they are sent.
                        // Data that arrived during the export may have filled the queue: oldest goes first.
                        bufferedBytes += bytesOf(batch);
                        fitBudget();
                    }
                }
            }
            notifyAll();
        }
        closeRetired(retired);
        if (askForCredentials) {
            credentialsRejected.run();
        }
        if (delay == 0) {
            // The next batch goes out from here, not through a timer thread: one thread hand-off less per batch,
            // which is most of the gap between two exports on a busy core. pump() only takes the batch and hands the
            // export to the export executor.
            pump();
        } else {
            schedulePump(delay);
        }
    }

    /**
     * Takes a new sink instance and its options (a reload changed the sink's settings) while keeping the queue, the
     * retries and the accounting: nothing queued is lost. An export in flight finishes on the old instance, which is
     * closed after it; the next export uses the new one. A smaller queue budget drops the oldest data, counted.
     */
    public void replace(Sink next, SinkOptions nextOptions) {
        Sink superseded = null;
        Sink retired = null;
        synchronized (this) {
            if (pendingSink != null && pendingSink != next) {
                superseded = pendingSink; // two reloads during one export: the first replacement never ran
            }
            pendingSink = next;
            pendingOptions = nextOptions;
            if (inFlight.isEmpty()) {
                retired = swapIfPending();
            }
        }
        closeRetired(superseded);
        closeRetired(retired);
        retryNow();
    }

    /** Under the lock: installs a pending replacement; returns the instance it replaced, to close outside. */
    private Sink swapIfPending() {
        if (pendingSink == null) {
            return null;
        }
        Sink old = sink;
        sink = pendingSink;
        options = pendingOptions;
        pendingSink = null;
        pendingOptions = null;
        if (!options.diskBuffer().equals(diskOptions)) {
            log.warn("disk_buffer_reload", "the disk-buffer settings changed; they apply at the next start (the "
                    + "buffer " + diskOptions.path().map(Path::toString).orElse("(none)") + " stays as it is)");
        }
        fitBudget(); // a smaller budget: oldest data goes first, counted
        return old;
    }

    private void closeRetired(Sink retired) {
        if (retired == null) {
            return;
        }
        try {
            retired.close();
        } catch (Exception e) {
            log.error("close", "closing the replaced sink instance failed", e);
        }
    }

    /**
     * Forgets the current backoff and sends what is waiting now: the settings that made exports fail (a rejected key,
     * a wrong site) have just changed.
     */
    public void retryNow() {
        synchronized (this) {
            attempt = 0;
            notBeforeMillis = 0;
        }
        schedulePump(0);
    }

    /** Under the lock: puts the batch back first in line and returns the delay before the next attempt. */
    private long retryLater(Taken taken, String reason, Optional<Duration> retryAfter) {
        List<Entry> batch = taken.entries;
        attempt++;
        retried.add(batch.size());
        lastFailure = reason;
        long delay = retryAfter.map(Duration::toMillis).map(ms -> Math.min(ms, options.maxBackoff().toMillis()))
                .orElseGet(this::backoffMillis);
        if (draining) {
            delay = Math.min(delay, 1000); // during shutdown a long backoff would only waste the deadline
        }
        // Several exports out may fail together: the longest wait asked for holds.
        notBeforeMillis = Math.max(notBeforeMillis, clock.millis() + delay);
        requeue(taken);
        return delay;
    }

    private void requeue(Taken batch) {
        retryInOrder(batch);
        bufferedBytes += batch.bytes;
        fitBudget(); // over budget while failing: to disk, or the oldest data goes
    }

    /** Under the lock: puts a batch among the retries before every batch taken after it (and its later half). */
    private void retryInOrder(Taken batch) {
        int at = 0;
        while (at < retries.size() && retries.get(at).sequence < batch.sequence) {
            at++;
        }
        retries.add(at, batch);
    }

    private long backoffMillis() {
        long base = options.initialBackoff().toMillis();
        long max = options.maxBackoff().toMillis();
        long exp = base << Math.min(attempt - 1, 20);
        long capped = Math.min(Math.max(exp, base), max);
        // Jitter between half and the full delay, so a fleet of tasks does not retry in step.
        return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    }

    public synchronized long queuedBytes() {
        return heldBytes();
    }

    /** Items waiting, retried or being sent: with {@link #queuedBytes}, what is neither sent nor dropped yet. */
    public synchronized long queuedItems() {
        return waitingItems() + inFlightItems;
    }

    private long waitingItems() {
        long items = queue.size() + replay.size() + spillingItems;
        for (Taken batch : retries) {
            items += batch.entries.size();
        }
        return items;
    }

    /** The last failure reason, empty after a success. */
    public synchronized String lastFailure() {
        return lastFailure;
    }

    /**
     * Stops taking data and sends what is queued, retrying as allowed, until everything is sent or the deadline
     * passes; what is left then is dropped and counted. With a disk buffer, sending stops a little earlier
     * ({@link #PERSIST_RESERVE_MILLIS}) and what is left is written to disk instead, to be sent first at the next
     * start; only what the disk refuses is dropped. Blocks the calling (shutdown) thread only.
     *
     * @return the number of items dropped at the deadline
     */
    public long drain(long deadlineMillis) {
        long sendUntil;
        synchronized (this) {
            if (drained) {
                return 0;
            }
            accepting = false;
            draining = true;
            // During shutdown a long backoff would only waste the deadline.
            notBeforeMillis = Math.min(notBeforeMillis, clock.millis());
            long now = clock.millis();
            sendUntil = diskExecutor == null ? deadlineMillis
                    : deadlineMillis - Math.min(PERSIST_RESERVE_MILLIS, Math.max(0, deadlineMillis - now) / 4);
        }
        pump();
        synchronized (this) {
            while (!inFlight.isEmpty() || !queue.isEmpty() || !retries.isEmpty() || !replay.isEmpty()
                    || (diskExecutor != null && (diskUnread || spillingItems > 0))) {
                long left = sendUntil - clock.millis();
                if (left <= 0) {
                    break;
                }
                try {
                    wait(Math.min(left, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (inFlight.isEmpty()) {
                    scheduler.execute(this::pump);
                }
            }
        }
        if (diskExecutor != null) {
            Future<Long> persist;
            try {
                persist = diskExecutor.submit(this::persistAtStop);
            } catch (RejectedExecutionException e) {
                persist = null;
            }
            if (persist != null) {
                try {
                    // The disk thread finishes a write in progress first; then this is what is left to write.
                    long wait = Math.max(0, deadlineMillis - clock.millis()) + PERSIST_RESERVE_MILLIS * 2;
                    return persist.get(wait, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    log.warn("disk_stop", "writing the queue to the disk buffer did not finish in time; what it had "
                            + "not written is lost");
                    return 0;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 0;
                } catch (ExecutionException e) {
                    log.error("disk_stop", "writing the queue to the disk buffer failed", e.getCause());
                }
            }
        }
        synchronized (this) {
            return dropLeft(DropReason.SHUTDOWN);
        }
    }

    /** Under the lock: drops everything still held, counted, and ends the drain. */
    private long dropLeft(DropReason reason) {
        long left = waitingItems() - spillingItems;
        long leftBytes = bufferedBytes;
        if (!inFlight.isEmpty()) {
            abandoned = true;
            left += inFlightItems;
            leftBytes += inFlightBytes;
        }
        if (left > 0) {
            drop(reason, left, leftBytes);
            queue.clear();
            retries.clear();
            replay.clear();
            replayBytes = 0;
            bufferedBytes = 0;
            if (abandoned) {
                inFlightBytes = 0;
                inFlightItems = 0;
                inFlight.clear();
            }
        }
        if (timer != null) {
            timer.cancel(false);
        }
        drained = true;
        return left;
    }

    /**
     * On the disk thread, at the stop: writes what memory still holds to disk, in order, and closes the buffer. A batch
     * being sent is written too (its export is abandoned): if it still succeeds before the process ends, it is sent
     * again at the next start.
     *
     * @return the items dropped (what the disk refused, and kinds without a codec)
     */
    private long persistAtStop() {
        List<Entry> before = new ArrayList<>();
        List<Entry> after;
        synchronized (this) {
            if (disk == null || drained) {
                return dropLeft(DropReason.SHUTDOWN);
            }
            persisted = true;
            // Batches being sent and batches to retry, in the order they were first taken (a split's first half, in
            // flight, before its second).
            List<Taken> taken = new ArrayList<>(inFlight);
            taken.addAll(retries);
            taken.sort(java.util.Comparator.comparingLong(Taken::sequence));
            if (!inFlight.isEmpty()) {
                abandoned = true;
                inFlightBytes = 0;
                inFlightItems = 0;
                inFlight.clear();
            }
            for (Taken batch : taken) {
                before.addAll(batch.entries);
            }
            before.addAll(replay);
            after = new ArrayList<>(queue);
            queue.clear();
            retries.clear();
            replay.clear();
            replayBytes = 0;
            bufferedBytes = 0;
            if (timer != null) {
                timer.cancel(false);
            }
            drained = true;
        }
        List<DiskBuffer.Pending> beforePending = pending(before);
        List<DiskBuffer.Pending> afterPending = pending(after);
        List<DiskBuffer.Pending> refused = disk.persist(beforePending, afterPending);
        java.util.Set<DiskBuffer.Pending> refusedSet = java.util.Collections.newSetFromMap(
                new java.util.IdentityHashMap<>());
        refusedSet.addAll(refused);
        long kept = before.size() + after.size() - refused.size();
        // Counted as spilled: what goes to disk for the first time (a record read back is rewritten, not new).
        long fresh = 0;
        for (int i = 0; i < before.size(); i++) {
            if (before.get(i).origin == null && !refusedSet.contains(beforePending.get(i))) {
                fresh++;
            }
        }
        for (DiskBuffer.Pending item : afterPending) {
            if (!refusedSet.contains(item)) {
                fresh++;
            }
        }
        synchronized (this) {
            spilled.add(fresh);
            for (DiskBuffer.Pending item : refused) {
                drop(DiskBuffer.storable(item.signal()) ? DropReason.DISK_FULL : DropReason.SHUTDOWN, 1,
                        Math.max(1, item.signal().estimatedBytes()));
            }
            notifyAll();
        }
        if (kept > 0) {
            log.info("wrote " + kept + " unsent items to the disk buffer " + disk.dir() + "; they are sent first at "
                    + "the next start");
        }
        return refused.size();
    }

    private static List<DiskBuffer.Pending> pending(List<Entry> entries) {
        List<DiskBuffer.Pending> out = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            out.add(new DiskBuffer.Pending(entry.signal, entry.enqueuedAtMillis));
        }
        return out;
    }

    /** The disk buffer, when this sink has one. */
    public Optional<DiskBufferView> diskBuffer() {
        if (diskExecutor == null) {
            return Optional.empty();
        }
        DiskBuffer current = openDisk;
        return Optional.of(new DiskBufferView(diskOptions.path().orElseThrow(), diskOptions.maxBytes(),
                current == null ? 0 : current.bytes(), current == null ? 0 : current.unreadItems(), current != null));
    }

    public void close() {
        Sink current;
        Sink pending;
        synchronized (this) {
            current = sink;
            pending = pendingSink;
            pendingSink = null;
        }
        closeRetired(pending);
        try {
            current.close();
        } catch (Exception e) {
            log.error("close", "close failed", e);
        }
        if (diskExecutor != null) {
            try {
                diskExecutor.execute(() -> {
                    if (disk != null) {
                        disk.close();
                    }
                });
            } catch (RejectedExecutionException e) {
                // already closed
            }
            diskExecutor.shutdown();
            try {
                diskExecutor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
