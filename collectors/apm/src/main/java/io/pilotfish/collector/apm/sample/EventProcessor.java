package io.pilotfish.collector.apm.sample;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * App Analytics events, as the Agent still extracts them: a span becomes an analysed span when its tracer set an
 * extraction rate ({@code _dd1.sr.eausr}) or {@code DD_APM_ANALYZED_SPANS} names its service and operation, kept at
 * that rate by trace id, then limited to {@code DD_APM_MAX_EPS} events a second (user-kept traces bypass the
 * limit). Analysed spans are tagged with the rates they went through; of a dropped trace only they are sent.
 */
final class EventProcessor {

    /** The extracted events of one chunk: how many, and which spans (only listed when the trace was dropped). */
    record Events(int extracted, int sampled, int[] droppedTraceSpans, int droppedTraceSpanCount) {
        static final Events NONE = new Events(0, 0, new int[0], 0);
    }

    private final Map<String, Map<String, Double>> ratesByServiceAndOperation;
    private final double maxEps;
    private final DecayingRate eventRate = new DecayingRate();

    EventProcessor(SamplingConfig config) {
        this.maxEps = config.maxEps();
        Map<String, Map<String, Double>> lowered = new HashMap<>();
        config.analyzedSpans().forEach((service, operations) -> {
            Map<String, Double> ops = lowered.computeIfAbsent(service.toLowerCase(Locale.ROOT), k -> new HashMap<>());
            operations.forEach((operation, rate) -> ops.put(operation.toLowerCase(Locale.ROOT), rate));
        });
        this.ratesByServiceAndOperation = lowered;
    }

    Events process(long nowNanos, ChunkDraft chunk, int priority, boolean droppedTrace) {
        double clientRate = chunk.metric(chunk.rootIndex, SamplingKeys.CLIENT_RATE, 1.0);
        double preSamplerRate = chunk.metric(chunk.rootIndex, SamplingKeys.PRE_SAMPLER_RATE, 1.0);
        int extracted = 0;
        int sampled = 0;
        int[] kept = null;
        for (int i = 0; i < chunk.spans.size(); i++) {
            Double extractionRate = extractionRate(chunk, i, priority);
            long traceId = chunk.spans.get(i).traceId();
            if (extractionRate == null || !TraceIdSampling.keep(traceId, extractionRate)) {
                continue;
            }
            extracted++;
            double epsRate = priority == SamplingKeys.PRIORITY_USER_KEEP ? 1.0 : epsRate(nowNanos);
            if (!TraceIdSampling.keep(traceId, epsRate)) {
                continue;
            }
            chunk.setRateBelowOne(i, SamplingKeys.MAX_EPS_RATE, epsRate);
            chunk.setRateBelowOne(i, SamplingKeys.CLIENT_RATE, clientRate);
            chunk.setRateBelowOne(i, SamplingKeys.PRE_SAMPLER_RATE, preSamplerRate);
            chunk.setRateBelowOne(i, SamplingKeys.EVENT_EXTRACTION_RATE, extractionRate);
            chunk.setMetric(i, SamplingKeys.ANALYZED, 1);
            if (droppedTrace) {
                if (kept == null) {
                    kept = new int[chunk.spans.size()];
                }
                kept[sampled] = i;
            }
            sampled++;
        }
        if (extracted == 0) {
            return Events.NONE;
        }
        return new Events(extracted, sampled, kept == null ? new int[0] : kept, kept == null ? 0 : sampled);
    }

    /** The extraction rate, null when the span is not an event; user-kept traces keep every event asked for. */
    private Double extractionRate(ChunkDraft chunk, int span, int priority) {
        Double rate = chunk.metric(span, SamplingKeys.EVENT_EXTRACTION_RATE);
        if (rate == null && !ratesByServiceAndOperation.isEmpty()) {
            Map<String, Double> operations = ratesByServiceAndOperation.get(
                    chunk.spans.get(span).service().toLowerCase(Locale.ROOT));
            if (operations != null) {
                rate = operations.get(chunk.spans.get(span).name().toLowerCase(Locale.ROOT));
            }
        }
        return rate != null && rate > 0 && priority >= SamplingKeys.PRIORITY_USER_KEEP ? Double.valueOf(1.0) : rate;
    }

    /** Counts one event and returns the rate that holds the event flow under the maximum. */
    private synchronized double epsRate(long nowNanos) {
        eventRate.count(nowNanos);
        double current = eventRate.perSecond(nowNanos);
        return current > maxEps ? maxEps / current : 1.0;
    }

    /**
     * The Agent's event-rate estimate: a count divided by 1.125 every second, read as
     * {@code count / 9 × 1.125} (9 being the steady-state count of one event a second), an upper bound of the
     * recent rate. The decay is applied lazily for the seconds that passed.
     */
    static final class DecayingRate {
        private static final long PERIOD_NANOS = 1_000_000_000L;
        private static final double FACTOR = 1.125;
        private static final double SCALE = FACTOR / (FACTOR - 1);

        private double score;
        private long lastDecay;
        private boolean started;

        void count(long nowNanos) {
            decay(nowNanos);
            score++;
        }

        double perSecond(long nowNanos) {
            decay(nowNanos);
            return score / SCALE * FACTOR;
        }

        private void decay(long nowNanos) {
            if (!started) {
                started = true;
                lastDecay = nowNanos;
                return;
            }
            long periods = (nowNanos - lastDecay) / PERIOD_NANOS;
            if (periods > 0) {
                score /= Math.pow(FACTOR, periods);
                lastDecay += periods * PERIOD_NANOS;
            }
        }
    }
}
