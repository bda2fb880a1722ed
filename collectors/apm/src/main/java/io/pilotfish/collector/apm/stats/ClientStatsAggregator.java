package io.pilotfish.collector.apm.stats;

import io.pilotfish.spi.trace.ApmStats;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trace-agent's {@code ClientStatsAggregator}: stats that tracers computed themselves ({@code /v0.6/stats}),
 * merged per 2 s window so that a service with many tracer instances sends one point per group per window.
 *
 * <ul>
 *   <li>Each tracer bucket goes to the window of its start, aligned on odd seconds ({@code 2k + 1} s, never on the
 *       concentrator's 10 s boundaries, so agent- and tracer-computed counts never share a timestamp); a start before
 *       the oldest open window goes to that one, a start in the future to the current one.</li>
 *   <li>Within a window, groups are merged by payload key (env, hostname, version, container, git commit, image tag,
 *       language, service) and group key (service, name, resource, type, span kind, HTTP status, synthetics, peer
 *       tags, trace root, gRPC status, HTTP method and endpoint): counts added, latency sketches merged in the agent's
 *       mapping. A group seen once keeps its tracer's sketch bytes untouched.</li>
 *   <li>{@link #flush} sends windows older than 18 s (all with {@code force}) as 10 s buckets, with
 *       {@code clientComputed} set.</li>
 * </ul>
 *
 * <p>Memory is bounded by a heap budget: a tracer group that would make a new group over it is dropped and counted;
 * an unreadable sketch is counted and left out of the merge, as the Agent leaves it. Thread-safe.
 */
public final class ClientStatsAggregator {

    static final long WINDOW_NANOS = 2_000_000_000L;
    static final long OUTPUT_BUCKET_NANOS = 10_000_000_000L;
    static final long OLDEST_WINDOW_NANOS = 20_000_000_000L;
    /** A window's own objects. */
    private static final int WINDOW_BYTES = 128;

    private final StatsClock clock;
    private final HeapBudget budget;
    private final TreeMap<Long, Window> windows = new TreeMap<>();
    private long oldestTs;

    private long groupsAggregated;
    private long groupsDroppedOverMemory;
    private long sketchesUnreadable;

    /** @param maxHeapBytes the estimated heap the open windows may take */
    public ClientStatsAggregator(StatsClock clock, long maxHeapBytes) {
        if (maxHeapBytes < StatsConfig.MIN_MAX_HEAP_BYTES) {
            throw new IllegalArgumentException("maxHeapBytes must be at least " + StatsConfig.MIN_MAX_HEAP_BYTES
                    + ", got " + maxHeapBytes);
        }
        this.clock = clock;
        this.budget = new HeapBudget(maxHeapBytes);
        this.oldestTs = alignWindow(clock.epochNanos() + WINDOW_NANOS - OLDEST_WINDOW_NANOS);
    }

    /** Aggregates one tracer payload, prepared with {@link ClientStats#prepare}. */
    public synchronized void add(ApmStats payload) {
        long now = clock.epochNanos();
        PayloadKey payloadKey = new PayloadKey(payload.env(), payload.hostname(), payload.version(),
                payload.containerId(), payload.gitCommitSha(), payload.imageTag(), payload.lang(), payload.service());
        for (ApmStats.Bucket bucket : payload.buckets()) {
            long ts = windowOf(now, bucket.start());
            Window window = windows.get(ts);
            if (window == null) {
                window = new Window(ts);
                windows.put(ts, window);
                budget.charge(WINDOW_BYTES);
                window.charged += WINDOW_BYTES;
            }
            if (!payload.containerId().isEmpty() && !payload.tags().isEmpty()
                    && window.containerTags.putIfAbsent(payload.containerId(), payload.tags()) == null) {
                long bytes = 0;
                for (String tag : payload.tags()) {
                    bytes += HeapBudget.REFERENCE + HeapBudget.stringBytes(tag);
                }
                budget.charge(bytes);
                window.charged += bytes;
            }
            for (ApmStats.Group group : bucket.groups()) {
                aggregate(window, payloadKey, group);
            }
        }
    }

    private void aggregate(Window window, PayloadKey payloadKey, ApmStats.Group group) {
        List<String> peerTags = group.peerTags().isEmpty() ? List.of()
                : group.peerTags().stream().sorted().toList();
        GroupKey key = new GroupKey(group.service(), group.name(), group.resource(), group.type(), group.spanKind(),
                group.httpStatusCode(), group.synthetics(), peerTags, group.isTraceRoot(), group.grpcStatusCode(),
                group.httpMethod(), group.httpEndpoint());
        Map<GroupKey, Merged> groups = window.payloads.get(payloadKey);
        Merged merged = groups == null ? null : groups.get(key);
        if (merged == null) {
            long cost = key.heapBytes() + 2L * HeapBudget.BYTES + group.okSummary().length
                    + group.errorSummary().length + (groups == null ? payloadKey.heapBytes() : 0);
            if (!budget.tryCharge(cost)) {
                groupsDroppedOverMemory++;
                return;
            }
            window.charged += cost;
            if (groups == null) {
                groups = new LinkedHashMap<>();
                window.payloads.put(payloadKey, groups);
            }
            groups.put(key, new Merged(group));
        } else {
            merged.add(group);
        }
        groupsAggregated++;
    }

    /**
     * The windows old enough to send (or all with {@code force}, at shutdown), removed: one {@link ApmStats} per
     * window and payload key, with {@code clientComputed} set.
     */
    public synchronized List<ApmStats> flush(boolean force) {
        long flushBefore = alignWindow(clock.epochNanos() + WINDOW_NANOS - OLDEST_WINDOW_NANOS);
        List<ApmStats> out = new ArrayList<>();
        Iterator<Window> it = windows.values().iterator();
        while (it.hasNext()) {
            Window window = it.next();
            if (!force && window.start >= flushBefore) {
                break; // in time order: the rest are newer
            }
            it.remove();
            long released = window.charged;
            for (Map.Entry<PayloadKey, Map<GroupKey, Merged>> e : window.payloads.entrySet()) {
                List<ApmStats.Group> groups = new ArrayList<>(e.getValue().size());
                for (Map.Entry<GroupKey, Merged> g : e.getValue().entrySet()) {
                    groups.add(g.getValue().export(g.getKey()));
                    released += g.getValue().heapBytes();
                }
                PayloadKey k = e.getKey();
                ApmStats.Bucket bucket = new ApmStats.Bucket(window.start, OUTPUT_BUCKET_NANOS, groups, 0);
                out.add(new ApmStats(k.hostname(), k.env(), k.version(), List.of(bucket), k.lang(), "", "", 0, "",
                        k.baseService(), k.containerId(), window.containerTags.get(k.containerId()),
                        k.gitCommitSha(), k.imageTag(), true));
            }
            budget.release(released);
        }
        oldestTs = flushBefore;
        return out;
    }

    /** What it merged and dropped since it started, and the heap its open windows take. */
    public synchronized Counters counters() {
        Map<StatsDropReason, Long> dropped = new EnumMap<>(StatsDropReason.class);
        dropped.put(StatsDropReason.MEMORY_LIMIT, groupsDroppedOverMemory);
        dropped.put(StatsDropReason.SKETCH_UNREADABLE, sketchesUnreadable);
        return new Counters(groupsAggregated, dropped, windows.size(), budget.used());
    }

    /**
     * @param groupsAggregated tracer groups merged into a window
     * @param dropped          groups (memory) and sketches (unreadable) left out, by reason
     * @param openWindows      windows waiting to be flushed
     * @param heapBytes        the estimated heap of those windows
     */
    public record Counters(long groupsAggregated, Map<StatsDropReason, Long> dropped, int openWindows,
                           long heapBytes) {

        public Counters {
            dropped = Map.copyOf(dropped);
        }
    }

    /** The window a tracer bucket starting at {@code start} goes to. */
    private long windowOf(long now, long start) {
        if (start < oldestTs) {
            return oldestTs;
        }
        if (start > now) {
            return alignWindow(now);
        }
        return alignWindow(start);
    }

    /** {@code t} truncated to 2 s, plus 1 s: the odd seconds no concentrator bucket starts on. */
    static long alignWindow(long t) {
        return t - Math.floorMod(t, WINDOW_NANOS) + 1_000_000_000L;
    }

    /** One 2 s window: merged groups by payload key, and the tags of the containers seen in it. */
    private static final class Window {
        final long start;
        final Map<PayloadKey, Map<GroupKey, Merged>> payloads = new LinkedHashMap<>();
        final Map<String, List<String>> containerTags = new LinkedHashMap<>(2);
        long charged;

        Window(long start) {
            this.start = start;
        }
    }

    /**
     * One group's merged figures. The first tracer group's sketches stay as bytes; a second one makes both sketches
     * decoded, converted to the agent's mapping and merged, as the Agent does.
     */
    private final class Merged {
        private final List<String> peerTags;
        private long hits;
        private long topLevelHits;
        private long errors;
        private long duration;
        private byte[] okRaw;
        private byte[] errorRaw;
        private DDSketch ok;
        private DDSketch error;

        Merged(ApmStats.Group first) {
            peerTags = first.peerTags();
            hits = first.hits();
            topLevelHits = first.topLevelHits();
            errors = first.errors();
            duration = first.duration();
            okRaw = first.okSummary();
            errorRaw = first.errorSummary();
        }

        void add(ApmStats.Group group) {
            // uint64 counters: two's complement addition wraps as Go's does.
            hits += group.hits();
            topLevelHits += group.topLevelHits();
            errors += group.errors();
            duration += group.duration();
            if (okRaw.length > 0) {
                ok = decode(okRaw, budget);
                okRaw = EMPTY;
            }
            if (errorRaw.length > 0) {
                error = decode(errorRaw, budget);
                errorRaw = EMPTY;
            }
            ok = merge(ok, group.okSummary());
            error = merge(error, group.errorSummary());
        }

        private DDSketch merge(DDSketch into, byte[] raw) {
            if (raw.length == 0) {
                return into;
            }
            // Kept, it is charged to the budget; merged and dropped, it is not.
            DDSketch other = decode(raw, into == null ? budget : HeapBudget.unlimited());
            if (other == null) {
                return into;
            }
            if (into == null) {
                return other;
            }
            into.mergeWith(other);
            return into;
        }

        private DDSketch decode(byte[] raw, HeapBudget charged) {
            try {
                return DDSketch.decodeToAgent(raw, charged);
            } catch (SketchFormatException e) {
                sketchesUnreadable++;
                return null;
            }
        }

        long heapBytes() {
            return (ok == null ? 0 : ok.heapBytes()) + (error == null ? 0 : error.heapBytes());
        }

        ApmStats.Group export(GroupKey k) {
            byte[] okSummary = ok != null ? ok.encode() : okRaw;
            byte[] errorSummary = error != null ? error.encode() : errorRaw;
            return new ApmStats.Group(k.service(), k.name(), k.resource(), k.httpStatusCode(), k.type(), "", hits,
                    errors, duration, okSummary, errorSummary, k.synthetics(), topLevelHits, k.spanKind(), peerTags,
                    k.isTraceRoot(), k.grpcStatusCode(), k.httpMethod(), k.httpEndpoint());
        }
    }

    private static final byte[] EMPTY = new byte[0];
}
