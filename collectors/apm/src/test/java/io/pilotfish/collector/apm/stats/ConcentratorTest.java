package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.normalize.TopLevel;
import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.Span;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.LongUnaryOperator;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The Agent's concentrator tests ({@code pkg/trace/stats/concentrator_test.go}), same spans and expectations: 2 s
 * buckets, env "env", hostname "hostname", and peer tags and stats by span kind off unless a test turns them on, as
 * the Go tests' config leaves them.
 */
class ConcentratorTest {

    private static final long BUCKET = 2_000_000_000L;
    private static final long NOW = 1_700_000_123_456_789_000L;
    private static final long ALIGNED_NOW = NOW - NOW % BUCKET;

    private final Random offsets = new Random(42);

    private static StatsConfig config() {
        return new StatsConfig("env", "hostname", BUCKET, 2, false, false, List.of(), true,
                StatsConfig.DEFAULT_MAX_HEAP_BYTES);
    }

    /** A span ending {@code offset} buckets before now's, somewhere in that bucket (the Go tests' testSpan). */
    private Span testSpan(long spanId, long parentId, long duration, long offset, String service, String resource,
                          int error, Map<String, String> meta) {
        long end = ALIGNED_NOW - offset * BUCKET + (long) (offsets.nextDouble() * BUCKET);
        return Span.of(service, "query", resource, 1, spanId, parentId, end - duration, duration, error, meta, null,
                "db");
    }

    private static Span span(long spanId, long parentId, String service, String name, String resource, long duration,
                             Map<String, String> meta, Map<String, Double> metrics) {
        return Span.of(service, name, resource, 1, spanId, parentId, NOW - duration, duration, 0, meta, metrics, "");
    }

    private static void add(Concentrator c, List<Span> spans) {
        add(c, new StatsSource("none", "", "", "", "", List.of(), "", ""), spans);
    }

    private static void add(Concentrator c, StatsSource source, List<Span> spans) {
        List<Span> marked = TopLevel.compute(spans);
        c.add(source, marked, "", Concentrator.root(marked));
    }

    private static Concentrator concentrator(ManualClock clock, StatsConfig config) {
        return new Concentrator(config, clock, new SplittableRandom(3));
    }

    /** The groups of the only payload and bucket, by service and resource and, where it splits them, more. */
    private static List<ApmStats.Group> onlyBucket(List<ApmStats> flushed) {
        assertEquals(1, flushed.size(), "payloads");
        assertEquals(1, flushed.getFirst().buckets().size(), "buckets");
        return flushed.getFirst().buckets().getFirst().groups();
    }

    /** hits/topLevelHits/errors/duration/isTraceRoot/spanKind of each group, keyed by service and resource. */
    private static Map<String, String> counts(List<ApmStats.Group> groups) {
        Map<String, String> out = new LinkedHashMap<>();
        groups.stream().sorted(Comparator.comparing(g -> g.service() + g.resource() + g.spanKind() + g.isTraceRoot()))
                .forEach(g -> out.put(g.service() + " " + g.resource() + (g.spanKind().isEmpty() ? "" : " "
                        + g.spanKind()) + " root=" + g.isTraceRoot(), "hits=" + g.hits() + " top=" + g.topLevelHits()
                        + " errors=" + g.errors() + " duration=" + g.duration()));
        return out;
    }

    @Test
    void coldStartCountsPastSpansInTheCurrentBucket() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config());
        add(c, List.of(testSpan(1, 0, 50, 5, "A1", "resource1", 0, null),
                testSpan(1, 0, 40, 4, "A1", "resource1", 0, null),
                testSpan(1, 0, 30, 3, "A1", "resource1", 0, null),
                testSpan(1, 0, 20, 2, "A1", "resource1", 0, null),
                testSpan(1, 0, 10, 1, "A1", "resource1", 0, null),
                testSpan(1, 0, 1, 0, "A1", "resource1", 0, null)));
        for (int i = 0; i < 2; i++) {
            assertEquals(List.of(), c.flush(false));
            clock.advance(BUCKET);
        }
        assertEquals(Map.of("A1 resource1 root=1", "hits=6 top=6 errors=0 duration=151"),
                counts(onlyBucket(c.flush(false))));
    }

    @Test
    void hotStartKeepsTheLatestBucketApart() {
        ManualClock clock = new ManualClock(NOW - BUCKET); // running for a while: the previous bucket is still open
        Concentrator c = concentrator(clock, config());
        clock.set(NOW);
        add(c, List.of(testSpan(1, 0, 50, 5, "A1", "resource1", 0, null),
                testSpan(1, 0, 40, 4, "A1", "resource1", 0, null),
                testSpan(1, 0, 30, 3, "A1", "resource1", 0, null),
                testSpan(1, 0, 20, 2, "A1", "resource1", 0, null),
                testSpan(1, 0, 10, 1, "A1", "resource1", 0, null),
                testSpan(1, 0, 1, 0, "A1", "resource1", 0, null)));
        assertEquals(List.of(), c.flush(false));
        clock.advance(BUCKET);
        assertEquals(Map.of("A1 resource1 root=1", "hits=5 top=5 errors=0 duration=150"),
                counts(onlyBucket(c.flush(false))));
        clock.advance(BUCKET);
        assertEquals(Map.of("A1 resource1 root=1", "hits=1 top=1 errors=0 duration=1"),
                counts(onlyBucket(c.flush(false))));
    }

    @Test
    void totalsDoNotDependOnBuckets() {
        ManualClock clock = new ManualClock(NOW - 2 * BUCKET);
        Concentrator c = concentrator(clock, config());
        clock.set(NOW);
        add(c, List.of(testSpan(1, 0, 50, 5, "A1", "resource1", 0, null),
                testSpan(1, 0, 40, 4, "A1", "resource1", 0, null),
                testSpan(1, 0, 30, 3, "A1", "resource1", 0, null),
                testSpan(1, 0, 20, 2, "A1", "resource1", 0, null),
                testSpan(1, 0, 10, 1, "A1", "resource1", 0, null),
                testSpan(1, 0, 1, 0, "A1", "resource1", 0, null)));
        long hits = 0;
        long duration = 0;
        long topLevel = 0;
        for (int i = 0; i <= 2; i++) {
            for (ApmStats p : c.flush(false)) {
                for (ApmStats.Bucket b : p.buckets()) {
                    for (ApmStats.Group g : b.groups()) {
                        hits += g.hits();
                        duration += g.duration();
                        topLevel += g.topLevelHits();
                    }
                }
            }
            clock.advance(BUCKET);
        }
        assertEquals(151, duration);
        assertEquals(6, hits);
        assertEquals(6, topLevel);
    }

    @Test
    void countsEachBucketAsTheAgent() {
        ManualClock clock = new ManualClock(NOW - 2 * BUCKET);
        Concentrator c = concentrator(clock, config());
        clock.set(NOW);
        add(c, List.of(
                // more than 2 buckets old: counted in the oldest open bucket, the first flushed
                testSpan(1, 0, 111, 10, "A1", "resource1", 0, null),
                testSpan(1, 0, 222, 3, "A1", "resource1", 0, null),
                testSpan(11, 0, 333, 3, "A1", "resource3", 0, Map.of("span.kind", "client")),
                testSpan(12, 0, 444, 3, "A1", "resource3", 0, Map.of("span.kind", "server")),
                // 2 buckets old
                testSpan(1, 0, 24, 2, "A1", "resource1", 0, null),
                testSpan(2, 0, 12, 2, "A1", "resource1", 2, null),
                testSpan(3, 0, 40, 2, "A2", "resource2", 2, null),
                testSpan(4, 0, 300000000000L, 2, "A2", "resource2", 2, null), // 5 minutes
                testSpan(5, 0, 30, 2, "A2", "resourcefoo", 0, null),
                // 1 bucket old
                testSpan(6, 0, 24, 1, "A1", "resource2", 0, null),
                testSpan(7, 0, 12, 1, "A1", "resource1", 2, null),
                testSpan(8, 0, 40, 1, "A2", "resource1", 2, null),
                testSpan(9, 0, 30, 1, "A2", "resource2", 2, null),
                testSpan(10, 0, 3600000000000L, 1, "A2", "resourcefoo", 0, null), // 1 hour
                // the current bucket
                testSpan(6, 0, 24, 0, "A1", "resource2", 0, null)));

        Map<Long, Map<String, String>> expected = new HashMap<>();
        expected.put(ALIGNED_NOW - 2 * BUCKET, Map.of(
                "A1 resource1 root=1", "hits=4 top=4 errors=1 duration=369",
                "A2 resource2 root=1", "hits=2 top=2 errors=2 duration=300000000040",
                "A2 resourcefoo root=1", "hits=1 top=1 errors=0 duration=30",
                "A1 resource3 client root=1", "hits=1 top=1 errors=0 duration=333",
                "A1 resource3 server root=1", "hits=1 top=1 errors=0 duration=444"));
        expected.put(ALIGNED_NOW - BUCKET, Map.of(
                "A1 resource1 root=1", "hits=1 top=1 errors=1 duration=12",
                "A1 resource2 root=1", "hits=1 top=1 errors=0 duration=24",
                "A2 resource1 root=1", "hits=1 top=1 errors=1 duration=40",
                "A2 resource2 root=1", "hits=1 top=1 errors=1 duration=30",
                "A2 resourcefoo root=1", "hits=1 top=1 errors=0 duration=3600000000000"));
        expected.put(ALIGNED_NOW, Map.of("A1 resource2 root=1", "hits=1 top=1 errors=0 duration=24"));

        for (int i = 0; i <= 4; i++) {
            long flushTime = NOW + i * BUCKET;
            clock.set(flushTime);
            long expectedStart = flushTime - flushTime % BUCKET - 2 * BUCKET;
            List<ApmStats> flushed = c.flush(false);
            if (!expected.containsKey(expectedStart)) {
                assertEquals(List.of(), flushed, "flush " + i);
                continue;
            }
            assertEquals(expectedStart, flushed.getFirst().buckets().getFirst().start(), "flush " + i);
            assertEquals(BUCKET, flushed.getFirst().buckets().getFirst().duration());
            assertEquals(expected.get(expectedStart), counts(onlyBucket(flushed)), "flush " + i);
            assertEquals("hostname", flushed.getFirst().hostname());
            assertEquals("none", flushed.getFirst().env());
            assertFalse(flushed.getFirst().clientComputed());
            assertEquals(List.of(), c.flush(false), "a second flush at the same time is empty");
        }
    }

    @Test
    void splitsGroupsByTraceRoot() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config().withComputeStatsBySpanKind(true));
        add(c, List.of(
                testSpan(1, 0, 40, 10, "A1", "resource1", 0, null), // root
                testSpan(2, 1, 30, 10, "A1", "resource1", 0, null), // neither top-level nor of a kind: no stats
                testSpan(3, 2, 20, 10, "A1", "resource1", 0, Map.of("span.kind", "client")), // a client span
                testSpan(4, 1000, 10, 10, "A1", "resource1", 0, null))); // parent elsewhere: top-level, not root
        clock.advance(2 * BUCKET);
        assertEquals(Map.of(
                "A1 resource1 root=1", "hits=1 top=1 errors=0 duration=40",
                "A1 resource1 root=2", "hits=1 top=1 errors=0 duration=10",
                "A1 resource1 client root=2", "hits=1 top=0 errors=0 duration=20"), counts(onlyBucket(c.flush(false))));
    }

    @Test
    void latencyDistributionsKeepTheirQuantiles() throws SketchFormatException {
        for (var c : List.<Object[]>of(new Object[] {(LongUnaryOperator) i -> 42, new double[] {42, 42, 42, 42, 42}},
                new Object[] {(LongUnaryOperator) i -> i + 1, new double[] {10, 50, 95, 99, 100}})) {
            LongUnaryOperator generator = (LongUnaryOperator) c[0];
            double[] expected = (double[]) c[1];
            ManualClock clock = new ManualClock(NOW - 2 * BUCKET);
            Concentrator concentrator = concentrator(clock, config());
            clock.set(NOW);
            List<Span> spans = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                spans.add(testSpan(i + 1, 0, generator.applyAsLong(i), 0, "A1", "resource1", 0, null));
            }
            add(concentrator, spans);
            clock.advance(2 * BUCKET);
            List<ApmStats.Group> groups = onlyBucket(concentrator.flush(false));
            DDSketch ok = DDSketch.decodeToAgent(groups.getFirst().okSummary());
            double[] quantiles = {0.1, 0.5, 0.95, 0.99, 1};
            for (int q = 0; q < quantiles.length; q++) {
                assertEquals(expected[q], ok.quantile(quantiles[q]), expected[q] * 0.015, "q" + quantiles[q]);
            }
            assertTrue(DDSketch.decodeToAgent(groups.getFirst().errorSummary()).isEmpty());
        }
    }

    @Test
    void ignoresPartialSnapshots() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config());
        Span partial = Span.of("A1", "query", "resource1", 1, 1, 0, NOW - 50, 50, 0, null,
                Map.of("_dd.partial_version", 830604.0), "db");
        add(c, List.of(partial));
        clock.advance(2 * BUCKET);
        assertEquals(List.of(), c.flush(false));
    }

    @Test
    void forceFlushesBucketsNotOldEnough() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config());
        add(c, List.of(testSpan(1, 0, 50, 5, "A1", "resource1", 0, null)));
        clock.set(0); // every bucket is too recent
        assertEquals(List.of(), c.flush(false));
        assertEquals(1, c.counters().openBuckets());
        assertEquals(1, c.flush(true).size());
        assertEquals(0, c.counters().openBuckets());
    }

    @Test
    void groupsClientSpansByPeerTagsWhenAggregationIsOn() {
        Span server = span(1, 0, "myservice", "http.server.request", "GET /users", 100,
                Map.of("span.kind", "server", "region", "us1"), null);
        Span client = span(2, 1, "myservice", "postgres.query", "SELECT user_id from users WHERE user_name = ?", 75,
                Map.of("span.kind", "client", "db.instance", "i-1234", "db.system", "postgres", "region", "us1"),
                Map.of("_dd.measured", 1.0));
        for (boolean on : new boolean[] {false, true}) {
            ManualClock clock = new ManualClock(NOW);
            Concentrator c = concentrator(clock, config().withPeerTagsAggregation(on, List.of()));
            add(c, List.of(server, client));
            clock.advance(2 * BUCKET);
            List<ApmStats.Group> groups = onlyBucket(c.flush(false));
            assertEquals(2, groups.size());
            for (ApmStats.Group g : groups) {
                List<String> expected = on && g.name().equals("postgres.query")
                        ? List.of("db.instance:i-1234", "db.system:postgres") : List.of();
                assertEquals(expected, g.peerTags(), g.name() + " with peer tags " + on);
            }
        }
    }

    @Test
    void computesStatsForEligibleSpanKindsWhenOn() {
        Span root = span(1, 0, "myservice", "http.server.request", "GET /users", 500, null, null);
        Span topLevelInternal = span(2, 1, "myservice", "internal.op1", "compute_1", 25,
                Map.of("span.kind", "internal"), Map.of("_top_level", 1.0));
        Span measuredInternal = span(3, 1, "myservice", "internal.op2", "compute_2", 25,
                Map.of("span.kind", "internal"), Map.of("_dd.measured", 1.0));
        Span client = span(4, 1, "myservice", "postgres.query", "SELECT user_id from users WHERE user_name = ?", 75,
                Map.of("span.kind", "client"), null);
        for (boolean on : new boolean[] {false, true}) {
            ManualClock clock = new ManualClock(NOW);
            Concentrator c = concentrator(clock, config().withComputeStatsBySpanKind(on));
            add(c, List.of(root, topLevelInternal, measuredInternal, client));
            clock.advance(2 * BUCKET);
            List<String> names = onlyBucket(c.flush(false)).stream().map(ApmStats.Group::name).sorted().toList();
            List<String> expected = on
                    ? List.of("http.server.request", "internal.op1", "internal.op2", "postgres.query")
                    : List.of("http.server.request", "internal.op1", "internal.op2");
            assertEquals(expected, names, "by span kind " + on);
        }
    }

    @Test
    void keysPayloadsByVersionGitCommitImageLanguageAndBaseService() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config());
        StatsSource java = new StatsSource("prod", "tracer-hostname", "v1.0.1", "java", "cid", List.of("image_tag:abc"),
                "abc123", "abc");
        add(c, java, List.of(span(1, 0, "myservice", "http.server.request", "GET /users", 100,
                Map.of("_dd.base_service", "base-svc"), null)));
        add(c, java, List.of(span(2, 0, "myservice", "http.server.request", "GET /users", 100, null, null)));
        add(c, new StatsSource("", "", "v1.0.1", "python", "", List.of(), "", ""),
                List.of(span(3, 0, "other", "op", "r", 100, null, null)));
        clock.advance(2 * BUCKET);
        List<ApmStats> flushed = c.flush(false);
        assertEquals(3, flushed.size());
        ApmStats withBase = flushed.get(0);
        assertEquals(List.of("base-svc", "tracer-hostname", "prod", "v1.0.1", "java", "cid", "abc123", "abc"),
                List.of(withBase.service(), withBase.hostname(), withBase.env(), withBase.version(), withBase.lang(),
                        withBase.containerId(), withBase.gitCommitSha(), withBase.imageTag()));
        assertEquals(List.of("image_tag:abc"), withBase.tags());
        assertEquals("", flushed.get(1).service());
        ApmStats python = flushed.get(2);
        assertEquals(List.of("env", "hostname", "python", ""),
                List.of(python.env(), python.hostname(), python.lang(), python.containerId()),
                "the agent's env and hostname where the payload has none");
    }

    @Test
    void dropsTheContainerDimensionWhenOff() {
        ManualClock clock = new ManualClock(NOW);
        StatsConfig off = new StatsConfig("env", "hostname", BUCKET, 2, false, false, List.of(), false,
                StatsConfig.DEFAULT_MAX_HEAP_BYTES);
        Concentrator c = concentrator(clock, off);
        add(c, new StatsSource("", "", "", "", "cid", List.of("a:b"), "", ""),
                List.of(span(1, 0, "s", "n", "r", 1, null, null)));
        clock.advance(2 * BUCKET);
        ApmStats payload = c.flush(false).getFirst();
        assertEquals("", payload.containerId());
        assertEquals(List.of(), payload.tags());
    }

    @Test
    void clampsSpansEndingInTheFutureToTheCurrentBucket() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config());
        Span future = Span.of("A1", "query", "resource1", 1, 1, 0, NOW + 3_600_000_000_000L, 10_000_000_000L, 0,
                null, Map.of("_top_level", 1.0), "db");
        c.add(new StatsSource("none", "", "", "", "", List.of(), "", ""), List.of(future), "", future);
        assertEquals(1, c.counters().openBuckets(), "no bucket an hour ahead");
        assertEquals(1, c.counters().futureBucketClamps());
        clock.advance(2 * BUCKET);
        List<ApmStats> flushed = c.flush(false);
        assertEquals(ALIGNED_NOW, flushed.getFirst().buckets().getFirst().start());
    }

    @Test
    void weighsSpansByTheRootsSampleRate() {
        ManualClock clock = new ManualClock(NOW);
        Concentrator c = concentrator(clock, config());
        Span root = span(1, 0, "web", "request", "GET /", 1000, null, Map.of("_sample_rate", 0.25));
        Span db = span(2, 1, "db", "query", "SELECT", 400, null, null);
        add(c, List.of(root, db));
        clock.advance(2 * BUCKET);
        assertEquals(Map.of("db SELECT root=2", "hits=4 top=4 errors=0 duration=1600",
                "web GET / root=1", "hits=4 top=4 errors=0 duration=4000"), counts(onlyBucket(c.flush(false))));
    }

    @Test
    void weightIsTheInverseOfAValidSampleRate() {
        assertEquals(1, Concentrator.weight(null));
        assertEquals(1, Concentrator.weight(span(1, 0, "s", "n", "r", 1, null, null)));
        assertEquals(2, Concentrator.weight(span(1, 0, "s", "n", "r", 1, null, Map.of("_sample_rate", 0.5))));
        assertEquals(1, Concentrator.weight(span(1, 0, "s", "n", "r", 1, null, Map.of("_sample_rate", 0.0))));
        assertEquals(1, Concentrator.weight(span(1, 0, "s", "n", "r", 1, null, Map.of("_sample_rate", 1.5))));
        assertEquals(1, Concentrator.weight(span(1, 0, "s", "n", "r", 1, null, Map.of("_sample_rate", Double.NaN))));
    }

    @Test
    void roundsFractionalCountsUpWithTheProbabilityOfTheFraction() {
        assertEquals(4, Concentrator.round(10.0 / 3, fixed(0.2)));
        assertEquals(3, Concentrator.round(10.0 / 3, fixed(0.5)));
        assertEquals(7, Concentrator.round(7.0, fixed(0.0)));
        SplittableRandom random = new SplittableRandom(9);
        long sum = 0;
        for (int i = 0; i < 10_000; i++) {
            sum += Concentrator.round(0.3, random);
        }
        assertEquals(3_000, sum, 150); // unbiased on average
    }

    private static RandomGenerator fixed(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }

    @Test
    void findsTheRootAsTheAgent() {
        Span a = span(1, 0, "s", "a", "r", 1, null, null);
        Span b = span(2, 1, "s", "b", "r", 1, null, null);
        Span c = span(3, 0, "s", "c", "r", 1, null, null);
        assertSame(c, Concentrator.root(List.of(a, b, c)), "the last span without a parent");
        Span orphan = span(5, 99, "s", "o", "r", 1, null, null);
        Span child = span(6, 5, "s", "x", "r", 1, null, null);
        assertSame(orphan, Concentrator.root(List.of(child, orphan)), "the span whose parent is elsewhere");
        Span loopA = span(7, 8, "s", "x", "r", 1, null, null);
        Span loopB = span(8, 7, "s", "y", "r", 1, null, null);
        assertSame(loopB, Concentrator.root(List.of(loopA, loopB)), "else the last span");
    }

    @Test
    void staysWithinItsHeapBudgetAndCountsWhatItDrops() {
        ManualClock clock = new ManualClock(NOW);
        long limit = StatsConfig.MIN_MAX_HEAP_BYTES;
        Concentrator c = concentrator(clock, config().withMaxHeapBytes(limit));
        for (int i = 0; i < 1000; i++) {
            add(c, List.of(span(i + 1, 0, "svc", "op", "resource-" + i, 1000 + i, null, null)));
        }
        Concentrator.Counters counters = c.counters();
        long dropped = counters.spansDropped().get(StatsDropReason.MEMORY_LIMIT);
        assertTrue(dropped > 0, "some spans dropped");
        assertEquals(1000, counters.spansAggregated() + dropped);
        assertTrue(counters.heapBytes() <= limit, counters.heapBytes() + " > " + limit);
        // Spans for groups that exist still count.
        add(c, List.of(span(5000, 0, "svc", "op", "resource-0", 1000, null, null)));
        assertEquals(counters.spansAggregated() + 1, c.counters().spansAggregated());

        clock.advance(2 * BUCKET);
        List<ApmStats> flushed = c.flush(false);
        assertEquals(counters.spansAggregated(), onlyBucket(flushed).size());
        assertEquals(0, c.counters().heapBytes(), "a flush gives the heap back");
        add(c, List.of(span(6000, 0, "svc", "op", "resource-new", 1000, null, null)));
        assertEquals(counters.spansAggregated() + 2, c.counters().spansAggregated(), "room again after the flush");
    }
}
