package io.pilotfish.collector.apm.sample;

import java.util.List;

/**
 * The sampling counters since start, for {@code pilotfish status} and self-telemetry.
 *
 * @param decisions           chunks seen and kept, by sampler and (for the priority sampler) priority
 * @param chunksKept          chunks kept whole
 * @param chunksDropped       chunks dropped with nothing sent
 * @param chunksSingleSpan    dropped chunks of which only single-span-sampled spans were sent
 * @param chunksAnalyzedOnly  dropped chunks of which only analysed spans were sent
 * @param spansDropped        spans not sent because their chunk was dropped
 * @param eventsExtracted     analysed spans found
 * @param eventsSampled       analysed spans kept after the extraction rate and the events-per-second limit
 * @param rareHits            chunks kept by the rare sampler
 * @param rareMisses          rare chunks not kept because the rare sampler's limit was reached
 * @param rareShrinks         times a rare sampler shard hit its cardinality and was folded
 * @param prioritySignatures  (service, env) pairs the priority sampler tracks
 * @param ratesVersion        the current {@code Datadog-Rates-Payload-Version}
 * @param targetTps           the configured target traces per second
 * @param errorTps            the configured error traces per second
 */
public record SamplingStatus(List<DecisionCount> decisions, long chunksKept, long chunksDropped,
                             long chunksSingleSpan, long chunksAnalyzedOnly, long spansDropped, long eventsExtracted,
                             long eventsSampled, long rareHits, long rareMisses, long rareShrinks,
                             int prioritySignatures, String ratesVersion, double targetTps, double errorTps) {

    /**
     * @param sampler  the deciding sampler
     * @param priority for the priority sampler the chunk's priority as the Agent's {@code sampling_priority} tag
     *                 names it ({@code manual_drop}, {@code auto_drop}, {@code auto_keep}, {@code manual_keep});
     *                 {@code none} for the other samplers
     * @param seen     chunks it decided on
     * @param kept     chunks it kept
     */
    public record DecisionCount(SamplerName sampler, String priority, long seen, long kept) {
    }
}
