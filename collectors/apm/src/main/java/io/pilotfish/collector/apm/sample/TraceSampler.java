package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import java.util.Objects;

/**
 * The trace-agent's sampling of one chunk, in the Agent's order ({@code pkg/trace/agent/agent.go}):
 *
 * <ol>
 *   <li>the chunk's priority, origin and decision maker are taken from its spans when the chunk field is unset
 *       (v0.3–v0.5 tracers put them on the root), and the tracer's {@code _sample_rate} is copied to
 *       {@code _dd1.sr.rcusr};</li>
 *   <li>the rare sampler sees every chunk first (so kept chunks mark their spans as seen);</li>
 *   <li>with the probabilistic sampler on, it decides (rare first, errors after) and sets the priority and
 *       {@code _dd.p.dm = -9};</li>
 *   <li>otherwise a user drop (priority &lt; 0) is dropped, a rare chunk kept, a chunk with a priority goes to the
 *       priority sampler and one without to the no-priority sampler, and an error chunk they did not keep to the
 *       error sampler;</li>
 *   <li>analysed spans are extracted (not for user drops); a dropped chunk is sent as its single-span-sampled spans
 *       (priority 2), else as its analysed spans ({@code droppedTrace}), else not at all.</li>
 * </ol>
 *
 * <p>Thread-safe; each sampler holds its own lock, as in the Agent. No random source: every decision hashes the
 * trace id, so all chunks of a trace are kept or dropped alike.
 */
public final class TraceSampler {

    private static final int[] NO_SPANS = new int[0];

    private record Decision(boolean keep, boolean checkEvents, SamplerName sampler, int priority) {
    }

    private final SamplingConfig config;
    private final SamplingClock clock;
    private final RatesByService rates = new RatesByService();
    private final PrioritySampler prioritySampler;
    private final ScoreSampler errorSampler;
    private final ScoreSampler noPrioritySampler;
    private final RareSampler rareSampler;
    private final ProbabilisticSampler probabilisticSampler;
    private final EventProcessor events;
    private final SamplingStats stats = new SamplingStats();

    public TraceSampler(SamplingConfig config) {
        this(config, SamplingClock.system());
    }

    public TraceSampler(SamplingConfig config, SamplingClock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.prioritySampler = new PrioritySampler(config, rates, clock);
        this.errorSampler = ScoreSampler.errors(config);
        this.noPrioritySampler = ScoreSampler.noPriority(config);
        this.rareSampler = new RareSampler(config);
        this.probabilisticSampler = config.probabilisticSamplerEnabled()
                ? new ProbabilisticSampler(config.probabilisticSamplingPercent(), config.probabilisticHashSeed(),
                config.probabilisticFullTraceId())
                : null;
        this.events = new EventProcessor(config);
    }

    /**
     * Samples one chunk.
     *
     * @param chunk                  a normalised chunk ({@code _top_level} already set)
     * @param tracerEnv              the tracer payload's env, filled from the root's {@code env} tag when the payload
     *                               had none, as the Agent does; empty when unknown
     * @param clientDroppedP0sWeight the P0 chunks the tracer dropped itself ({@code Datadog-Client-Dropped-P0-Traces})
     *                               divided by the number of chunks in the payload; 0 when not sent
     */
    public SamplingOutcome sample(TraceChunk chunk, String tracerEnv, double clientDroppedP0sWeight) {
        long now = clock.monotonicNanos();
        String env = tracerEnv == null ? "" : tracerEnv;
        double droppedP0s = clientDroppedP0sWeight > 0 && Double.isFinite(clientDroppedP0sWeight)
                ? clientDroppedP0sWeight : 0;
        ChunkDraft draft = new ChunkDraft(chunk);
        takeChunkAttributesFromSpans(draft);
        draft.setRateBelowOne(draft.rootIndex, SamplingKeys.CLIENT_RATE,
                draft.metric(draft.rootIndex, SamplingKeys.SAMPLE_RATE, 1.0));

        Decision decision = runSamplers(now, draft, env, droppedP0s);
        stats.decision(decision.sampler, decision.priority, decision.keep);
        EventProcessor.Events found = decision.checkEvents
                ? events.process(now, draft, (byte) draft.priority(), !decision.keep)
                : EventProcessor.Events.NONE;
        stats.eventsExtracted.add(found.extracted());
        stats.eventsSampled.add(found.sampled());
        return new SamplingOutcome(forward(draft, decision.keep, found), decision.keep, decision.sampler,
                found.sampled());
    }

    private Decision runSamplers(long now, ChunkDraft chunk, String env, double droppedP0s) {
        boolean hasPriority = chunk.priority() != TraceChunk.PRIORITY_NONE;
        // the Agent holds priorities in an int8
        int priority = hasPriority ? (byte) chunk.priority() : 0;
        int statsPriority = hasPriority ? priority : TraceChunk.PRIORITY_NONE;
        boolean rare = rareSampler.sample(now, chunk, hasPriority, priority, env);

        if (probabilisticSampler != null) {
            SamplerName sampler = SamplerName.PROBABILISTIC;
            boolean keep = false;
            if (rare) {
                sampler = SamplerName.RARE;
                keep = true;
            } else if (probabilisticSampler.sample(chunk)) {
                chunk.tag(SamplingKeys.DECISION_MAKER, SamplingKeys.DECISION_PROBABILISTIC);
                keep = true;
            } else if (containsError(chunk)) {
                sampler = SamplerName.ERROR;
                keep = errorSampler.sample(now, chunk, env);
            }
            chunk.priority(keep ? SamplingKeys.PRIORITY_AUTO_KEEP : SamplingKeys.PRIORITY_AUTO_DROP);
            return new Decision(keep, true, sampler, statsPriority);
        }

        SamplerName sampler = !hasPriority ? SamplerName.NO_PRIORITY
                : probabilisticUpstream(chunk) ? SamplerName.PROBABILISTIC : SamplerName.PRIORITY;
        if (priority < 0) {
            return new Decision(false, false, sampler, statsPriority);
        }
        if (rare) {
            return new Decision(true, true, SamplerName.RARE, statsPriority);
        }
        boolean keep = hasPriority
                ? prioritySampler.sample(now, chunk, priority, env, droppedP0s)
                : noPrioritySampler.sample(now, chunk, env);
        if (keep) {
            return new Decision(true, true, sampler, statsPriority);
        }
        if (containsError(chunk)) {
            return new Decision(errorSampler.sample(now, chunk, env), true, SamplerName.ERROR, statsPriority);
        }
        return new Decision(false, true, sampler, statsPriority);
    }

    /** What is sent of the chunk, and the counts of it. */
    private TraceChunk forward(ChunkDraft chunk, boolean keep, EventProcessor.Events found) {
        if (keep) {
            stats.chunksKept.increment();
            return chunk.build(false);
        }
        int[] singleSpan = NO_SPANS;
        int singleSpanCount = 0;
        for (int i = 0; i < chunk.spans.size(); i++) {
            if (chunk.hasMetric(i, SamplingKeys.SPAN_SAMPLING_MECHANISM)) {
                if (singleSpan == NO_SPANS) {
                    singleSpan = new int[chunk.spans.size()];
                }
                singleSpan[singleSpanCount++] = i;
            }
        }
        TraceChunk out = null;
        if (singleSpanCount > 0) {
            // single-span sampling replaces App Analytics: when both apply, the Agent sends the single spans
            stats.chunksSingleSpan.increment();
            out = chunk.buildSubset(singleSpan, singleSpanCount, SamplingKeys.PRIORITY_USER_KEEP, false);
        } else if (found.droppedTraceSpanCount() > 0) {
            stats.chunksAnalyzedOnly.increment();
            out = chunk.buildSubset(found.droppedTraceSpans(), found.droppedTraceSpanCount(), chunk.priority(), true);
        } else {
            stats.chunksDropped.increment();
        }
        stats.spansDropped.add(chunk.spans.size() - (out == null ? 0 : out.spans().size()));
        return out;
    }

    /**
     * The Agent's {@code setChunkAttributes}: v0.3–v0.5 chunks carry no priority, origin or decision maker of their
     * own; they come from the root (or the first span that has them). Idempotent, so it does not matter whether
     * normalisation did it already.
     */
    private static void takeChunkAttributesFromSpans(ChunkDraft chunk) {
        if (chunk.priority() == TraceChunk.PRIORITY_NONE) {
            Double priority = chunk.metric(chunk.rootIndex, SamplingKeys.SAMPLING_PRIORITY);
            for (int i = 0; priority == null && i < chunk.spans.size(); i++) {
                priority = chunk.metric(i, SamplingKeys.SAMPLING_PRIORITY);
            }
            if (priority != null) {
                chunk.priority(toInt32(priority));
            }
        }
        if (chunk.origin().isEmpty()) {
            String origin = chunk.root().meta().get(SamplingKeys.ORIGIN);
            if (origin != null) {
                chunk.origin(origin);
            }
        }
        if (chunk.tag(SamplingKeys.DECISION_MAKER) == null) {
            for (Span span : chunk.spans) {
                String decisionMaker = span.meta().get(SamplingKeys.DECISION_MAKER);
                if (decisionMaker != null) {
                    chunk.tag(SamplingKeys.DECISION_MAKER, decisionMaker);
                    break;
                }
            }
        }
    }

    /** Go's {@code int32(float64)} as it behaves on amd64: truncation, and the minimum for NaN or out of range. */
    private static int toInt32(double value) {
        return value >= -2147483648.0 && value < 2147483648.0 ? (int) value : Integer.MIN_VALUE;
    }

    private static boolean containsError(ChunkDraft chunk) {
        for (Span span : chunk.spans) {
            if (span.error() != 0) {
                return true;
            }
        }
        return false;
    }

    /** A chunk an upstream probabilistic sampler (the Agent's OTLP receiver) decided. */
    private static boolean probabilisticUpstream(ChunkDraft chunk) {
        return SamplingKeys.DECISION_PROBABILISTIC.equals(chunk.tag(SamplingKeys.DECISION_MAKER))
                || SamplingKeys.DECISION_PROBABILISTIC.equals(chunk.spans.get(0).meta().get(SamplingKeys.DECISION_MAKER));
    }

    /**
     * The {@code rate_by_service} answer for a v0.4/v0.5/v0.7 request.
     *
     * @param requestRatesVersion the request's {@code Datadog-Rates-Payload-Version}, or null
     */
    public RatesResponse ratesResponse(String requestRatesVersion) {
        return rates.response(requestRatesVersion);
    }

    /** The header tracers send and receive the rates version in. */
    public static String ratesVersionHeader() {
        return RatesByService.HEADER;
    }

    public SamplingConfig config() {
        return config;
    }

    public SamplingStatus status() {
        return new SamplingStatus(stats.decisions(), stats.chunksKept.sum(), stats.chunksDropped.sum(),
                stats.chunksSingleSpan.sum(), stats.chunksAnalyzedOnly.sum(), stats.spansDropped.sum(),
                stats.eventsExtracted.sum(), stats.eventsSampled.sum(), rareSampler.hits(), rareSampler.misses(),
                rareSampler.shrinks(), prioritySampler.catalogSize(), rates.version(), config.targetTps(),
                config.errorTps());
    }

    // for tests in this package
    PrioritySampler prioritySampler() {
        return prioritySampler;
    }

    ScoreSampler errorSampler() {
        return errorSampler;
    }

    RareSampler rareSampler() {
        return rareSampler;
    }
}
