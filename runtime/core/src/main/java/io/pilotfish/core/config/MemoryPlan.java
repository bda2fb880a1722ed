package io.pilotfish.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the heap is shared: what the agent itself needs, what each collector holds at most (its ring, aggregator and
 * caches, {@link io.pilotfish.spi.PluginFactory#memoryBytes}), the queue budgets users set, and an equal share of
 * the rest for every sink that did not set one. An OutOfMemoryError ends the sidecar for the rest of the task's life,
 * so a configuration whose budgets cannot fit together is refused at start with the numbers, never found out during
 * an outage.
 */
public final class MemoryPlan {

    /**
     * The agent's own live heap: 10 MiB idle (measured, bench/RESULTS.md), plus a request body per sink being encoded
     * and compressed while the queues are full.
     */
    public static final long RESERVED_BYTES = 16L * 1024 * 1024;
    /** A sink without a budget of its own gets an equal share of what is left, up to this. */
    public static final long MAX_SHARED_QUEUE_BYTES = SinkOptions.DEFAULT_QUEUE_BYTES;
    /** Below this a shared queue would not hold one full batch of most sinks: refuse instead. */
    public static final long MIN_SHARED_QUEUE_BYTES = 1024 * 1024;

    private final long heapBytes;
    private final Map<String, Long> collectors = new LinkedHashMap<>();
    private final Map<String, Long> fixedSinks = new LinkedHashMap<>();
    private final List<String> sharedSinks = new ArrayList<>();

    public MemoryPlan(long heapBytes) {
        this.heapBytes = heapBytes;
    }

    public void collector(String key, long bytes) {
        collectors.put(key, bytes);
    }

    /** A sink whose {@code queue.max-bytes} the user set. */
    public void fixedSink(String key, long queueBytes) {
        fixedSinks.put(key, queueBytes);
    }

    /** A sink that takes its share of what is left. */
    public void sharedSink(String name) {
        sharedSinks.add(name);
    }

    /** What each sharing sink gets; 0 when none shares. */
    public long sharedQueueBytes() {
        if (sharedSinks.isEmpty()) {
            return 0;
        }
        return Math.min(MAX_SHARED_QUEUE_BYTES, Math.max(0, left()) / sharedSinks.size());
    }

    private long left() {
        long used = RESERVED_BYTES;
        for (long bytes : collectors.values()) {
            used += bytes;
        }
        for (long bytes : fixedSinks.values()) {
            used += bytes;
        }
        return heapBytes - used;
    }

    /** Whether every budget fits the heap, with at least the minimum share for each sharing sink. */
    public boolean fits() {
        long left = left();
        return left >= 0 && (sharedSinks.isEmpty() || left / sharedSinks.size() >= MIN_SHARED_QUEUE_BYTES);
    }

    /** The numbers, for the refusal: every budget by its key, and what the heap has. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        long needed = RESERVED_BYTES + (long) sharedSinks.size() * MIN_SHARED_QUEUE_BYTES;
        out.append("the agent itself ").append(mib(RESERVED_BYTES));
        for (Map.Entry<String, Long> entry : collectors.entrySet()) {
            out.append(", ").append(entry.getKey()).append(' ').append(mib(entry.getValue()));
            needed += entry.getValue();
        }
        for (Map.Entry<String, Long> entry : fixedSinks.entrySet()) {
            out.append(", ").append(entry.getKey()).append(' ').append(mib(entry.getValue()));
            needed += entry.getValue();
        }
        if (!sharedSinks.isEmpty()) {
            out.append(", at least ").append(mib(MIN_SHARED_QUEUE_BYTES)).append(" for the queue of each of ")
                    .append(String.join(", ", sharedSinks));
        }
        return "the memory budgets need " + mib(needed) + " but the heap is " + mib(heapBytes) + " (" + out + ")";
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
