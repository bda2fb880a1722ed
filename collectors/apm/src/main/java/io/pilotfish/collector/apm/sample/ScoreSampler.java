package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;
import java.util.HashSet;
import java.util.Set;

/**
 * The Agent's score samplers: the error sampler (chunks with an error the other samplers did not keep, up to
 * {@code DD_APM_ERROR_TPS}) and the no-priority sampler (chunks whose tracer set no priority, up to the target TPS).
 * Each counts chunks by trace signature (the shape of the trace: services, operations, errors, status codes, the
 * root's resource), rates each signature towards its target and keeps a chunk when its trace id falls under the
 * rate, so every chunk of one trace is kept or dropped alike.
 *
 * <p>Memory is capped as in the Agent: once 100 signatures are tracked, signatures not already rated are folded
 * onto 100 shared slots, which bounds the window at 200 signatures.
 */
final class ScoreSampler {

    static final int SHRINK_CARDINALITY = 200;
    private static final int FOLDED_SLOTS = SHRINK_CARDINALITY / 2;

    private final String rateKey;
    private final boolean disabled;
    private final RateWindow window;
    /** The signatures rated when folding started; they keep their own slot. Null while not folding. */
    private Set<Long> unfolded;

    ScoreSampler(String rateKey, double targetTps, double extraRate, boolean disabled) {
        this.rateKey = rateKey;
        this.disabled = disabled;
        this.window = new RateWindow(targetTps, extraRate);
    }

    static ScoreSampler errors(SamplingConfig config) {
        return new ScoreSampler(SamplingKeys.ERRORS_RATE, config.errorTps(), config.extraSampleRate(),
                config.errorTps() == 0);
    }

    static ScoreSampler noPriority(SamplingConfig config) {
        return new ScoreSampler(SamplingKeys.NO_PRIORITY_RATE, config.targetTps(), config.extraSampleRate(), false);
    }

    /** Counts the chunk and says whether to keep it; a kept root records the rate in the sampler's metric. */
    synchronized boolean sample(long nowNanos, ChunkDraft chunk, String env) {
        if (disabled) {
            return false;
        }
        Span root = chunk.root();
        long signature = fold(Signatures.trace(chunk.spans, root, env == null ? "" : env));
        window.count(nowNanos, signature, rootWeight(chunk));
        double rate = window.signatureRate(signature);
        double clientRate = chunk.metric(chunk.rootIndex, SamplingKeys.SAMPLE_RATE, 1.0);
        boolean sampled = TraceIdSampling.keep(root.traceId(), clientRate * rate);
        if (sampled) {
            chunk.setMetric(chunk.rootIndex, rateKey, rate);
        }
        return sampled;
    }

    private long fold(long signature) {
        if (window.size() < FOLDED_SLOTS) {
            unfolded = null;
            return signature;
        }
        if (unfolded == null) {
            unfolded = new HashSet<>(window.rates().keySet());
        }
        return unfolded.contains(signature) ? signature : signature % FOLDED_SLOTS;
    }

    synchronized int signatures() {
        return window.size();
    }

    synchronized double signatureRate(long signature) {
        return window.signatureRate(signature);
    }

    /**
     * How many traces the chunk stands for: the inverse of the rates it already went through (the tracer's
     * {@code _sample_rate}, an old pre-sampler's), each taken as 1 when missing or outside (0, 1].
     */
    static float rootWeight(ChunkDraft chunk) {
        double clientRate = validRate(chunk.metric(chunk.rootIndex, SamplingKeys.SAMPLE_RATE));
        double preSamplerRate = validRate(chunk.metric(chunk.rootIndex, SamplingKeys.PRE_SAMPLER_RATE));
        return (float) (1.0 / (preSamplerRate * clientRate));
    }

    private static double validRate(Double rate) {
        // NaN counts as missing too, so one bad tag cannot poison the window
        return rate != null && rate > 0 && rate <= 1 ? rate : 1.0;
    }
}
