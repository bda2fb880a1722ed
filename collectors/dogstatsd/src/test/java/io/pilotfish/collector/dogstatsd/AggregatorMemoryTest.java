package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.signal.TagSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The aggregator's memory budget: hostile cardinality (unique names, unique tag values, a slow leak of new counters,
 * unbounded histograms, sets and distributions) stays within {@code aggregator.max-bytes}, and what does not fit is
 * refused with the reason the collector counts.
 */
class AggregatorMemoryTest {

    private static final long T0 = 1_700_000_000L;
    private static final long BUDGET = 1024 * 1024;

    private final Aggregator aggregator = new Aggregator(new Aggregator.Settings(List.of("max", "median", "avg",
            "count"), List.of(95), 10_000_000, 300, BUDGET));

    private static MetricSample sample(String name, StatsdType type, double... values) {
        return new MetricSample(name, type, values, "", 1, TagSet.EMPTY, 0, Origin.NONE);
    }

    @Test
    void uniqueTagValuesBeyondTheBudgetAreRefusedAsMemory() {
        int taken = 0;
        int refused = 0;
        for (int i = 0; i < 200_000; i++) {
            TagSet tags = TagSet.of("user:" + "u".repeat(40) + i, "env:test");
            if (aggregator.add(sample("requests", StatsdType.COUNT, 1), tags, "", T0)) {
                taken++;
            } else {
                refused++;
                assertEquals(Aggregator.Refusal.MEMORY, aggregator.lastRefusal());
            }
            assertTrue(aggregator.usedBytes() <= BUDGET, "within the budget after sample " + i);
        }
        assertTrue(taken > 1000, "a megabyte holds thousands of contexts: " + taken);
        assertTrue(refused > 100_000, "the rest is refused: " + refused);
        aggregator.flush(T0 + 10, false, signal -> { });
        assertTrue(aggregator.usedBytes() <= BUDGET);
    }

    @Test
    void aSlowLeakOfNewCountersIsBoundedAcrossBuckets() {
        // 1,000 new counters per 10 s bucket for 100 buckets: each would be kept 300 s for zero-reporting.
        long now = T0;
        for (int bucket = 0; bucket < 100; bucket++) {
            for (int i = 0; i < 1000; i++) {
                aggregator.add(sample("leak", StatsdType.COUNT, 1), TagSet.of("id:" + bucket + "-" + i), "", now);
            }
            now += 10;
            aggregator.flush(now, false, signal -> { });
            assertTrue(aggregator.usedBytes() <= BUDGET, "within the budget after bucket " + bucket + ": "
                    + aggregator.usedBytes());
        }
        assertTrue(aggregator.countersNotKept() > 0, "counters beyond the budget are not kept for zero-reporting");
    }

    @Test
    void zeroReportingStateIsReleasedWhenCountersExpire() {
        long now = T0;
        for (int i = 0; i < 1000; i++) {
            aggregator.add(sample("short", StatsdType.COUNT, 1), TagSet.of("id:" + i), "", now);
        }
        aggregator.flush(now + 10, false, signal -> { });
        long held = aggregator.usedBytes();
        assertTrue(held > 0, "counters are kept for zero-reporting");
        aggregator.flush(now + 400, false, signal -> { });
        assertEquals(0, aggregator.usedBytes(), "nothing is held once every counter expired");
    }

    @Test
    void oneHistogramCannotGrowPastTheBudget() {
        int refused = 0;
        for (int i = 0; i < 1_000_000; i++) {
            if (!aggregator.add(sample("latency", StatsdType.HISTOGRAM, i), TagSet.EMPTY, "", T0)) {
                refused++;
            }
        }
        assertTrue(refused > 0, "a histogram of a million samples does not fit in a megabyte");
        assertTrue(aggregator.usedBytes() <= BUDGET);
        assertEquals(Aggregator.Refusal.MEMORY, aggregator.lastRefusal());
    }

    @Test
    void setsAndDistributionsAreChargedForWhatTheyHold() {
        for (int i = 0; i < 100_000; i++) {
            aggregator.add(new MetricSample("visitors", StatsdType.SET, new double[0], "member-" + i, 1,
                    TagSet.EMPTY, 0, Origin.NONE), TagSet.EMPTY, "", T0);
            aggregator.add(sample("sizes", StatsdType.DISTRIBUTION, Math.pow(1.02, i % 20_000) * 1e-6),
                    TagSet.EMPTY, "", T0);
            assertTrue(aggregator.usedBytes() <= BUDGET);
        }
        assertEquals(Aggregator.Refusal.MEMORY, aggregator.lastRefusal());
    }

    @Test
    void theContextLimitIsStillItsOwnReason() {
        Aggregator limited = new Aggregator(new Aggregator.Settings(List.of("max"), List.of(), 10, 300, BUDGET));
        for (int i = 0; i < 10; i++) {
            assertTrue(limited.add(sample("m" + i, StatsdType.GAUGE, 1), TagSet.EMPTY, "", T0));
        }
        assertFalse(limited.add(sample("m10", StatsdType.GAUGE, 1), TagSet.EMPTY, "", T0));
        assertEquals(Aggregator.Refusal.CONTEXT_LIMIT, limited.lastRefusal());
    }

    @Test
    void theParserCachesAreBoundedInBytes() {
        ByteKeyCache<String> cache = new ByteKeyCache<>(4096, 64 * 1024);
        byte[] name = new byte[2000];
        for (int i = 0; i < 10_000; i++) {
            byte[] key = ("name-" + i + "-").getBytes();
            System.arraycopy(key, 0, name, 0, key.length);
            String value = new String(name, 0, 900);
            cache.put(name, 0, 900, value, DogStatsdParser.stringBytes(value));
            assertTrue(cache.bytes() <= 64 * 1024, "within the byte bound after " + i);
        }
        cache.put(name, 0, 2000, "huge", 5000);
        assertTrue(cache.get(name, 0, 2000) == null, "an entry over a sixteenth of the bound is not kept");
    }
}
