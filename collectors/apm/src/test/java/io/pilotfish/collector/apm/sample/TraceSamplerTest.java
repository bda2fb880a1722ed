package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The samplers in the Agent's order, and what is sent of a chunk. */
class TraceSamplerTest {

    private final ManualClock clock = new ManualClock();
    private final TraceSampler sampler = new TraceSampler(SamplingConfig.defaults("none"), clock);

    private static Span root(long traceId, Map<String, String> meta, Map<String, Double> metrics) {
        return Traces.span(traceId, 1, 0, "web", "http.request", "GET /", 0, meta, metrics);
    }

    private static Span child(long traceId, long spanId, Map<String, Double> metrics) {
        return Traces.span(traceId, spanId, 1, "web", "sql.query", "SELECT ?", 0, Map.of(), metrics);
    }

    @Test
    void aV04ChunkTakesItsPriorityOriginAndDecisionMakerFromItsSpans() {
        TraceChunk chunk = Traces.chunk(TraceChunk.PRIORITY_NONE, List.of(
                child(1, 2, Map.of()),
                Traces.span(1, 1, 0, "web", "http.request", "GET /", 0,
                        Map.of("_dd.origin", "synthetics", "_dd.p.dm", "-3"),
                        Map.of("_sampling_priority_v1", 2.0))));
        SamplingOutcome outcome = sampler.sample(chunk, "prod", 0);
        assertTrue(outcome.kept());
        assertEquals(SamplerName.PRIORITY, outcome.decidedBy());
        assertEquals(2, outcome.chunk().priority());
        assertEquals("synthetics", outcome.chunk().origin());
        assertEquals("-3", outcome.chunk().tags().get("_dd.p.dm"));
        assertEquals("-3", Traces.root(outcome.chunk()).meta().get("_dd.p.dm"), "the span keeps its tag too");
    }

    @Test
    void aTracersKeptChunkIsPassedOnAsItCame() {
        TraceChunk chunk = Traces.chunk(1, List.of(root(1, Map.of(), Map.of("_dd.agent_psr", 1.0,
                "_top_level", 1.0)), child(1, 2, Map.of())));
        assertSame(chunk, sampler.sample(chunk, "prod", 0).chunk());
    }

    @Test
    void theTracersSampleRateIsCopiedToTheClientRate() {
        TraceChunk chunk = Traces.chunk(2, List.of(root(1, Map.of(), Map.of("_sample_rate", 0.5))));
        assertEquals(0.5, Traces.root(sampler.sample(chunk, "prod", 0).chunk()).metrics().get("_dd1.sr.rcusr"));
        TraceChunk full = Traces.chunk(2, List.of(root(1, Map.of(), Map.of("_sample_rate", 1.0,
                "_dd1.sr.rcusr", 0.3))));
        assertFalse(Traces.root(sampler.sample(full, "prod", 0).chunk()).metrics().containsKey("_dd1.sr.rcusr"),
                "a rate of 1 is not written, and a stale one is removed");
    }

    @Test
    void aUserDropIsDroppedWithNothingSent() {
        TraceChunk chunk = Traces.chunk(-1, List.of(root(1, Map.of(), Map.of()), child(1, 2, Map.of())));
        SamplingOutcome outcome = sampler.sample(chunk, "prod", 0);
        assertFalse(outcome.kept());
        assertNull(outcome.chunk());
        SamplingStatus status = sampler.status();
        assertEquals(1, status.chunksDropped());
        assertEquals(2, status.spansDropped());
        assertEquals(List.of(new SamplingStatus.DecisionCount(SamplerName.PRIORITY, "manual_drop", 1, 0)),
                status.decisions());
    }

    @Test
    void ofADroppedChunkOnlyTheSingleSpanSampledSpansAreSent() {
        Span kept = child(1, 3, Map.of("_dd.span_sampling.mechanism", 8.0));
        TraceChunk chunk = Traces.chunk(-1, List.of(root(1, Map.of(), Map.of()), child(1, 2, Map.of()), kept));
        SamplingOutcome outcome = sampler.sample(chunk, "prod", 0);
        assertFalse(outcome.kept());
        assertEquals(List.of(kept), outcome.chunk().spans());
        assertEquals(2, outcome.chunk().priority(), "the Agent marks them user-kept");
        assertFalse(outcome.chunk().droppedTrace());
        assertEquals(1, sampler.status().chunksSingleSpan());
        assertEquals(2, sampler.status().spansDropped());
    }

    @Test
    void ofADroppedChunkTheAnalysedSpansAreSentMarkedDropped() {
        TraceChunk chunk = Traces.chunk(0, List.of(root(1, Map.of(), Map.of()),
                child(1, 2, Map.of("_dd1.sr.eausr", 1.0)), child(1, 3, Map.of())));
        SamplingOutcome outcome = sampler.sample(chunk, "prod", 0);
        assertFalse(outcome.kept());
        assertEquals(1, outcome.events());
        TraceChunk sent = outcome.chunk();
        assertTrue(sent.droppedTrace());
        assertEquals(1, sent.spans().size());
        Span event = sent.spans().get(0);
        assertEquals(2, event.spanId());
        assertEquals(1.0, event.metrics().get("_dd.analyzed"));
        assertFalse(event.metrics().containsKey("_dd1.sr.eausr"), "a rate of 1 is not written");
        assertEquals(1, sampler.status().chunksAnalyzedOnly());
        assertEquals(1, sampler.status().eventsSampled());
    }

    @Test
    void analysedSpansOfAKeptChunkAreTaggedInPlace() {
        TraceChunk chunk = Traces.chunk(1, List.of(root(1, Map.of(), Map.of("_dd1.sr.eausr", 0.9999999))));
        SamplingOutcome outcome = sampler.sample(chunk, "prod", 0);
        assertTrue(outcome.kept());
        Span rootSpan = Traces.root(outcome.chunk());
        assertFalse(outcome.chunk().droppedTrace());
        assertEquals(1.0, rootSpan.metrics().get("_dd.analyzed"));
        assertEquals(0.9999999, rootSpan.metrics().get("_dd1.sr.eausr"));
    }

    @Test
    void analysedSpansAreNotExtractedFromUserDrops() {
        TraceChunk chunk = Traces.chunk(-1, List.of(root(1, Map.of(), Map.of("_dd1.sr.eausr", 1.0))));
        SamplingOutcome outcome = sampler.sample(chunk, "prod", 0);
        assertNull(outcome.chunk());
        assertEquals(0, sampler.status().eventsExtracted());
    }

    @Test
    void analysedSpansOfServicesNamedInTheConfigAreExtracted() {
        TraceSampler configured = new TraceSampler(SamplingConfig.builder("none")
                .analyzedSpans(SamplingConfig.analyzedSpans("WEB|SQL.query=1")).build(), clock);
        TraceChunk chunk = Traces.chunk(0, List.of(root(1, Map.of(), Map.of()), child(1, 2, Map.of())));
        SamplingOutcome outcome = configured.sample(chunk, "prod", 0);
        assertEquals(1, outcome.chunk().spans().size());
        assertEquals(2, outcome.chunk().spans().get(0).spanId());
    }

    @Test
    void analysedSpansAreLimitedToMaxEpsUnlessTheUserKeptTheTrace() {
        TraceSampler limited = new TraceSampler(SamplingConfig.builder("none").maxEps(10).build(), clock);
        int events = 0;
        // 200 candidates a second; the limiter's estimate takes tens of seconds to build up (it decays by 1/9 a
        // second), then lets through a little under 10 a second (it overestimates the flow by 12.5% to stay under)
        for (int second = 0; second < 90; second++) {
            clock.advanceSeconds(1);
            for (int i = 0; i < 200; i++) {
                long traceId = second * 1000L + i + 1;
                int sampled = limited.sample(Traces.chunk(0, List.of(root(traceId, Map.of(),
                        Map.of("_dd1.sr.eausr", 1.0)))), "prod", 0).events();
                events += second >= 60 ? sampled : 0;
            }
        }
        assertTrue(events > 30 * 8 && events <= 30 * 10, "events in the last 30 s: " + events);

        int userKept = 0;
        for (int i = 0; i < 200; i++) {
            userKept += limited.sample(Traces.chunk(2, List.of(root(90_000 + i, Map.of(),
                    Map.of("_dd1.sr.eausr", 0.5)))), "prod", 0).events();
        }
        assertEquals(200, userKept, "user-kept traces bypass the limit and keep every event asked for");
    }

    @Test
    void theProbabilisticSamplerDecidesAndSaysSo() {
        TraceSampler probabilistic = new TraceSampler(SamplingConfig.builder("none")
                .probabilisticSamplerEnabled(true).probabilisticSamplingPercent(100).build(), clock);
        SamplingOutcome kept = probabilistic.sample(Traces.chunk(0, List.of(root(1, Map.of(), Map.of()))), "prod",
                0);
        assertTrue(kept.kept());
        assertEquals(SamplerName.PROBABILISTIC, kept.decidedBy());
        assertEquals(1, kept.chunk().priority(), "the tracer's drop is overruled");
        assertEquals("-9", kept.chunk().tags().get("_dd.p.dm"));
        assertEquals(1.0, Traces.root(kept.chunk()).metrics().get("_dd.prob_sr"));

        TraceSampler none = new TraceSampler(SamplingConfig.builder("none")
                .probabilisticSamplerEnabled(true).probabilisticSamplingPercent(0).errorTps(0).build(), clock);
        SamplingOutcome dropped = none.sample(Traces.chunk(2, List.of(
                root(1, Map.of(), Map.of()), child(1, 2, Map.of("_dd1.sr.eausr", 1.0)))), "prod", 0);
        assertFalse(dropped.kept());
        assertEquals(0, dropped.chunk().priority(), "even a user keep becomes an auto drop");
        assertTrue(dropped.chunk().droppedTrace());
    }

    @Test
    void statusCountsDecisionsBySamplerAndPriority() {
        sampler.sample(Traces.chunk(1, List.of(root(1, Map.of(), Map.of()))), "prod", 0);
        sampler.sample(Traces.chunk(1, List.of(root(2, Map.of(), Map.of()))), "prod", 0);
        sampler.sample(Traces.chunk(0, List.of(root(3, Map.of(), Map.of()))), "prod", 0);
        sampler.sample(Traces.chunk(TraceChunk.PRIORITY_NONE, List.of(root(4, Map.of(), Map.of()))), "prod", 0);
        SamplingStatus status = sampler.status();
        assertEquals(List.of(
                new SamplingStatus.DecisionCount(SamplerName.PRIORITY, "auto_drop", 1, 0),
                new SamplingStatus.DecisionCount(SamplerName.PRIORITY, "auto_keep", 2, 2),
                new SamplingStatus.DecisionCount(SamplerName.NO_PRIORITY, "none", 1, 1)), status.decisions());
        assertEquals(3, status.chunksKept());
        assertEquals(1, status.chunksDropped());
        assertEquals(1, status.prioritySignatures());
        assertEquals(10.0, status.targetTps());
    }

    @Test
    void samplingFromSeveralThreadsCountsEveryChunk() throws Exception {
        AtomicLong nanos = new AtomicLong(ManualClock.START_NANOS);
        SamplingClock ticking = new SamplingClock() {
            @Override
            public long monotonicNanos() {
                return nanos.addAndGet(1_000_000);
            }

            @Override
            public long epochSecond() {
                return ManualClock.EPOCH_SECOND;
            }
        };
        TraceSampler shared = new TraceSampler(SamplingConfig.builder("none").rareSamplerEnabled(true).build(),
                ticking);
        int threads = 4;
        int perThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        long traceId = thread * 1_000_000L + i;
                        int priority = i % 4 == 3 ? TraceChunk.PRIORITY_NONE : i % 4 - 1;
                        shared.sample(Traces.chunk(priority, Traces.webTrace(traceId, "svc-" + i % 50, i % 7 == 0
                                ? 1 : 0, Map.of())), "env-" + thread, i % 3);
                        shared.ratesResponse("x");
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        SamplingStatus status = shared.status();
        long seen = status.decisions().stream().mapToLong(SamplingStatus.DecisionCount::seen).sum();
        assertEquals(threads * perThread, seen);
        assertEquals(seen, status.chunksKept() + status.chunksDropped() + status.chunksSingleSpan()
                + status.chunksAnalyzedOnly());
        assertTrue(status.prioritySignatures() <= threads * 50);
    }

    @Test
    void theRootIsFoundAsTheAgentFindsIt() {
        // no parent 0: the span whose parent is not in the chunk
        List<Span> orphans = List.of(Traces.span(1, 5, 4, "a", "x", "r", 0, Map.of(), Map.of()),
                Traces.span(1, 4, 3, "a", "x", "r", 0, Map.of(), Map.of()));
        assertEquals(1, ChunkDraft.rootIndex(orphans));
        // several parent-0 spans: the last one
        List<Span> roots = List.of(Traces.span(1, 1, 0, "a", "x", "r", 0, Map.of(), Map.of()),
                Traces.span(1, 2, 0, "a", "x", "r", 0, Map.of(), Map.of()));
        assertEquals(1, ChunkDraft.rootIndex(roots));
        // a cycle: the last span
        List<Span> cycle = List.of(Traces.span(1, 1, 2, "a", "x", "r", 0, Map.of(), Map.of()),
                Traces.span(1, 2, 1, "a", "x", "r", 0, Map.of(), Map.of()));
        assertEquals(1, ChunkDraft.rootIndex(cycle));
    }
}
