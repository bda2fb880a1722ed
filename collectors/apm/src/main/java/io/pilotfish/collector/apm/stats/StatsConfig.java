package io.pilotfish.collector.apm.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the concentrator computes stats, defaults as in the newest Agent.
 *
 * @param agentEnv               the env of spans whose payload has none ({@code DD_ENV}, the Agent's {@code none}
 *                               otherwise); never empty
 * @param agentHostname          the hostname of spans whose payload has none
 * @param bucketNanos            the bucket size: 10 s
 * @param bufferLen              buckets kept before a bucket is flushed: 2 (the current one and the one before)
 * @param computeStatsBySpanKind stats for every span of kind server, consumer, client or producer, top-level or not
 *                               ({@code DD_APM_COMPUTE_STATS_BY_SPAN_KIND}, on by default)
 * @param peerTagsAggregation    group client, producer and consumer spans by their peer tags
 *                               ({@code DD_APM_PEER_TAGS_AGGREGATION}, on by default)
 * @param extraPeerTags          peer tag keys to add to the Agent's ({@code DD_APM_PEER_TAGS})
 * @param containerIdDimension   group by the tracer's container id (the Agent's default; its feature
 *                               {@code disable_cid_stats} turns it off)
 * @param maxHeapBytes           the estimated heap the buckets may take; spans that would make a group over it are
 *                               dropped and counted
 */
public record StatsConfig(String agentEnv, String agentHostname, long bucketNanos, int bufferLen,
                          boolean computeStatsBySpanKind, boolean peerTagsAggregation, List<String> extraPeerTags,
                          boolean containerIdDimension, long maxHeapBytes) {

    public static final long DEFAULT_BUCKET_NANOS = 10_000_000_000L;
    public static final int DEFAULT_BUFFER_LEN = 2;
    /** Room for some 16,000 groups of typical size: far more than one task's services make in 30 s. */
    public static final long DEFAULT_MAX_HEAP_BYTES = 16L << 20;
    /** Below this a single group with its sketch might not fit. */
    public static final long MIN_MAX_HEAP_BYTES = 64L << 10;

    public StatsConfig {
        Objects.requireNonNull(agentEnv, "agentEnv");
        if (agentEnv.isEmpty()) {
            throw new IllegalArgumentException("agentEnv must not be empty: the Agent's default is \"none\"");
        }
        agentHostname = agentHostname == null ? "" : agentHostname;
        if (bucketNanos < 1_000_000L) {
            throw new IllegalArgumentException("bucketNanos must be at least 1 ms, got " + bucketNanos);
        }
        if (bufferLen < 1) {
            throw new IllegalArgumentException("bufferLen must be at least 1, got " + bufferLen);
        }
        extraPeerTags = extraPeerTags == null ? List.of() : List.copyOf(extraPeerTags);
        for (String key : extraPeerTags) {
            if (key.isEmpty()) {
                throw new IllegalArgumentException("a peer tag key must not be empty");
            }
        }
        if (maxHeapBytes < MIN_MAX_HEAP_BYTES) {
            throw new IllegalArgumentException("maxHeapBytes must be at least " + MIN_MAX_HEAP_BYTES + ", got "
                    + maxHeapBytes);
        }
    }

    /** The Agent's defaults for the given env and hostname. */
    public static StatsConfig defaults(String agentEnv, String agentHostname) {
        return new StatsConfig(agentEnv, agentHostname, DEFAULT_BUCKET_NANOS, DEFAULT_BUFFER_LEN, true, true, List.of(),
                true, DEFAULT_MAX_HEAP_BYTES);
    }

    public StatsConfig withPeerTagsAggregation(boolean on, List<String> extra) {
        return new StatsConfig(agentEnv, agentHostname, bucketNanos, bufferLen, computeStatsBySpanKind, on, extra,
                containerIdDimension, maxHeapBytes);
    }

    public StatsConfig withComputeStatsBySpanKind(boolean on) {
        return new StatsConfig(agentEnv, agentHostname, bucketNanos, bufferLen, on, peerTagsAggregation,
                extraPeerTags, containerIdDimension, maxHeapBytes);
    }

    public StatsConfig withMaxHeapBytes(long bytes) {
        return new StatsConfig(agentEnv, agentHostname, bucketNanos, bufferLen, computeStatsBySpanKind,
                peerTagsAggregation, extraPeerTags, containerIdDimension, bytes);
    }

    /** The peer tag keys spans are grouped by: the Agent's and the extra ones, sorted, none when aggregation is off. */
    public List<String> peerTagKeys() {
        if (!peerTagsAggregation) {
            return List.of();
        }
        List<String> keys = new ArrayList<>(PeerTags.DEFAULT_KEYS);
        keys.addAll(extraPeerTags);
        return keys.stream().distinct().sorted().toList();
    }
}
