package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The Datadog Agent's DogStatsD aggregation, value for value. */
class AggregatorTest {

    private static final TagSet TAGS = TagSet.of("env:test");
    private static final long T0 = 1_700_000_000L; // a bucket start (divisible by 10)

    private final Aggregator aggregator = new Aggregator(Aggregator.Settings.DEFAULTS);

    private static MetricSample sample(String name, StatsdType type, double rate, double... values) {
        return new MetricSample(name, type, values, "", rate, TagSet.EMPTY, 0, Origin.NONE);
    }

    private static MetricSample member(String name, String value) {
        return new MetricSample(name, StatsdType.SET, new double[0], value, 1, TagSet.EMPTY, 0, Origin.NONE);
    }

    private void add(MetricSample sample, long at) {
        assertTrue(aggregator.add(sample, TAGS, "", at));
    }

    private Map<String, Metric> flush(long now, boolean all) {
        List<Metric> out = new ArrayList<>();
        aggregator.flush(now, all, signal -> out.add((Metric) signal));
        Map<String, Metric> byName = new LinkedHashMap<>();
        out.forEach(m -> byName.put(m.name() + "@" + m.timestamp(), m));
        return byName;
    }

    @Test
    void thousandIncrementsAtHalfRateAreACountOf2000OverTheInterval() {
        for (int i = 0; i < 1000; i++) {
            add(sample("hits", StatsdType.COUNT, 0.5, 1), T0 + i % 10);
        }
        Metric hits = flush(T0 + 10, false).get("hits@" + T0);
        assertEquals(MetricType.RATE, hits.type());
        assertEquals(200.0, hits.value(), 1e-9, "per second");
        assertEquals(10, hits.intervalSeconds());
        assertEquals(2000.0, hits.value() * hits.intervalSeconds(), 1e-9, "what Datadog shows as the count");
        assertEquals(TAGS, hits.tags());
    }

    @Test
    void gaugesKeepTheLastValueAndSetsCountDistinctMembers() {
        add(sample("temp", StatsdType.GAUGE, 1, 3, 4), T0);
        add(sample("temp", StatsdType.GAUGE, 1, 7), T0 + 5);
        for (String user : List.of("a", "b", "a", "c", "b")) {
            add(member("users", user), T0 + 1);
        }
        Map<String, Metric> out = flush(T0 + 10, false);
        assertEquals(7.0, out.get("temp@" + T0).value());
        assertEquals(MetricType.GAUGE, out.get("temp@" + T0).type());
        assertEquals(3.0, out.get("users@" + T0).value());
    }

    @Test
    void histogramsAndTimingsGiveTheAgentsAggregatesAndPercentiles() {
        for (int v = 1; v <= 100; v++) {
            add(sample("latency", v % 2 == 0 ? StatsdType.TIMING : StatsdType.HISTOGRAM, 1, v), T0 + 3);
        }
        Map<String, Metric> out = flush(T0 + 10, false);
        assertEquals(100.0, out.get("latency.max@" + T0).value());
        assertEquals(50.0, out.get("latency.median@" + T0).value());
        assertEquals(50.5, out.get("latency.avg@" + T0).value());
        assertEquals(MetricType.RATE, out.get("latency.count@" + T0).type());
        assertEquals(10.0, out.get("latency.count@" + T0).value(), "100 samples over 10 s");
        assertEquals(95.0, out.get("latency.95percentile@" + T0).value());
        assertEquals(5, out.size(), out.keySet().toString());
    }

    @Test
    void sampledHistogramValuesWeighByTheInverseRate() {
        add(sample("h", StatsdType.HISTOGRAM, 0.25, 10), T0);
        add(sample("h", StatsdType.HISTOGRAM, 1, 20, 30), T0);
        Map<String, Metric> out = flush(T0 + 10, false);
        assertEquals(0.6, out.get("h.count@" + T0).value(), 1e-9, "weights 4 + 1 + 1 over 10 s");
        assertEquals(15.0, out.get("h.avg@" + T0).value(), 1e-9, "(40 + 20 + 30) / 6");
        assertEquals(10.0, out.get("h.median@" + T0).value(), "the sampled value weighs 4 of 6");
    }

    @Test
    void configuredAggregatesAndPercentiles() {
        Aggregator custom = new Aggregator(new Aggregator.Settings(List.of("min", "sum"), List.of(99, 50), 10, 300));
        custom.add(sample("h", StatsdType.HISTOGRAM, 1, 5, 1, 9), TAGS, "", T0);
        List<Metric> out = new ArrayList<>();
        custom.flush(T0 + 10, false, signal -> out.add((Metric) signal));
        assertEquals(List.of("h.min", "h.sum", "h.50percentile", "h.99percentile"),
                out.stream().map(Metric::name).toList());
        assertEquals(List.of(1.0, 15.0, 5.0, 9.0), out.stream().map(Metric::value).toList());
        assertThrows(IllegalArgumentException.class, () -> new Aggregator.Settings(List.of("p99"), List.of(), 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Aggregator.Settings(List.of(), List.of(0), 1, 0));
    }

    @Test
    void bucketsAreTenSecondsByArrivalAndOnlyClosedOnesFlush() {
        add(sample("c", StatsdType.COUNT, 1, 1), T0);
        add(sample("c", StatsdType.COUNT, 1, 2), T0 + 9);
        add(sample("c", StatsdType.COUNT, 1, 4), T0 + 10);
        Map<String, Metric> first = flush(T0 + 15, false);
        assertEquals(0.3, first.get("c@" + T0).value(), 1e-9);
        assertFalse(first.containsKey("c@" + (T0 + 10)), "the open bucket waits");
        Map<String, Metric> atShutdown = flush(T0 + 15, true);
        assertEquals(0.4, atShutdown.get("c@" + (T0 + 10)).value(), 1e-9, "shutdown flushes the open bucket too");
        assertEquals(0, aggregator.contexts());
    }

    @Test
    void aQuietCounterReportsZeroUntilItExpires() {
        Aggregator short5 = new Aggregator(new Aggregator.Settings(List.of(), List.of(), 100, 30));
        short5.add(sample("c", StatsdType.COUNT, 1, 5), TAGS, "", T0);
        List<Metric> out = new ArrayList<>();
        short5.flush(T0 + 10, false, signal -> out.add((Metric) signal));
        short5.flush(T0 + 60, false, signal -> out.add((Metric) signal));
        assertEquals(List.of(0.5, 0.0, 0.0), out.stream().map(Metric::value).toList(),
                "one real point, then zeros for the 30 s expiry, then nothing");
        assertEquals(List.of(T0, T0 + 10, T0 + 20), out.stream().map(Metric::timestamp).toList());
    }

    @Test
    void tagsAndHostMakeSeparateContexts() {
        aggregator.add(sample("g", StatsdType.GAUGE, 1, 1), TagSet.of("a:1"), "", T0);
        aggregator.add(sample("g", StatsdType.GAUGE, 1, 2), TagSet.of("a:2"), "", T0);
        aggregator.add(sample("g", StatsdType.GAUGE, 1, 3), TagSet.of("a:1"), "web-1", T0);
        assertEquals(3, aggregator.contexts());
    }

    @Test
    void theContextBudgetRefusesNewContextsButFeedsKnownOnes() {
        Aggregator small = new Aggregator(new Aggregator.Settings(List.of(), List.of(), 2, 300));
        assertTrue(small.add(sample("a", StatsdType.GAUGE, 1, 1), TAGS, "", T0));
        assertTrue(small.add(sample("b", StatsdType.GAUGE, 1, 1), TAGS, "", T0));
        assertFalse(small.add(sample("c", StatsdType.GAUGE, 1, 1), TAGS, "", T0));
        assertTrue(small.add(sample("a", StatsdType.GAUGE, 1, 2), TAGS, "", T0));
    }

    @Test
    void timestampedSamplesBypassAggregation() {
        MetricSample gauge = new MetricSample("g", StatsdType.GAUGE, new double[] {1, 2}, "", 1, TagSet.EMPTY,
                T0 - 300, Origin.NONE);
        List<Metric> out = Aggregator.unaggregated(gauge, TAGS, "");
        assertEquals(2, out.size());
        assertEquals(T0 - 300, out.get(0).timestamp());
        MetricSample count = new MetricSample("c", StatsdType.COUNT, new double[] {50}, "", 1, TagSet.EMPTY, T0,
                Origin.NONE);
        Metric rate = Aggregator.unaggregated(count, TAGS, "").get(0);
        assertEquals(MetricType.RATE, rate.type());
        assertEquals(5.0, rate.value());
        MetricSample histogram = new MetricSample("h", StatsdType.HISTOGRAM, new double[] {1}, "", 1, TagSet.EMPTY,
                T0, Origin.NONE);
        assertTrue(Aggregator.unaggregated(histogram, TAGS, "").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> aggregator.add(gauge, TAGS, "", T0));
    }

    @Test
    void aDistributionBecomesOneSketchPerContextAndBucketWeighedByRate() {
        aggregator.add(sample("d", StatsdType.DISTRIBUTION, 1, 1, 2, 3), TAGS, "", T0);
        aggregator.add(sample("d", StatsdType.DISTRIBUTION, 0.5, 10), TAGS, "", T0 + 3);
        aggregator.add(sample("d", StatsdType.DISTRIBUTION, 1, 7), TAGS, "", T0 + 10);
        List<io.pilotfish.spi.signal.Signal> out = new ArrayList<>();
        aggregator.flush(T0 + 10, false, out::add);
        assertEquals(1, out.size(), "one sketch for the closed bucket: " + out);
        io.pilotfish.spi.signal.Sketch sketch = (io.pilotfish.spi.signal.Sketch) out.get(0);
        assertEquals("d", sketch.name());
        assertEquals(T0, sketch.timestamp());
        assertEquals(TAGS, sketch.tags());
        assertEquals(5, sketch.count(), "1, 2, 3 once and 10 twice (rate 0.5)");
        assertEquals(1, sketch.min());
        assertEquals(10, sketch.max());
        assertEquals(26, sketch.sum(), 1e-9);
        aggregator.flush(T0 + 10, true, out::add);
        assertEquals(7, ((io.pilotfish.spi.signal.Sketch) out.get(1)).max(), "shutdown flushes the open bucket");
    }

    @Test
    void everySeriesCarriesTheTenSecondIntervalAndTheDogStatsdOriginAsTheAgentSendsThem() {
        Aggregator all = new Aggregator(new Aggregator.Settings(Aggregator.Settings.SUPPORTED_AGGREGATES, List.of(95),
                100, 30));
        all.add(sample("hits", StatsdType.COUNT, 1, 1), TAGS, "", T0);
        all.add(sample("level", StatsdType.GAUGE, 1, 5), TAGS, "", T0);
        all.add(member("users", "alice"), TAGS, "", T0);
        all.add(sample("latency", StatsdType.TIMING, 1, 10, 20), TAGS, "", T0);
        List<Metric> out = new ArrayList<>();
        all.flush(T0 + 10, false, signal -> out.add((Metric) signal));
        all.flush(T0 + 20, false, signal -> out.add((Metric) signal)); // the quiet counter's 0
        out.addAll(Aggregator.unaggregated(new MetricSample("backfill", StatsdType.GAUGE, new double[] {1}, "", 1,
                TagSet.EMPTY, T0 - 60, Origin.NONE), TAGS, ""));
        out.addAll(Aggregator.unaggregated(new MetricSample("backfill.count", StatsdType.COUNT, new double[] {1}, "",
                1, TagSet.EMPTY, T0 - 60, Origin.NONE), TAGS, ""));

        assertEquals(java.util.Set.of("hits@" + T0, "level@" + T0, "users@" + T0, "latency.max@" + T0,
                "latency.min@" + T0, "latency.median@" + T0, "latency.avg@" + T0, "latency.sum@" + T0,
                "latency.count@" + T0, "latency.95percentile@" + T0, "hits@" + (T0 + 10), "backfill@" + (T0 - 60),
                "backfill.count@" + (T0 - 60)), out.stream().map(m -> m.name() + "@" + m.timestamp())
                .collect(java.util.stream.Collectors.toSet()));
        for (Metric metric : out) {
            assertEquals(10, metric.intervalSeconds(), metric.toString());
            assertEquals(MetricOrigin.DOGSTATSD, metric.origin(), metric.toString());
        }
    }

    @Test
    void aTimestampedCountIgnoresItsRateAsTheAgentsNoAggregationPipelineDoes() {
        MetricSample sampled = new MetricSample("c", StatsdType.COUNT, new double[] {50}, "", 0.5, TagSet.EMPTY, T0,
                Origin.NONE);
        assertEquals(5.0, Aggregator.unaggregated(sampled, TAGS, "").get(0).value(), "50 / 10, not 100 / 10");
    }

    @Test
    void histogramSamplesAtRatesAboveOneAddToTheSumAndMaxButWeighNothing() {
        add(sample("h", StatsdType.HISTOGRAM, 0.5, 10), T0);
        add(sample("h", StatsdType.HISTOGRAM, 2, 30), T0);
        add(sample("only.fast", StatsdType.HISTOGRAM, 2, 10, 40), T0);
        add(sample("zero.rate", StatsdType.HISTOGRAM, 0, 10), T0);
        Map<String, Metric> out = flush(T0 + 10, false);

        assertEquals(0.2, out.get("h.count@" + T0).value(), 1e-9, "weights 2 and int(1 / 2) = 0, over 10 s");
        assertEquals(17.5, out.get("h.avg@" + T0).value(), 1e-9, "(10 x 2 + 30 x 0.5) / 2");
        assertEquals(30.0, out.get("h.max@" + T0).value());
        assertEquals(10.0, out.get("h.median@" + T0).value(), "the weightless 30 is never a rank");
        assertEquals(10.0, out.get("h.95percentile@" + T0).value());

        assertEquals(40.0, out.get("only.fast.max@" + T0).value());
        assertEquals(0.0, out.get("only.fast.count@" + T0).value());
        assertFalse(out.containsKey("only.fast.median@" + T0), "no sample carries weight: " + out.keySet());
        assertFalse(out.containsKey("only.fast.avg@" + T0), "the Agent's would be infinite: " + out.keySet());
        assertFalse(out.containsKey("only.fast.95percentile@" + T0), out.keySet().toString());

        assertEquals(0.1, out.get("zero.rate.count@" + T0).value(), 1e-9, "a rate of 0 counts as 1");
        assertEquals(10.0, out.get("zero.rate.avg@" + T0).value());
    }

    @Test
    void aDistributionCountsTheWholePartOfItsWeightAndSumsAllOfItAndTakesOddRatesAsOne() {
        aggregator.add(sample("d", StatsdType.DISTRIBUTION, 0.3, 10), TAGS, "", T0);
        aggregator.add(sample("odd", StatsdType.DISTRIBUTION, 2, 10), TAGS, "", T0);
        aggregator.add(sample("odd", StatsdType.DISTRIBUTION, 0, 10), TAGS, "", T0);
        aggregator.add(sample("odd", StatsdType.DISTRIBUTION, -1, 10), TAGS, "", T0);
        List<Sketch> out = new ArrayList<>();
        aggregator.flush(T0 + 10, true, signal -> out.add((Sketch) signal));
        Sketch sampled = out.stream().filter(sketch -> sketch.name().equals("d")).findFirst().orElseThrow();
        assertEquals(3, sampled.count(), "int(1 / 0.3)");
        assertEquals(10 * (1 / 0.3), sampled.sum(), 1e-9, "the sum takes the whole weight, as the Agent's sketch");
        Sketch odd = out.stream().filter(sketch -> sketch.name().equals("odd")).findFirst().orElseThrow();
        assertEquals(3, odd.count(), "rates 2, 0 and -1 each weigh 1");
    }

    @Test
    void samplesKeptApartByOriginMergeOnceTheirTagsTurnOutTheSame() {
        OriginTags.Source app = new OriginTags.Source("app-id", Cardinality.LOW);
        OriginTags.Source unknown = new OriginTags.Source("gone-id", Cardinality.LOW);
        OriginTags.Source none = new OriginTags.Source("", Cardinality.LOW);
        // The metadata names only app-id's container: the others get the task's tags alone.
        BiFunction<TagSet, OriginTags.Source, TagSet> tags = (own, source) -> own.with(
                source.containerId().equals("app-id") ? TagSet.of("cluster_name:demo", "ecs_container_name:app")
                        : TagSet.of("cluster_name:demo"));
        for (OriginTags.Source source : List.of(none, unknown, app)) {
            assertTrue(aggregator.addUnresolved(sample("hits", StatsdType.COUNT, 1, 1), TAGS, source, "", T0));
            assertTrue(aggregator.addUnresolved(member("users", source.containerId()), TAGS, source, "", T0));
            assertTrue(aggregator.addUnresolved(sample("latency", StatsdType.HISTOGRAM, 1, 10), TAGS, source, "",
                    T0));
            assertTrue(aggregator.addUnresolved(sample("size", StatsdType.DISTRIBUTION, 1, 4), TAGS, source, "",
                    T0));
        }
        assertTrue(aggregator.addUnresolved(sample("level", StatsdType.GAUGE, 1, 1), TAGS, unknown, "", T0));
        assertTrue(aggregator.addUnresolved(sample("level", StatsdType.GAUGE, 1, 2), TAGS, none, "", T0 + 1));
        assertEquals(14, aggregator.contexts(), "apart while their tags are not known");
        assertThrows(IllegalStateException.class, () -> flush(T0 + 10, false), "never sent without their tags");

        aggregator.resolve(tags);

        assertEquals(9, aggregator.contexts());
        List<io.pilotfish.spi.signal.Signal> out = new ArrayList<>();
        aggregator.flush(T0 + 10, false, out::add);
        TagSet task = TAGS.with(TagSet.of("cluster_name:demo"));
        TagSet appTags = TAGS.with(TagSet.of("cluster_name:demo", "ecs_container_name:app"));
        Map<String, Metric> byNameAndTags = new LinkedHashMap<>();
        out.stream().filter(Metric.class::isInstance).map(Metric.class::cast)
                .forEach(m -> byNameAndTags.put(m.name() + (m.tags().equals(appTags) ? "@app" : "@task"), m));
        assertEquals(0.2, byNameAndTags.get("hits@task").value(), 1e-9, "no origin and a gone container add up");
        assertEquals(0.1, byNameAndTags.get("hits@app").value(), 1e-9);
        assertEquals(task, byNameAndTags.get("hits@task").tags());
        assertEquals(2.0, byNameAndTags.get("users@task").value(), "members \"\" and gone-id");
        assertEquals(0.2, byNameAndTags.get("latency.count@task").value(), 1e-9);
        assertEquals(2.0, byNameAndTags.get("level@task").value(), "the gauge that arrived last");
        List<Sketch> sketches = out.stream().filter(Sketch.class::isInstance).map(Sketch.class::cast).toList();
        assertEquals(List.of(1L, 2L), sketches.stream().map(Sketch::count).sorted().toList());
    }
}
