package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The error and no-priority samplers, after the Agent's {@code scoresampler_test.go}. */
class ScoreSamplerTest {

    private final ManualClock clock = new ManualClock();
    private final Random random = new Random(7);

    private static ChunkDraft draft(long traceId, String childService, int error) {
        return new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE, List.of(
                Traces.span(traceId, 1, 0, "mcnulty", "http.request", "GET /", error, Map.of(), Map.of()),
                Traces.span(traceId, 2, 1, childService, "sql.query", "SELECT ?", 0, Map.of(), Map.of()))));
    }

    @Test
    void theErrorSamplerKeepsAboutItsTargetPerSecond() {
        ScoreSampler sampler = ScoreSampler.errors(SamplingConfig.builder("none").errorTps(10).build());
        int generatedTps = 200;
        int warmUp = 2;
        int periods = 10;
        int kept = 0;
        for (int period = 0; period < warmUp + periods; period++) {
            clock.advanceSeconds(5);
            for (int i = 0; i < generatedTps * 5; i++) {
                boolean sampled = sampler.sample(clock.monotonicNanos(), draft(random.nextLong(), "mcnulty", 1),
                        "testEnv");
                if (period >= warmUp && sampled) {
                    kept++;
                }
            }
        }
        assertEquals(10.0, kept / (periods * 5.0), 10.0 * 0.2);
    }

    @Test
    void anErrorTpsOfZeroTurnsTheErrorSamplerOff() {
        ScoreSampler sampler = ScoreSampler.errors(SamplingConfig.builder("none").errorTps(0).build());
        for (int i = 0; i < 100; i++) {
            assertFalse(sampler.sample(clock.monotonicNanos(), draft(i, "mcnulty", 1), "testEnv"));
        }
        assertEquals(0, sampler.signatures());
    }

    @Test
    void aKeptRootCarriesTheSamplersRate() {
        TraceSampler sampler = new TraceSampler(SamplingConfig.defaults("none"), clock);
        TraceChunk errored = Traces.chunk(0, Traces.webTrace(5, "web", 1, Map.of()));
        SamplingOutcome outcome = sampler.sample(errored, "prod", 0);
        assertTrue(outcome.kept());
        assertEquals(SamplerName.ERROR, outcome.decidedBy());
        assertEquals(1.0, Traces.root(outcome.chunk()).metrics().get("_dd.errors_sr"));

        TraceChunk noPriority = Traces.chunk(TraceChunk.PRIORITY_NONE, Traces.webTrace(6, "web", 0, Map.of()));
        SamplingOutcome kept = sampler.sample(noPriority, "prod", 0);
        assertEquals(SamplerName.NO_PRIORITY, kept.decidedBy());
        assertEquals(1.0, Traces.root(kept.chunk()).metrics().get("_dd.no_p_sr"));
        assertEquals(TraceChunk.PRIORITY_NONE, kept.chunk().priority(), "the Agent leaves the priority unset");
    }

    @Test
    void theTracersSampleRateLowersTheChanceAndWeighsTheCount() {
        ScoreSampler sampler = ScoreSampler.noPriority(SamplingConfig.builder("none").build());
        // a tracer that kept 1 in 4 sends chunks that stand for 4 traces each, and at rate 0 nothing is kept
        ChunkDraft quarter = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE,
                Traces.webTrace(3, "web", 0, Map.of("_sample_rate", 0.25))));
        assertEquals(4f, ScoreSampler.rootWeight(quarter));
        ChunkDraft none = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE,
                Traces.webTrace(3, "web", 0, Map.of("_sample_rate", 0.0))));
        assertEquals(1f, ScoreSampler.rootWeight(none), "an impossible rate counts as 1");
        assertFalse(sampler.sample(clock.monotonicNanos(), none, "prod"));
    }

    @Test
    void theExtraRateScalesKnownSignatures() {
        ScoreSampler full = ScoreSampler.errors(SamplingConfig.builder("none").build());
        ScoreSampler third = ScoreSampler.errors(SamplingConfig.builder("none").extraSampleRate(0.33).build());
        for (ScoreSampler sampler : List.of(full, third)) {
            for (int i = 0; i < 10_000; i++) {
                sampler.sample(clock.monotonicNanos(), draft(i, "mcnulty", 1), "testEnv");
            }
            sampler.sample(clock.monotonicNanos() + 10_000_000_000L, draft(1, "mcnulty", 1), "testEnv");
        }
        long signature = Signatures.trace(draft(1, "mcnulty", 1).spans, draft(1, "mcnulty", 1).root(), "testEnv");
        assertTrue(full.signatureRate(signature) < 1);
        assertEquals(0.33 * full.signatureRate(signature), third.signatureRate(signature), 1e-12);
    }

    @Test
    void signaturesAreCappedAtTwoHundred() {
        ScoreSampler sampler = ScoreSampler.errors(SamplingConfig.builder("none").build());
        int largest = 0;
        for (int i = 0; i < 20_000; i++) {
            if (i % 1_000 == 0) {
                clock.advanceSeconds(5);
            }
            // each chunk a new shape: a child service never seen before
            sampler.sample(clock.monotonicNanos(), draft(i, "svc-" + i, 1), "testEnv");
            largest = Math.max(largest, sampler.signatures());
        }
        assertTrue(largest <= ScoreSampler.SHRINK_CARDINALITY, "largest " + largest);
        assertTrue(largest > ScoreSampler.SHRINK_CARDINALITY / 2,
                "past 100 signatures new shapes still count, in shared slots: largest " + largest);
    }

    @Test
    void aChunkWithoutErrorsIsNotForTheErrorSampler() {
        TraceSampler sampler = new TraceSampler(SamplingConfig.defaults("none"), clock);
        SamplingOutcome outcome = sampler.sample(Traces.chunk(0, Traces.webTrace(5, "web", 0, Map.of())), "prod", 0);
        assertFalse(outcome.kept());
        assertNull(outcome.chunk());
        assertEquals(SamplerName.PRIORITY, outcome.decidedBy());
        assertEquals(0, sampler.errorSampler().signatures());
    }

    @Test
    void chunksOfOneTraceAreDecidedAlike() {
        // past the target the decision is the trace id's: every chunk of a trace shares it
        ScoreSampler sampler = ScoreSampler.errors(SamplingConfig.builder("none").errorTps(1).build());
        for (int i = 0; i < 1_000; i++) {
            sampler.sample(clock.monotonicNanos(), draft(random.nextLong(), "mcnulty", 1), "e");
        }
        clock.advanceSeconds(5);
        int agreements = 0;
        for (int i = 0; i < 200; i++) {
            long traceId = random.nextLong();
            boolean first = sampler.sample(clock.monotonicNanos(), draft(traceId, "mcnulty", 1), "e");
            boolean second = sampler.sample(clock.monotonicNanos(), draft(traceId, "mcnulty", 1), "e");
            agreements += first == second ? 1 : 0;
        }
        assertEquals(200, agreements);
        Span root = draft(1, "mcnulty", 1).root();
        assertEquals(1, root.error());
    }
}
