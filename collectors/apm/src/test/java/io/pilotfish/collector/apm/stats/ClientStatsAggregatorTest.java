package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.ApmStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Agent's client stats aggregator tests ({@code client_stats_aggregator_test.go}), same figures. */
class ClientStatsAggregatorTest {

    private static final long SECOND = 1_000_000_000L;
    /** A whole second, as the Go tests' {@code time.Unix(time.Now().Unix(), 0)}. */
    private static final long NOW = 1_700_000_017L * SECOND;
    private static final long MAX_HEAP = 8L << 20;

    private final Random random = new Random(5);

    private static ApmStats.Group group(String service, String name, String resource, String type, String spanKind,
                                        int status, boolean synthetics, String grpc, String method, String endpoint,
                                        List<String> peerTags, long hits, long errors, long duration) {
        return new ApmStats.Group(service, name, resource, status, type, "", hits, errors, duration, null, null,
                synthetics, 0, spanKind, peerTags, 0, grpc, method, endpoint);
    }

    private static ApmStats payload(long start, String lang, ApmStats.Group... groups) {
        return new ApmStats("", "test-env", "test-version", List.of(new ApmStats.Bucket(start, 0, List.of(groups), 0)),
                lang, "", "", 0, "", "", "", null, "", "", true);
    }

    /** A tracer payload of one to three groups with random dimensions, counts and sketches (the Go tests fuzz one). */
    private ApmStats randomPayload(long start) {
        List<ApmStats.Group> groups = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
            groups.add(new ApmStats.Group("svc" + random.nextInt(1000), "op" + random.nextInt(1000),
                    "res" + random.nextInt(1000), random.nextInt(600), "web", "", random.nextInt(1000),
                    random.nextInt(100), random.nextInt(1_000_000), randomSketch(), randomSketch(),
                    random.nextBoolean(),
                    random.nextInt(100), "server", List.of(), 1 + random.nextInt(2), "", "GET", "/x"));
        }
        return new ApmStats("host", "env" + random.nextInt(10), "1.0",
                List.of(new ApmStats.Bucket(ClientStatsAggregator.alignWindow(start), 10 * SECOND, groups, 0)),
                "go", "", "", 0, "", "", "", null, "", "", true);
    }

    private byte[] randomSketch() {
        DDSketch sketch = DDSketch.forAgent();
        for (int i = 0; i < 5; i++) {
            sketch.add(random.nextGaussian());
        }
        return sketch.encode();
    }

    private static Comparator<ApmStats.Group> byKey() {
        return Comparator.comparing((ApmStats.Group g) -> g.service() + "|" + g.name() + "|" + g.resource() + "|"
                + g.httpStatusCode() + "|" + g.isTraceRoot() + "|" + g.synthetics());
    }

    private static List<ApmStats.Group> sorted(List<ApmStats.Group> groups) {
        return groups.stream().sorted(byKey()).toList();
    }

    @Test
    void passesASingleTracerPayloadThroughAfterTwentySeconds() {
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        assertEquals(List.of(), a.flush(false));
        ApmStats in = randomPayload(NOW);
        a.add(in);
        assertEquals(List.of(), a.flush(false));
        clock.set(NOW + 18 * SECOND);
        assertEquals(List.of(), a.flush(false));
        clock.set(NOW + 20 * SECOND);
        List<ApmStats> out = a.flush(false);
        assertEquals(1, out.size());
        ApmStats.Bucket bucket = out.getFirst().buckets().getFirst();
        assertEquals(in.buckets().getFirst().start(), bucket.start());
        assertEquals(10 * SECOND, bucket.duration());
        // The same groups, sketches untouched: one payload is passed through as it came.
        assertEquals(sorted(in.buckets().getFirst().groups()), sorted(bucket.groups()));
        assertTrue(out.getFirst().clientComputed());
        assertEquals(0, a.counters().openWindows());
        assertEquals(0, a.counters().heapBytes());
    }

    @Test
    void mergesPayloadsOfOneWindowAndKeepsOthersApart() throws SketchFormatException {
        for (int round = 0; round < 10; round++) {
            long payloadTime = NOW - NOW % (2 * SECOND);
            ManualClock clock = new ManualClock(payloadTime + SECOND);
            ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
            ApmStats merge1 = randomPayload(payloadTime);
            ApmStats merge2 = randomPayload(payloadTime + 1);
            ApmStats other = randomPayload(payloadTime - 1);
            ApmStats merge3 = randomPayload(payloadTime + SECOND - 1);
            for (ApmStats p : List.of(merge1, merge2, other, merge3)) {
                a.add(p);
            }
            clock.set(payloadTime + 20 * SECOND - 1);
            List<ApmStats> first = a.flush(false);
            assertEquals(1, first.size());
            assertEquals(sorted(other.buckets().getFirst().groups()), sorted(first.getFirst().buckets().getFirst()
                    .groups()));
            clock.set(payloadTime + 20 * SECOND);
            List<ApmStats> second = a.flush(false);
            assertTrue(!second.isEmpty());
            long hitsIn = Stream.of(merge1, merge2, merge3).flatMap(p -> p.buckets().getFirst().groups().stream())
                    .mapToLong(ApmStats.Group::hits).sum();
            long hitsOut = second.stream().flatMap(p -> p.buckets().getFirst().groups().stream())
                    .mapToLong(ApmStats.Group::hits).sum();
            assertEquals(hitsIn, hitsOut);
            for (ApmStats p : second) {
                assertEquals(ClientStatsAggregator.alignWindow(payloadTime), p.buckets().getFirst().start());
                for (ApmStats.Group g : p.buckets().getFirst().groups()) {
                    assertTrue(g.okSummary().length > 0 && g.errorSummary().length > 0);
                    DDSketch.decodeToAgent(g.okSummary());
                }
            }
            assertEquals(0, a.counters().openWindows());
        }
    }

    @Test
    void addsUpTheSamePayloadSentTwice() throws SketchFormatException {
        long payloadTime = NOW - NOW % (2 * SECOND);
        ManualClock clock = new ManualClock(payloadTime + SECOND);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        ApmStats p = randomPayload(payloadTime);
        a.add(p);
        a.add(p);
        clock.set(payloadTime + 20 * SECOND);
        List<ApmStats> out = a.flush(false);
        assertEquals(1, out.size());
        List<ApmStats.Group> in = sorted(p.buckets().getFirst().groups());
        List<ApmStats.Group> merged = sorted(out.getFirst().buckets().getFirst().groups());
        assertEquals(in.size(), merged.size());
        for (int i = 0; i < in.size(); i++) {
            ApmStats.Group g = in.get(i);
            ApmStats.Group m = merged.get(i);
            assertEquals(List.of(2 * g.hits(), 2 * g.errors(), 2 * g.duration(), 2 * g.topLevelHits()),
                    List.of(m.hits(), m.errors(), m.duration(), m.topLevelHits()));
            DDSketch twice = DDSketch.decodeToAgent(g.okSummary());
            twice.mergeWith(DDSketch.decodeToAgent(g.okSummary()));
            assertArrayEquals(twice.encode(), m.okSummary());
            assertEquals(2 * DDSketch.decodeToAgent(g.errorSummary()).count(),
                    DDSketch.decodeToAgent(m.errorSummary()).count());
        }
    }

    static Stream<Arguments> timeShifts() {
        return Stream.of(Arguments.of("future", 100 * 3600 * SECOND, 100 * 3600 * SECOND),
                Arguments.of("past", -11 * 3600 * SECOND, -11 * 3600 * SECOND + 18 * SECOND));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void timeShifts(String name, long shift, long expectedShift) {
        long agentTime = ClientStatsAggregator.alignWindow(NOW);
        ManualClock clock = new ManualClock(agentTime);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        ApmStats p = randomPayload(agentTime + shift);
        a.add(p);
        assertEquals(List.of(), a.flush(false));
        clock.set(agentTime + 20 * SECOND + 1);
        List<ApmStats> out = a.flush(false);
        assertEquals(1, out.size());
        assertEquals(p.buckets().getFirst().start() - expectedShift, out.getFirst().buckets().getFirst().start());
    }

    static Stream<ApmStats.Group> countKeys() {
        return Stream.of(
                group("s", "", "", "", "", 0, false, "", "", "", List.of(), 0, 0, 0),
                group("", "n", "", "", "", 0, false, "", "", "", List.of(), 0, 0, 0),
                group("", "", "r", "", "", 0, false, "", "", "", List.of(), 0, 0, 0),
                group("", "", "", "t", "", 0, false, "", "", "", List.of(), 0, 0, 0),
                group("", "", "", "", "", 0, true, "", "", "", List.of(), 0, 0, 0),
                group("", "", "", "", "", 10, false, "", "", "", List.of(), 0, 0, 0),
                group("", "", "", "", "", 0, false, "2", "", "", List.of(), 0, 0, 0),
                group("", "", "", "", "", 0, false, "", "GET", "", List.of(), 0, 0, 0),
                group("", "", "", "", "", 0, false, "", "", "/", List.of(), 0, 0, 0),
                group("s", "", "", "", "", 0, false, "", "", "",
                        List.of("db.instance:a", "db.system:b", "peer.service:remote-service"), 0, 0, 0));
    }

    @ParameterizedTest
    @MethodSource("countKeys")
    void addsCountsOfOneKeyAndKeepsOtherKeysApart(ApmStats.Group key) {
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        a.add(payload(NOW, "", withCounts(key, 11, 7, 100)));
        a.add(payload(NOW, "", withCounts(key, 27, 2, 300)));
        a.add(payload(NOW, "", withCounts(key, 5, 10, 3)));
        ApmStats.Group defaultKey = group("", "", "", "", "", 0, false, "", "", "", List.of(), 0, 2, 4);
        a.add(payload(NOW, "", defaultKey));
        clock.set(NOW + 20 * SECOND + 1);
        List<ApmStats> out = a.flush(false);
        assertEquals(1, out.size());
        List<ApmStats.Group> groups = out.getFirst().buckets().getFirst().groups();
        assertEquals(2, groups.size());
        ApmStats.Group merged = groups.getFirst();
        assertEquals(List.of(43L, 19L, 403L), List.of(merged.hits(), merged.errors(), merged.duration()));
        assertEquals(key.peerTags(), merged.peerTags());
        assertEquals(List.of(key.service(), key.name(), key.resource(), key.type(), key.grpcStatusCode(),
                key.httpMethod(), key.httpEndpoint()), List.of(merged.service(), merged.name(), merged.resource(),
                merged.type(), merged.grpcStatusCode(), merged.httpMethod(), merged.httpEndpoint()));
        assertEquals(0, merged.okSummary().length, "no sketches in, none out");
        ApmStats.Group other = groups.get(1);
        assertEquals(List.of(0L, 2L, 4L), List.of(other.hits(), other.errors(), other.duration()));
    }

    private static ApmStats.Group withCounts(ApmStats.Group g, long hits, long errors, long duration) {
        return new ApmStats.Group(g.service(), g.name(), g.resource(), g.httpStatusCode(), g.type(), g.dbType(), hits,
                errors, duration, g.okSummary(), g.errorSummary(), g.synthetics(), g.topLevelHits(), g.spanKind(),
                g.peerTags(), g.isTraceRoot(), g.grpcStatusCode(), g.httpMethod(), g.httpEndpoint());
    }

    @Test
    void peerTagsInAnyOrderAreOneKey() {
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        a.add(payload(NOW, "", group("s", "", "", "", "", 0, false, "", "", "", List.of("a:1", "b:2"), 1, 0, 1)));
        a.add(payload(NOW, "", group("s", "", "", "", "", 0, false, "", "", "", List.of("b:2", "a:1"), 1, 0, 1)));
        a.add(payload(NOW, "", group("s", "", "", "", "", 0, false, "", "", "", List.of("a:1"), 1, 0, 1)));
        clock.set(NOW + 21 * SECOND);
        List<ApmStats.Group> groups = a.flush(false).getFirst().buckets().getFirst().groups();
        assertEquals(2, groups.size());
        assertEquals(2, groups.getFirst().hits());
        assertEquals(List.of("a:1", "b:2"), groups.getFirst().peerTags());
    }

    @Test
    void keepsPayloadsOfDifferentLanguagesVersionsAndServicesApart() {
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        ApmStats.Group g = group("s", "n", "r", "", "", 200, false, "", "", "", List.of(), 1, 0, 1);
        a.add(payload(NOW, "java", g));
        a.add(payload(NOW, "python", g));
        a.add(payload(NOW, "java", g));
        ApmStats base = new ApmStats("", "test-env", "test-version",
                List.of(new ApmStats.Bucket(NOW, 0, List.of(g), 0)),
                "java", "", "", 0, "", "base-svc", "cid", List.of("image_tag:x"), "", "", true);
        a.add(base);
        clock.set(NOW + 21 * SECOND);
        List<ApmStats> out = a.flush(false);
        assertEquals(3, out.size());
        assertEquals(List.of("java", "python", "java"), out.stream().map(ApmStats::lang).toList());
        assertEquals(2, out.getFirst().buckets().getFirst().groups().getFirst().hits());
        assertEquals("base-svc", out.get(2).service());
        assertEquals("cid", out.get(2).containerId());
        assertEquals(List.of("image_tag:x"), out.get(2).tags());
    }

    @Test
    void windowsNeverStartOnTheConcentratorsBoundaries() {
        Random r = new Random(1);
        for (int i = 0; i < 1000; i++) {
            long ts = r.nextLong(0, Long.MAX_VALUE / 2);
            long window = ClientStatsAggregator.alignWindow(ts);
            assertNotEquals(0, window % (10 * SECOND));
            assertEquals(SECOND, Math.floorMod(window, 2 * SECOND));
            assertTrue(window <= ts + SECOND && window > ts - 2 * SECOND);
        }
    }

    @Test
    void aDegenerateSketchLosesItsDistributionNotItsCounts() {
        // gamma = MaxFloat64: bins whose bounds overflow (the Agent's degenerateSketchBytes).
        byte[] raw = Golden.hex("0a0909ffffffffffffef7f" + "12" + "1a" + "0a0b080211000000000000f03f"
                + "0a0b080411000000000000f03f" + "1a00");
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        for (int i = 0; i < 2; i++) {
            a.add(payload(NOW, "", new ApmStats.Group("s", "n", "r", 0, "", "", 11, 7, 100, raw, raw, false, 0, "",
                    List.of(), 0, "", "", "")));
        }
        clock.set(NOW + 21 * SECOND);
        List<ApmStats.Group> groups = a.flush(false).getFirst().buckets().getFirst().groups();
        assertEquals(1, groups.size());
        ApmStats.Group g = groups.getFirst();
        assertEquals(List.of(22L, 14L, 200L), List.of(g.hits(), g.errors(), g.duration()));
        assertEquals(0, g.okSummary().length);
        assertEquals(0, g.errorSummary().length);
        assertEquals(4, a.counters().dropped().get(StatsDropReason.SKETCH_UNREADABLE));
    }

    @Test
    void convertsAFinerTracerMappingBeforeMerging() throws SketchFormatException {
        DDSketch finer = new DDSketch(IndexMapping.logarithmic(0.005), 2048, HeapBudget.unlimited());
        finer.add(1);
        finer.add(1000);
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        for (int i = 0; i < 2; i++) {
            a.add(payload(NOW, "", new ApmStats.Group("s", "n", "r", 0, "", "", 1, 0, 1, finer.encode(), null, false,
                    0, "", List.of(), 0, "", "", "")));
        }
        clock.set(NOW + 21 * SECOND);
        ApmStats.Group g = a.flush(false).getFirst().buckets().getFirst().groups().getFirst();
        DDSketch merged = DDSketch.decodeToAgent(g.okSummary());
        assertEquals(4, merged.count(), 1e-9);
        assertEquals(1000, merged.quantile(1), 1000 * 0.02);
        assertArrayEquals(DDSketch.forAgent().encode(), DDSketch.decodeToAgent(DDSketch.emptyEncoding()).encode());
    }

    @Test
    void dropsNewGroupsOverItsHeapBudgetAndCountsThem() {
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, StatsConfig.MIN_MAX_HEAP_BYTES);
        for (int i = 0; i < 1000; i++) {
            a.add(payload(NOW, "", group("s", "n", "resource-" + i, "", "", 0, false, "", "", "", List.of(), 1, 0, 1)));
        }
        ClientStatsAggregator.Counters counters = a.counters();
        long dropped = counters.dropped().get(StatsDropReason.MEMORY_LIMIT);
        assertTrue(dropped > 0);
        assertEquals(1000, counters.groupsAggregated() + dropped);
        assertTrue(counters.heapBytes() <= StatsConfig.MIN_MAX_HEAP_BYTES);
        clock.set(NOW + 21 * SECOND);
        assertEquals(counters.groupsAggregated(), a.flush(false).getFirst().buckets().getFirst().groups().size());
        assertEquals(0, a.counters().heapBytes());
    }

    @Test
    void forceFlushesEveryWindow() {
        ManualClock clock = new ManualClock(NOW);
        ClientStatsAggregator a = new ClientStatsAggregator(clock, MAX_HEAP);
        a.add(randomPayload(NOW));
        assertEquals(List.of(), a.flush(false));
        assertEquals(1, a.flush(true).size());
        assertEquals(0, a.counters().openWindows());
    }
}
