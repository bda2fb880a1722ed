package io.pilotfish.core.config;

import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.SinkFactory;
import java.time.Duration;

/**
 * The platform's settings around every sink: queue budget, batching, retries and request timeout.
 *
 * @param queueMaxBytes      the queue budget; beyond it the oldest data is dropped and counted
 * @param batch              most items and estimated bytes per export
 * @param batchTimeout       how long the first item of a batch may wait for more
 * @param initialBackoff     first retry delay (doubled each attempt, with jitter)
 * @param maxBackoff         longest retry delay, and the cap on a destination's {@code Retry-After}
 * @param maxAge             data older than this is dropped instead of retried (the intake rejects it anyway)
 * @param requestTimeout     an export that takes longer counts as a retryable failure
 * @param diskBuffer         where the queue continues on disk, if anywhere ({@code disk-buffer.*})
 * @param exportsInFlight    how many exports may be out at once while the destination takes them
 *                           ({@code exports-in-flight}; the sink type's default, 1 for most): with one, a sink
 *                           sends a batch per round trip to its destination, in order; with more, a sink that keeps
 *                           order itself ({@code SinkFactory#exportsInFlight}) encodes the next batch while one is
 *                           out, and any other may see its batches arrive out of order
 */
public record SinkOptions(long queueMaxBytes, BatchLimits batch, Duration batchTimeout, Duration initialBackoff,
                          Duration maxBackoff, Duration maxAge, Duration requestTimeout,
                          DiskBufferOptions diskBuffer, int exportsInFlight) {

    public static final int MAX_EXPORTS_IN_FLIGHT = SinkFactory.MAX_EXPORTS_IN_FLIGHT;

    public SinkOptions {
        diskBuffer = diskBuffer == null ? DiskBufferOptions.OFF : diskBuffer;
        if (exportsInFlight < 1 || exportsInFlight > MAX_EXPORTS_IN_FLIGHT) {
            throw new IllegalArgumentException("exports-in-flight must be 1 to " + MAX_EXPORTS_IN_FLIGHT + ", not "
                    + exportsInFlight);
        }
    }

    /** One export at a time. */
    public SinkOptions(long queueMaxBytes, BatchLimits batch, Duration batchTimeout, Duration initialBackoff,
                       Duration maxBackoff, Duration maxAge, Duration requestTimeout, DiskBufferOptions diskBuffer) {
        this(queueMaxBytes, batch, batchTimeout, initialBackoff, maxBackoff, maxAge, requestTimeout, diskBuffer, 1);
    }

    /** Without a disk buffer. */
    public SinkOptions(long queueMaxBytes, BatchLimits batch, Duration batchTimeout, Duration initialBackoff,
                       Duration maxBackoff, Duration maxAge, Duration requestTimeout) {
        this(queueMaxBytes, batch, batchTimeout, initialBackoff, maxBackoff, maxAge, requestTimeout,
                DiskBufferOptions.OFF);
    }

    /** The same options with another queue budget and batch limits (the memory plan's share). */
    public SinkOptions withQueue(long newQueueMaxBytes, BatchLimits newBatch) {
        return new SinkOptions(newQueueMaxBytes, newBatch, batchTimeout, initialBackoff, maxBackoff, maxAge,
                requestTimeout, diskBuffer, exportsInFlight);
    }

    public static final long DEFAULT_QUEUE_BYTES = 32L * 1024 * 1024;
    private static final long MIN_QUEUE_BYTES = 64 * 1024;

    public static SinkOptions defaults(BatchLimits batch) {
        return new SinkOptions(defaultQueueBytes(Runtime.getRuntime().maxMemory()), batch, Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(15));
    }

    /**
     * The queue budget of a sink that does not set one: 32 MiB, or an eighth of the heap when that is smaller, so
     * that every sink of a small sidecar heap can fill its queue during an outage without running the agent out of
     * memory.
     */
    public static long defaultQueueBytes(long maxHeapBytes) {
        return Math.max(MIN_QUEUE_BYTES, Math.min(DEFAULT_QUEUE_BYTES, maxHeapBytes / 8));
    }

    private static void atLeast(PluginConfig config, String key, Duration value, Duration minimum) {
        if (value.compareTo(minimum) < 0) {
            config.problem(key, "expected at least " + (minimum.toMillis() % 1000 == 0 ? minimum.toSeconds() + "s"
                    : minimum.toMillis() + "ms"));
        }
    }

    /** Reads the platform's keys of one sink instance, one export at a time unless {@code exports-in-flight} says. */
    public static SinkOptions read(PluginConfig config, BatchLimits pluginLimits) {
        return read(config, pluginLimits, 1);
    }

    /**
     * Reads the platform's keys of one sink instance; the plugin's own keys are left for its factory.
     *
     * @param pluginExportsInFlight the sink type's default for {@code exports-in-flight}
     */
    public static SinkOptions read(PluginConfig config, BatchLimits pluginLimits, int pluginExportsInFlight) {
        SinkOptions d = defaults(pluginLimits);
        long queueBytes = config.number("queue.max-bytes", d.queueMaxBytes, MIN_QUEUE_BYTES, 4L * 1024 * 1024 * 1024);
        long maxItems = config.number("batch.max-items", pluginLimits.maxItems(), 1, pluginLimits.maxItems());
        // A batch must fit in the queue: by default it takes at most half of it.
        long defaultBatchBytes = Math.min(pluginLimits.maxBytes(), Math.max(1024, queueBytes / 2));
        long maxBytes = config.number("batch.max-bytes", defaultBatchBytes, 1024, pluginLimits.maxBytes());
        Duration timeout = config.duration("batch.timeout", d.batchTimeout);
        Duration initial = config.duration("retry.initial-backoff", d.initialBackoff);
        Duration max = config.duration("retry.max-backoff", d.maxBackoff);
        Duration maxAge = config.duration("retry.max-age", d.maxAge);
        Duration request = config.duration("request-timeout", d.requestTimeout);
        // Lower bounds: a zero batch timeout or backoff turns every offer or failure into a busy loop.
        atLeast(config, "batch.timeout", timeout, Duration.ofMillis(10));
        atLeast(config, "retry.initial-backoff", initial, Duration.ofMillis(10));
        atLeast(config, "retry.max-backoff", max, Duration.ofMillis(10));
        atLeast(config, "retry.max-age", maxAge, Duration.ofSeconds(1));
        if (initial.compareTo(max) > 0) {
            config.problem("retry.initial-backoff", "must not be longer than retry.max-backoff (" + max + ")");
        }
        if (request.isZero()) {
            config.problem("request-timeout", "must be longer than zero");
        } else {
            atLeast(config, "request-timeout", request, Duration.ofMillis(100));
        }
        if (maxBytes > queueBytes) {
            config.problem("batch.max-bytes", "must not exceed queue.max-bytes (" + queueBytes + ")");
        }
        DiskBufferOptions disk = DiskBufferOptions.read(config);
        int inFlight = (int) config.number("exports-in-flight",
                Math.max(1, Math.min(MAX_EXPORTS_IN_FLIGHT, pluginExportsInFlight)), 1, MAX_EXPORTS_IN_FLIGHT);
        return new SinkOptions(queueBytes, new BatchLimits((int) maxItems, maxBytes), timeout, initial, max, maxAge,
                request, disk, inFlight);
    }
}
