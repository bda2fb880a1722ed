package io.pilotfish.collector.apm.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of sampling decisions: a fixed grid of sampler × priority label, so the memory is constant whatever the
 * traffic (the Agent's per-service breakdown is left to the statsd side).
 */
final class SamplingStats {

    static final String[] PRIORITY_LABELS = {"manual_drop", "auto_drop", "auto_keep", "manual_keep", "none"};
    private static final int NONE = 4;

    private final LongAdder[] seen = adders(SamplerName.values().length * PRIORITY_LABELS.length);
    private final LongAdder[] kept = adders(SamplerName.values().length * PRIORITY_LABELS.length);
    final LongAdder chunksKept = new LongAdder();
    final LongAdder chunksDropped = new LongAdder();
    final LongAdder chunksSingleSpan = new LongAdder();
    final LongAdder chunksAnalyzedOnly = new LongAdder();
    final LongAdder spansDropped = new LongAdder();
    final LongAdder eventsExtracted = new LongAdder();
    final LongAdder eventsSampled = new LongAdder();

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    /** The priority is only part of the key for the priority sampler, as in the Agent. */
    void decision(SamplerName sampler, int priority, boolean keep) {
        int label = sampler == SamplerName.PRIORITY ? label(priority) : NONE;
        int index = sampler.ordinal() * PRIORITY_LABELS.length + label;
        seen[index].increment();
        if (keep) {
            kept[index].increment();
        }
    }

    private static int label(int priority) {
        return switch (priority) {
            case SamplingKeys.PRIORITY_USER_DROP -> 0;
            case SamplingKeys.PRIORITY_AUTO_DROP -> 1;
            case SamplingKeys.PRIORITY_AUTO_KEEP -> 2;
            case SamplingKeys.PRIORITY_USER_KEEP -> 3;
            default -> NONE;
        };
    }

    List<SamplingStatus.DecisionCount> decisions() {
        List<SamplingStatus.DecisionCount> out = new ArrayList<>();
        for (SamplerName sampler : SamplerName.values()) {
            for (int label = 0; label < PRIORITY_LABELS.length; label++) {
                int index = sampler.ordinal() * PRIORITY_LABELS.length + label;
                long s = seen[index].sum();
                if (s > 0) {
                    out.add(new SamplingStatus.DecisionCount(sampler, PRIORITY_LABELS[label], s, kept[index].sum()));
                }
            }
        }
        return out;
    }
}
