package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rare sampler ({@code DD_APM_ENABLE_RARE_SAMPLER}, off by default): keeps a chunk the priority sampler would
 * drop when one of its top-level or measured spans has a combination of (env, service, name, resource, error,
 * HTTP status, error type) not seen in a kept chunk lately, at most 5 such chunks a second (burst 50). A
 * combination is "seen" for 10 minutes after a kept (priority > 0) chunk and for the 5-minute cooldown after the
 * rare sampler kept one. The span that made the difference gets {@code _dd.rare = 1}.
 *
 * <p>Memory: combinations are kept per (env, service) shard, at most {@code cardinality} (200) per shard, folded
 * together beyond that as in the Agent; shards are capped at {@link #MAX_SHARDS}, least recently used out first
 * (the Agent does not cap them).
 */
final class RareSampler {

    static final int MAX_SHARDS = 512;
    static final int BURST = 50;
    private static final long PRIORITY_TTL_NANOS = 10 * 60 * 1_000_000_000L;
    /** A stored expiry is only pushed back when it moves by at least this much. */
    private static final long RENEWAL_NANOS = 60 * 1_000_000_000L;

    private final boolean enabled;
    private final TokenBucket limiter;
    private final long cooldownNanos;
    private final long priorityTtlNanos;
    private final int cardinality;
    private final LinkedHashMap<Long, SeenSpans> shards = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, SeenSpans> eldest) {
            return size() > MAX_SHARDS;
        }
    };
    private long hits;
    private long misses;
    private long shrinks;

    RareSampler(SamplingConfig config) {
        this.enabled = config.rareSamplerEnabled();
        this.limiter = new TokenBucket(config.rareSamplerTps(), BURST);
        this.cooldownNanos = config.rareSamplerCooldown().toNanos();
        this.priorityTtlNanos = Math.max(PRIORITY_TTL_NANOS, cooldownNanos);
        this.cardinality = config.rareSamplerCardinality();
    }

    /**
     * Whether the chunk is rare. Kept chunks (priority > 0) are only remembered; the Agent runs this before any other
     * sampler so they are.
     */
    synchronized boolean sample(long nowNanos, ChunkDraft chunk, boolean hasPriority, int priority, String env) {
        if (!enabled) {
            return false;
        }
        String shardEnv = env == null ? "" : env;
        if (hasPriority && priority > 0) {
            remember(nowNanos + priorityTtlNanos, chunk, shardEnv);
            return false;
        }
        boolean sampled = false;
        for (int i = 0; i < chunk.spans.size() && !sampled; i++) {
            if (considered(chunk, i)) {
                sampled = sampleSpan(nowNanos, chunk, i, shardEnv);
            }
        }
        if (sampled) {
            remember(nowNanos + cooldownNanos, chunk, shardEnv);
        }
        return sampled;
    }

    private static boolean considered(ChunkDraft chunk, int span) {
        return chunk.isFlagSet(span, SamplingKeys.TOP_LEVEL) || chunk.isFlagSet(span, SamplingKeys.MEASURED);
    }

    private void remember(long expiry, ChunkDraft chunk, String env) {
        for (int i = 0; i < chunk.spans.size(); i++) {
            if (considered(chunk, i)) {
                shard(env, chunk.spans.get(i)).add(expiry, chunk.spans.get(i));
            }
        }
    }

    private boolean sampleSpan(long nowNanos, ChunkDraft chunk, int index, String env) {
        Span span = chunk.spans.get(index);
        SeenSpans seen = shard(env, span);
        int hash = seen.sign(span);
        if (seen.contains(hash) && nowNanos <= seen.expiry(hash)) {
            return false;
        }
        if (!limiter.tryTake(nowNanos)) {
            misses++;
            return false;
        }
        seen.add(nowNanos + cooldownNanos, span);
        hits++;
        chunk.setMetric(index, SamplingKeys.RARE, 1);
        return true;
    }

    private SeenSpans shard(String env, Span span) {
        // the Agent's shard key is (env, service) hashed in that order
        long key = Signatures.pair(env, span.service());
        SeenSpans seen = shards.get(key);
        if (seen == null) {
            seen = new SeenSpans(cardinality);
            shards.put(key, seen);
        }
        return seen;
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    synchronized long shrinks() {
        return shrinks;
    }

    synchronized int shards() {
        return shards.size();
    }

    synchronized int largestShard() {
        int max = 0;
        for (SeenSpans s : shards.values()) {
            max = Math.max(max, s.size);
        }
        return max;
    }

    /**
     * Span hashes and their expiries for one shard: an open-addressing table sized for {@code cardinality} entries,
     * never grown. Beyond the cardinality every hash is folded modulo the cardinality, so at most that many remain.
     */
    final class SeenSpans {

        private final int limit;
        private int[] hashes;
        private long[] expiries;
        private boolean[] used;
        private int size;
        private boolean shrunk;

        SeenSpans(int limit) {
            this.limit = limit;
            allocate();
        }

        private void allocate() {
            // room for limit + 1 entries at a load factor of at most one half
            int capacity = Integer.highestOneBit(Math.max(4, (limit + 1) * 2 - 1)) << 1;
            hashes = new int[capacity];
            expiries = new long[capacity];
            used = new boolean[capacity];
            size = 0;
        }

        int sign(Span span) {
            int hash = Signatures.spanHash(span, "", true);
            return shrunk ? Integer.remainderUnsigned(hash, limit) : hash;
        }

        boolean contains(int hash) {
            return used[slot(hash)];
        }

        long expiry(int hash) {
            return expiries[slot(hash)];
        }

        void add(long expiry, Span span) {
            int hash = sign(span);
            int slot = slot(hash);
            if (used[slot] && expiry - expiries[slot] < RENEWAL_NANOS) {
                return;
            }
            if (!used[slot]) {
                used[slot] = true;
                hashes[slot] = hash;
                size++;
            }
            expiries[slot] = expiry;
            if (size > limit) {
                shrink();
            }
        }

        /** Folds every hash modulo the cardinality, keeping the later expiry where two meet. */
        private void shrink() {
            int[] oldHashes = hashes;
            long[] oldExpiries = expiries;
            boolean[] oldUsed = used;
            allocate();
            for (int i = 0; i < oldHashes.length; i++) {
                if (oldUsed[i]) {
                    int folded = Integer.remainderUnsigned(oldHashes[i], limit);
                    int slot = slot(folded);
                    if (!used[slot]) {
                        used[slot] = true;
                        hashes[slot] = folded;
                        size++;
                        expiries[slot] = oldExpiries[i];
                    } else {
                        expiries[slot] = Math.max(expiries[slot], oldExpiries[i]);
                    }
                }
            }
            shrunk = true;
            shrinks++;
        }

        /** The slot holding {@code hash}, or the free slot where it would go. */
        private int slot(int hash) {
            int mask = hashes.length - 1;
            int slot = ((hash ^ (hash >>> 16)) * 0x9e3779b9 >>> 8) & mask;
            while (used[slot] && hashes[slot] != hash) {
                slot = (slot + 1) & mask;
            }
            return slot;
        }
    }
}
