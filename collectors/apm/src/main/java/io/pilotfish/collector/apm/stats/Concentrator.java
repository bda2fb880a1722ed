package io.pilotfish.collector.apm.stats;

import io.pilotfish.collector.apm.normalize.SpanFlags;
import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.Span;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * The trace-agent's concentrator ({@code pkg/trace/stats}): APM stats computed from the spans of payloads whose tracer
 * did not compute them, before sampling, so that hits and latencies count every span.
 *
 * <ul>
 *   <li>Spans counted: top-level ({@code _top_level} or {@code _dd.top_level} = 1), measured ({@code _dd.measured} =
 *       1), or (by default) of kind server, consumer, client or producer; never partial snapshots.</li>
 *   <li>Each span counts {@code weight} times, the inverse of its root's {@code _sample_rate}, in the 10 s bucket of
 *       its end time. A bucket older than the oldest one still open counts in that one; one in the future counts in
 *       the current one (the newest Agent's clamp).</li>
 *   <li>Grouped by payload (env, hostname, version, container, git commit, image tag, language, base service) and by
 *       service, name, resource, type, span kind, HTTP status, synthetics origin, peer tags, trace root and gRPC
 *       status; each group has hits, errors, top-level hits, total duration and DDSketches of the ok and error
 *       durations (truncated to 10 bits of mantissa, as the Agent does).</li>
 *   <li>{@link #flush} returns the buckets at least {@code bufferLen} buckets old (all with {@code force}), one
 *       {@link ApmStats} per payload key; fractional weighted counts are rounded at random, as the Agent rounds them.
 *       </li>
 * </ul>
 *
 * <p>Memory is bounded: the groups and their sketches are charged to a heap budget ({@link StatsConfig#maxHeapBytes});
 * a span that would make a new group over it is dropped and counted, and a sketch refused room to grow collapses its
 * lowest bins instead. Thread-safe: adds and flushes take one lock, as the Agent's do.
 */
public final class Concentrator {

    /** A bucket's own objects: its map and entry. */
    private static final int BUCKET_BYTES = 128;
    /** The sketch store the first duration of a group makes. */
    private static final int FIRST_SKETCH_BYTES = 8 * 64;

    private final StatsConfig config;
    private final StatsClock clock;
    private final RandomGenerator random;
    private final PeerTags peerTags;
    private final long bucketNanos;
    private final HeapBudget budget;
    private final TreeMap<Long, Bucket> buckets = new TreeMap<>();
    /** Spans ending before this bucket count in it: buckets already flushed never reopen. */
    private long oldestTs;

    private long spansAggregated;
    private long spansDroppedOverMemory;
    private long futureBucketClamps;

    /**
     * @param random draws the random rounding of weighted counts; tests pass a seeded one
     */
    public Concentrator(StatsConfig config, StatsClock clock, RandomGenerator random) {
        this.config = config;
        this.clock = clock;
        this.random = random;
        this.peerTags = new PeerTags(config.peerTagKeys());
        this.bucketNanos = config.bucketNanos();
        this.budget = new HeapBudget(config.maxHeapBytes());
        // At start only the current bucket is open: a restarted agent never reopens one it may have sent.
        this.oldestTs = align(clock.epochNanos());
    }

    /**
     * The weight of a chunk's spans: the inverse of its root's {@code _sample_rate} when that is in (0, 1], else 1.
     */
    public static double weight(Span root) {
        if (root == null) {
            return 1;
        }
        Double rate = root.metrics().get("_sample_rate");
        if (rate == null || !(rate > 0 && rate <= 1)) {
            return 1;
        }
        return 1 / rate;
    }

    /**
     * The root of a chunk as the Agent picks it ({@code GetRoot}): the last span without a parent, else the first
     * span whose parent is not in the chunk, else the last span.
     */
    public static Span root(List<Span> spans) {
        for (int i = spans.size() - 1; i >= 0; i--) {
            if (spans.get(i).parentId() == 0) {
                return spans.get(i);
            }
        }
        Set<Long> ids = new HashSet<>(spans.size() * 2);
        for (Span span : spans) {
            ids.add(span.spanId());
        }
        for (Span span : spans) {
            if (!ids.contains(span.parentId())) {
                return span;
            }
        }
        return spans.get(spans.size() - 1);
    }

    /**
     * Counts the eligible spans of one chunk.
     *
     * @param source where the chunk's payload comes from
     * @param spans  the chunk's spans, normalised, with {@code _top_level} set
     * @param origin the chunk's origin ({@code synthetics...} marks synthetic traffic)
     * @param root   the chunk's root ({@link #root}), whose {@code _sample_rate} weighs the spans and whose
     *               {@code _dd.base_service} joins the payload key
     */
    public synchronized void add(StatsSource source, List<Span> spans, String origin, Span root) {
        String baseService = root == null ? "" : root.meta().getOrDefault(PeerTags.BASE_SERVICE, "");
        PayloadKey payload = new PayloadKey(
                source.env().isEmpty() ? config.agentEnv() : source.env(),
                source.hostname().isEmpty() ? config.agentHostname() : source.hostname(),
                source.version(),
                config.containerIdDimension() ? source.containerId() : "",
                source.gitCommitSha(), source.imageTag(), source.lang(), baseService);
        double weight = weight(root);
        boolean synthetics = origin != null && origin.startsWith("synthetics");
        long now = clock.epochNanos();
        for (Span span : spans) {
            if (!SpanFlags.isStatsEligible(span, config.computeStatsBySpanKind())) {
                continue;
            }
            long end = span.start() + span.duration();
            long bucketStart = Math.max(align(end), oldestTs);
            if (bucketStart > now) {
                // A skewed tracer clock would otherwise keep a bucket in memory until the wall clock reaches it.
                futureBucketClamps++;
                bucketStart = Math.max(align(now), oldestTs);
            }
            Bucket bucket = buckets.get(bucketStart);
            if (bucket == null) {
                bucket = new Bucket(bucketStart);
                buckets.put(bucketStart, bucket);
                budget.charge(BUCKET_BYTES);
                bucket.charged += BUCKET_BYTES;
            }
            if (!payload.containerId().isEmpty() && !source.containerTags().isEmpty()
                    && bucket.containerTags.put(payload.containerId(), source.containerTags()) == null) {
                long bytes = tagBytes(source.containerTags());
                budget.charge(bytes);
                bucket.charged += bytes;
            }
            GroupKey key = keyOf(span, synthetics);
            Map<GroupKey, GroupStats> groups = bucket.payloads.get(payload);
            GroupStats group = groups == null ? null : groups.get(key);
            if (group == null) {
                long cost = key.heapBytes() + (groups == null ? payload.heapBytes() : 0);
                if (!budget.tryCharge(cost + FIRST_SKETCH_BYTES)) {
                    spansDroppedOverMemory++;
                    continue;
                }
                budget.release(FIRST_SKETCH_BYTES); // reserved for the sketch, which charges it when made
                bucket.charged += cost;
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                    bucket.payloads.put(payload, groups);
                }
                group = new GroupStats(budget);
                groups.put(key, group);
            }
            group.add(span, weight, SpanFlags.isTopLevel(span));
            spansAggregated++;
        }
    }

    /**
     * The buckets old enough to send ({@code bufferLen} buckets behind the clock's), or all with {@code force} (at
     * shutdown), removed: one {@link ApmStats} per payload key, its buckets oldest first.
     */
    public synchronized List<ApmStats> flush(boolean force) {
        long now = clock.epochNanos();
        long flushBefore = now - (long) config.bufferLen() * bucketNanos;
        Map<PayloadKey, List<ApmStats.Bucket>> byPayload = new LinkedHashMap<>();
        Map<String, List<String>> containerTags = new LinkedHashMap<>();
        Iterator<Bucket> it = buckets.values().iterator();
        while (it.hasNext()) {
            Bucket bucket = it.next();
            if (!force && bucket.start > flushBefore) {
                break; // buckets are in time order: the rest are newer
            }
            it.remove();
            long released = bucket.charged;
            for (Map.Entry<PayloadKey, Map<GroupKey, GroupStats>> e : bucket.payloads.entrySet()) {
                List<ApmStats.Group> groups = new ArrayList<>(e.getValue().size());
                for (Map.Entry<GroupKey, GroupStats> g : e.getValue().entrySet()) {
                    groups.add(g.getValue().export(g.getKey(), random));
                    released += g.getValue().heapBytes();
                }
                byPayload.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                        .add(new ApmStats.Bucket(bucket.start, bucketNanos, groups, 0));
            }
            containerTags.putAll(bucket.containerTags);
            budget.release(released);
        }
        long newOldest = align(now) - (long) (config.bufferLen() - 1) * bucketNanos;
        if (newOldest > oldestTs) {
            oldestTs = newOldest;
        }
        List<ApmStats> out = new ArrayList<>(byPayload.size());
        for (Map.Entry<PayloadKey, List<ApmStats.Bucket>> e : byPayload.entrySet()) {
            PayloadKey k = e.getKey();
            out.add(new ApmStats(k.hostname(), k.env(), k.version(), e.getValue(), k.lang(), "", "", 0, "",
                    k.baseService(), k.containerId(), containerTags.get(k.containerId()), k.gitCommitSha(),
                    k.imageTag(), false));
        }
        return out;
    }

    /** What it counted and dropped since it started, and the heap its open buckets take. */
    public synchronized Counters counters() {
        Map<StatsDropReason, Long> dropped = new EnumMap<>(StatsDropReason.class);
        dropped.put(StatsDropReason.MEMORY_LIMIT, spansDroppedOverMemory);
        return new Counters(spansAggregated, dropped, futureBucketClamps, buckets.size(), budget.used());
    }

    /**
     * @param spansAggregated    spans counted into a group
     * @param spansDropped       spans not counted, by reason
     * @param futureBucketClamps spans ending in the future, counted in the current bucket
     * @param openBuckets        buckets waiting to be flushed
     * @param heapBytes          the estimated heap of those buckets
     */
    public record Counters(long spansAggregated, Map<StatsDropReason, Long> spansDropped, long futureBucketClamps,
                           int openBuckets, long heapBytes) {

        public Counters {
            spansDropped = Map.copyOf(spansDropped);
        }
    }

    private GroupKey keyOf(Span span, boolean synthetics) {
        Map<String, String> meta = span.meta();
        String spanKind = meta.getOrDefault(SpanFlags.SPAN_KIND, "");
        return new GroupKey(span.service(), span.name(), span.resource(), span.type(), spanKind,
                StatusCodes.http(meta, span.metrics()), synthetics, peerTags.of(meta, spanKind),
                span.parentId() == 0 ? GroupKey.TRACE_ROOT_TRUE : GroupKey.TRACE_ROOT_FALSE,
                StatusCodes.grpc(meta, span.metrics()), "", "");
    }

    /** The start of the bucket of {@code ts}, truncated as Go truncates ({@code ts - ts % size}). */
    private long align(long ts) {
        return ts - ts % bucketNanos;
    }

    private static long tagBytes(List<String> tags) {
        long bytes = 0;
        for (String tag : tags) {
            bytes += HeapBudget.REFERENCE + HeapBudget.stringBytes(tag);
        }
        return bytes;
    }

    /** One time bucket: its groups by payload key, and the tags of the containers seen in it. */
    private static final class Bucket {
        final long start;
        final Map<PayloadKey, Map<GroupKey, GroupStats>> payloads = new LinkedHashMap<>();
        final Map<String, List<String>> containerTags = new LinkedHashMap<>(2);
        long charged;

        Bucket(long start) {
            this.start = start;
        }
    }

    /** The weighted counts and latency sketches of one group. */
    static final class GroupStats {

        private final HeapBudget budget;
        private double hits;
        private double topLevelHits;
        private double errors;
        private double duration;
        private DDSketch ok;
        private DDSketch err;

        GroupStats(HeapBudget budget) {
            this.budget = budget;
        }

        void add(Span span, double weight, boolean topLevel) {
            if (topLevel) {
                topLevelHits += weight;
            }
            hits += weight;
            boolean error = span.error() != 0;
            if (error) {
                errors += weight;
            }
            duration += (double) span.duration() * weight;
            double value = truncatedDuration(span.duration());
            if (error) {
                if (err == null) {
                    err = DDSketch.forAgent(budget);
                }
                err.add(value);
            } else {
                if (ok == null) {
                    ok = DDSketch.forAgent(budget);
                }
                ok.add(value);
            }
        }

        long heapBytes() {
            return (ok == null ? 0 : ok.heapBytes()) + (err == null ? 0 : err.heapBytes());
        }

        ApmStats.Group export(GroupKey k, RandomGenerator random) {
            byte[] okSummary = ok == null ? DDSketch.emptyEncoding() : ok.encode();
            byte[] errorSummary = err == null ? DDSketch.emptyEncoding() : err.encode();
            return new ApmStats.Group(k.service(), k.name(), k.resource(), k.httpStatusCode(), k.type(), "",
                    round(hits, random), round(errors, random), round(duration, random), okSummary, errorSummary,
                    k.synthetics(), round(topLevelHits, random), k.spanKind(), k.peerTags(), k.isTraceRoot(),
                    k.grpcStatusCode(), k.httpMethod(), k.httpEndpoint());
        }
    }

    /**
     * A duration in nanoseconds as a double with 10 bits of mantissa (within 1/1024), so that the sketch's bins are
     * not split by noise below its accuracy: the Agent's {@code nsTimestampToFloat}.
     */
    static double truncatedDuration(long nanos) {
        return Double.longBitsToDouble(Double.doubleToRawLongBits((double) nanos) & 0xFFFFF80000000000L);
    }

    /** Rounds down or up at random, up with the probability of the fraction: the Agent's unbiased rounding. */
    static long round(double f, RandomGenerator random) {
        long i = (long) f;
        if (random.nextDouble() < f - i) {
            i++;
        }
        return i;
    }
}
