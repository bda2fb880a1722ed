package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rare sampler, after the Agent's {@code rare_sampler_test.go}. */
class RareSamplerTest {

    private static final long MINUTE = 60_000_000_000L;
    private static final long PRIORITY_TTL = 10 * MINUTE;
    private static final long COOLDOWN = 5 * MINUTE;
    private static final long T0 = ManualClock.START_NANOS;

    private final RareSampler sampler = new RareSampler(SamplingConfig.builder("none").rareSamplerEnabled(true)
            .build());

    private static Span span(String service, String resource, Map<String, Double> metrics) {
        return Traces.span(1, 1, 0, service, "op", resource, 0, Map.of(), metrics);
    }

    private boolean sample(long now, int priority, Span... spans) {
        return sample(now, new ChunkDraft(Traces.chunk(priority, List.of(spans))), priority, "");
    }

    private boolean sample(long now, ChunkDraft chunk, int priority, String env) {
        boolean hasPriority = priority != TraceChunk.PRIORITY_NONE;
        return sampler.sample(now, chunk, hasPriority, hasPriority ? priority : 0, env);
    }

    @Test
    void aCombinationIsRareOnlyAfterItsTimeToLive() {
        Map<String, Double> topLevel = Map.of("_top_level", 1.0);
        int none = TraceChunk.PRIORITY_NONE;
        // the Agent's table, in order: each step sees what the previous ones left
        assertFalse(sample(T0, 1, span("s1", "r1", topLevel)), "a kept chunk is only remembered");
        assertFalse(sample(T0, none, span("s1", "r1", topLevel)), "seen in a kept chunk");
        assertFalse(sample(T0 + PRIORITY_TTL, none, span("s1", "r1", topLevel)), "still seen at the TTL");
        assertTrue(sample(T0 + PRIORITY_TTL + 1, none, span("s1", "r1", topLevel)), "rare once the TTL passed");
        assertFalse(sample(T0 + PRIORITY_TTL + 1, none, span("s1", "r1", topLevel)), "cooling down");
        assertFalse(sample(T0 + PRIORITY_TTL + COOLDOWN + 1, none, span("s1", "r1", topLevel)),
                "the cooldown runs from the rare keep");
        assertTrue(sample(T0 + PRIORITY_TTL + COOLDOWN + 2, none, span("s1", "r1", Map.of("_dd.measured", 1.0))),
                "a measured span counts as a top-level one");
    }

    @Test
    void onlyTopLevelAndMeasuredSpansAreConsidered() {
        assertFalse(sample(T0, 1, span("s1", "", Map.of("_top_level", 1.0))));
        assertTrue(sample(T0, TraceChunk.PRIORITY_NONE, span("s2", "", Map.of("_top_level", 1.0))));
        assertTrue(sample(T0, TraceChunk.PRIORITY_NONE, span("s3", "", Map.of("_dd.measured", 1.0))));
        assertFalse(sample(T0, TraceChunk.PRIORITY_NONE, span("s4", "", Map.of())));
    }

    @Test
    void theSpanThatWasRareIsMarkedAndTheOthersRefreshed() {
        Span r1 = span("s1", "r1", Map.of("_top_level", 1.0));
        Span r2 = span("s1", "r2", Map.of("_top_level", 1.0));
        ChunkDraft first = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE, List.of(r1)));
        assertTrue(sample(T0, first, TraceChunk.PRIORITY_NONE, "prod"));
        assertEquals(1.0, first.span(0).metrics().get("_dd.rare"));

        ChunkDraft second = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE, List.of(r1, r2)));
        assertTrue(sample(T0 + COOLDOWN, second, TraceChunk.PRIORITY_NONE, "prod"), "sampled because of r2");
        assertFalse(second.span(0).metrics().containsKey("_dd.rare"));
        assertEquals(1.0, second.span(1).metrics().get("_dd.rare"));

        // r1 was refreshed by the second keep
        ChunkDraft third = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE, List.of(r1)));
        assertFalse(sample(T0 + COOLDOWN + 1, third, TraceChunk.PRIORITY_NONE, "prod"));
    }

    @Test
    void aShardHoldsAtMostItsCardinality() {
        int cardinality = SamplingConfig.DEFAULT_RARE_SAMPLER_CARDINALITY;
        for (int j = 1; j <= cardinality; j++) {
            sample(T0, 1, span("", Integer.toString(j), Map.of("_top_level", 1.0)));
            assertEquals(j, sampler.largestShard());
        }
        sample(T0, TraceChunk.PRIORITY_NONE, span("", "newResource", Map.of("_top_level", 1.0)));
        assertEquals(1, sampler.shards());
        assertTrue(sampler.largestShard() <= cardinality);
        assertEquals(1, sampler.shrinks());
    }

    @Test
    void shardsAreCapped() {
        for (int i = 0; i < RareSampler.MAX_SHARDS * 3; i++) {
            sample(T0, 1, span("service-" + i, "r", Map.of("_top_level", 1.0)));
        }
        assertEquals(RareSampler.MAX_SHARDS, sampler.shards());
    }

    @Test
    void rareKeepsAreLimitedToFivePerSecondAfterABurstOfFifty() {
        int kept = 0;
        for (int i = 0; i < 100; i++) {
            kept += sample(T0, TraceChunk.PRIORITY_NONE, span("s", "r" + i, Map.of("_top_level", 1.0))) ? 1 : 0;
        }
        assertEquals(RareSampler.BURST, kept);
        assertEquals(50, sampler.misses());
        kept = 0;
        for (int i = 0; i < 100; i++) {
            kept += sample(T0 + 1_000_000_000L, TraceChunk.PRIORITY_NONE,
                    span("s", "later" + i, Map.of("_top_level", 1.0))) ? 1 : 0;
        }
        assertEquals(5, kept, "one second refills five tokens");
    }

    @Test
    void theRareSamplerIsOffByDefault() {
        TraceSampler agent = new TraceSampler(SamplingConfig.defaults("none"), new ManualClock());
        TraceChunk chunk = Traces.chunk(0, Traces.webTrace(9, "web", 0, Map.of()));
        assertNull(agent.sample(chunk, "prod", 0).chunk());
        assertEquals(0, agent.rareSampler().hits());
    }

    @Test
    void anAutoDropWithANewCombinationIsKeptAsRare() {
        TraceSampler agent = new TraceSampler(SamplingConfig.builder("none").rareSamplerEnabled(true)
                .rareSamplerCooldown(Duration.ofMinutes(1)).build(), new ManualClock());
        List<Span> spans = new ArrayList<>(Traces.webTrace(9, "web", 0, Map.of()));
        SamplingOutcome outcome = agent.sample(Traces.chunk(0, spans), "prod", 0);
        assertTrue(outcome.kept());
        assertEquals(SamplerName.RARE, outcome.decidedBy());
        assertEquals(1.0, Traces.root(outcome.chunk()).metrics().get("_dd.rare"));
        assertFalse(agent.sample(Traces.chunk(0, spans), "prod", 0).kept(), "the second one is not rare");
        assertFalse(agent.sample(Traces.chunk(-1, Traces.webTrace(10, "other", 0, Map.of())), "prod", 0).kept(),
                "a user drop stays dropped even when rare");
    }
}
