package io.pilotfish.core.pipeline;

import io.pilotfish.core.config.SinkOptions;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Everything between the collectors and one sink: a queue bounded in bytes, batching by count, bytes and time, one
 * export at a time, retries with exponential backoff and jitter (or the destination's {@code Retry-After}),
 * splitting of batches the destination finds too large, and draining within a deadline at shutdown. Every item is
 * accounted for: received, sent, retried, or dropped with a reason.
 *
 * <p>All state is guarded by {@code this}; exports run on {@code exportExecutor}, timers on {@code scheduler}.
 * Neither ever waits on the other.
 */
public final class SinkRunner {

    private record Entry(Signal signal, int bytes, long enqueuedAtMillis) {
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
    /** Batches that failed or were split, oldest first; they go before anything in {@link #queue}. */
    private final ArrayDeque<List<Entry>> retries = new ArrayDeque<>();
    private long bufferedBytes;
    private long inFlightBytes;
    private int inFlightItems;
    /** Set when the shutdown deadline passed during an export: its items were already counted as dropped. */
    private boolean abandoned;
    private boolean exporting;
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
     * Takes several signals as {@link #offer} takes each, under one lock: a receiver that decodes a burst (a frame
     * of hundreds of log lines) hands it over at once instead of contending with the export for every item.
     */
    public void offerAll(List<? extends Signal> signals) {
        if (signals.isEmpty()) {
            return;
        }
        int[] sizes = new int[signals.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Math.max(1, signals.get(i).estimatedBytes()); // outside the lock: it walks the attributes
        }
        boolean pumpNow;
        long batchTimeoutMillis;
        synchronized (this) {
            batchTimeoutMillis = options.batchTimeout().toMillis();
            long now = clock.millis();
            for (int i = 0; i < sizes.length; i++) {
                enqueue(signals.get(i), sizes[i], now);
            }
            pumpNow = queue.size() >= options.batch().maxItems() || bufferedBytes >= options.batch().maxBytes();
        }
        if (pumpNow) {
            pump();
        } else {
            schedulePump(batchTimeoutMillis);
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
        while (bufferedBytes + inFlightBytes > options.queueMaxBytes() && evictOldest()) {
            // evictOldest counts each drop
        }
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
        synchronized (this) {
            while (accepting && attempt == 0 && bufferedBytes + inFlightBytes > options.queueMaxBytes() / 4 * 3) {
                long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (leftMillis <= 0) {
                    return false;
                }
                if (!exporting) {
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
        List<Entry> oldestBatch = retries.peekFirst();
        Entry victim;
        if (oldestBatch != null) {
            victim = oldestBatch.remove(0);
            if (oldestBatch.isEmpty()) {
                retries.pollFirst();
            }
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
                + ". Raise queue.max-bytes or check the destination");
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
        List<Entry> batch;
        synchronized (this) {
            timerAtMillis = Long.MAX_VALUE;
            if (exporting) {
                return;
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
            exporting = true;
            long bytes = bytesOf(batch);
            bufferedBytes -= bytes;
            inFlightBytes = bytes;
            inFlightItems = batch.size();
        }
        List<Entry> toSend = batch;
        Sink target;
        Duration timeout;
        synchronized (this) {
            target = sink;
            timeout = options.requestTimeout();
        }
        exportExecutor.execute(() -> export(target, timeout, toSend));
    }

    private List<Entry> nextBatch(long now) {
        List<Entry> batch = retries.pollFirst();
        if (batch == null) {
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
        return fresh.isEmpty() ? nextBatch(now) : fresh;
    }

    private void export(Sink target, Duration timeout, List<Entry> batch) {
        List<Signal> signals = new ArrayList<>(batch.size());
        for (Entry entry : batch) {
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

    private void complete(List<Entry> batch, ExportResult outcome) {
        long delay = 0;
        boolean askForCredentials = false;
        Sink retired = null;
        synchronized (this) {
            exporting = false;
            inFlightBytes = 0;
            inFlightItems = 0;
            if (abandoned) {
                notifyAll();
                return;
            }
            retired = swapIfPending();
            switch (outcome) {
                case ExportResult.Success success -> {
                    sent.add(batch.size());
                    sentBytes.add(bytesOf(batch));
                    attempt = 0;
                    notBeforeMillis = 0;
                    lastFailure = "";
                }
                case ExportResult.Retryable retry -> {
                    delay = retryLater(batch, retry.reason(), retry.retryAfter());
                    log.warn("retry", "export failed (" + retry.reason() + "), retrying "
                            + batch.size() + " items in " + delay + " ms");
                }
                case ExportResult.CredentialsRejected refused -> {
                    // Not the data's fault: keep it for the re-read (rotated) key instead of dropping it.
                    delay = retryLater(batch, refused.reason(), Optional.empty());
                    askForCredentials = true;
                }
                case ExportResult.Permanent rejected -> {
                    drop(DropReason.REJECTED, batch.size(), bytesOf(batch));
                    lastFailure = rejected.reason();
                    log.warn("rejected", "destination rejected " + batch.size() + " items: "
                            + rejected.reason());
                }
                case ExportResult.TooLarge tooLarge -> {
                    if (batch.size() == 1) {
                        drop(DropReason.TOO_LARGE, 1, batch.get(0).bytes);
                        log.warn("too_large", "one item is larger than the destination accepts ("
                                + tooLarge.reason() + "); dropped");
                    } else {
                        splits.increment();
                        int half = batch.size() / 2;
                        retries.addFirst(new ArrayList<>(batch.subList(half, batch.size())));
                        retries.addFirst(new ArrayList<>(batch.subList(0, half)));
                        // The halves are queued again: their bytes count against the budget until they are sent.
                        bufferedBytes += bytesOf(batch);
                        while (bufferedBytes > options.queueMaxBytes() && evictOldest()) {
                            // data that arrived during the export may have filled the queue: oldest goes first
                        }
                    }
                }
            }
            notifyAll();
        }
        closeRetired(retired);
        if (askForCredentials) {
            credentialsRejected.run();
        }
        schedulePump(delay);
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
            if (!exporting) {
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
        while (bufferedBytes + inFlightBytes > options.queueMaxBytes() && evictOldest()) {
            // the new budget is smaller: oldest data goes first, counted
        }
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
    private long retryLater(List<Entry> batch, String reason, Optional<Duration> retryAfter) {
        attempt++;
        retried.add(batch.size());
        lastFailure = reason;
        long delay = retryAfter.map(Duration::toMillis).map(ms -> Math.min(ms, options.maxBackoff().toMillis()))
                .orElseGet(this::backoffMillis);
        if (draining) {
            delay = Math.min(delay, 1000); // during shutdown a long backoff would only waste the deadline
        }
        notBeforeMillis = clock.millis() + delay;
        requeue(batch);
        return delay;
    }

    private void requeue(List<Entry> batch) {
        retries.addFirst(new ArrayList<>(batch));
        bufferedBytes += bytesOf(batch);
        while (bufferedBytes > options.queueMaxBytes() && evictOldest()) {
            // over budget while failing: oldest data goes first
        }
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
        return bufferedBytes + inFlightBytes;
    }

    /** Items waiting, retried or being sent: with {@link #queuedBytes}, what is neither sent nor dropped yet. */
    public synchronized long queuedItems() {
        return waitingItems() + inFlightItems;
    }

    private long waitingItems() {
        long items = queue.size();
        for (List<Entry> batch : retries) {
            items += batch.size();
        }
        return items;
    }

    /** The last failure reason, empty after a success. */
    public synchronized String lastFailure() {
        return lastFailure;
    }

    /**
     * Stops taking data and sends what is queued, retrying as allowed, until everything is sent or the deadline
     * passes; what is left then is dropped and counted. Blocks the calling (shutdown) thread only.
     *
     * @return the number of items dropped at the deadline
     */
    public long drain(long deadlineMillis) {
        synchronized (this) {
            if (drained) {
                return 0;
            }
            accepting = false;
            draining = true;
            // During shutdown a long backoff would only waste the deadline.
            notBeforeMillis = Math.min(notBeforeMillis, clock.millis());
        }
        pump();
        synchronized (this) {
            while (exporting || !queue.isEmpty() || !retries.isEmpty()) {
                long left = deadlineMillis - clock.millis();
                if (left <= 0) {
                    break;
                }
                try {
                    wait(Math.min(left, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (!exporting) {
                    scheduler.execute(this::pump);
                }
            }
            long left = waitingItems();
            long leftBytes = bufferedBytes;
            if (exporting) {
                abandoned = true;
                left += inFlightItems;
                leftBytes += inFlightBytes;
            }
            if (left > 0) {
                drop(DropReason.SHUTDOWN, left, leftBytes);
                queue.clear();
                retries.clear();
                bufferedBytes = 0;
                if (abandoned) {
                    inFlightBytes = 0;
                    inFlightItems = 0;
                }
            }
            if (timer != null) {
                timer.cancel(false);
            }
            drained = true;
            return left;
        }
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
    }
}
