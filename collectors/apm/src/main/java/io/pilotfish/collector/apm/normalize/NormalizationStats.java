package io.pilotfish.collector.apm.normalize;

import java.util.EnumMap;
import java.util.Map;

/**
 * What normalisation changed and dropped, by the Agent's reasons: spans fixed per {@link SpanFix}, traces dropped per
 * {@link TraceDropReason} and the spans those traces held. Plain counters, not thread-safe: one instance per payload
 * (or per worker thread), added into the receiver's telemetry with {@link #addTo}.
 */
public final class NormalizationStats {

    private static final SpanFix[] FIXES = SpanFix.values();
    private static final TraceDropReason[] DROPS = TraceDropReason.values();

    private final long[] fixes = new long[FIXES.length];
    private final long[] drops = new long[DROPS.length];
    private long droppedSpans;

    void fixed(SpanFix fix) {
        fixes[fix.ordinal()]++;
    }

    void dropped(TraceDropReason reason, int spans) {
        drops[reason.ordinal()]++;
        droppedSpans += spans;
    }

    /** How many spans were fixed (or, for {@link SpanFix#DUPLICATE_SPAN_ID}, found) for this reason. */
    public long count(SpanFix fix) {
        return fixes[fix.ordinal()];
    }

    /** How many trace chunks were dropped for this reason. */
    public long count(TraceDropReason reason) {
        return drops[reason.ordinal()];
    }

    /** The spans of all dropped chunks (the Agent's {@code spans_dropped}). */
    public long droppedSpans() {
        return droppedSpans;
    }

    /** Whether nothing was fixed or dropped. */
    public boolean isEmpty() {
        if (droppedSpans != 0) {
            return false;
        }
        for (long n : fixes) {
            if (n != 0) {
                return false;
            }
        }
        for (long n : drops) {
            if (n != 0) {
                return false;
            }
        }
        return true;
    }

    /** The non-zero span fixes, in the enum's order. */
    public Map<SpanFix, Long> spanFixes() {
        Map<SpanFix, Long> out = new EnumMap<>(SpanFix.class);
        for (SpanFix fix : FIXES) {
            if (fixes[fix.ordinal()] != 0) {
                out.put(fix, fixes[fix.ordinal()]);
            }
        }
        return out;
    }

    /** The non-zero trace drops, in the enum's order. */
    public Map<TraceDropReason, Long> traceDrops() {
        Map<TraceDropReason, Long> out = new EnumMap<>(TraceDropReason.class);
        for (TraceDropReason reason : DROPS) {
            if (drops[reason.ordinal()] != 0) {
                out.put(reason, drops[reason.ordinal()]);
            }
        }
        return out;
    }

    /** Adds these counts into {@code total}. */
    public void addTo(NormalizationStats total) {
        for (int i = 0; i < fixes.length; i++) {
            total.fixes[i] += fixes[i];
        }
        for (int i = 0; i < drops.length; i++) {
            total.drops[i] += drops[i];
        }
        total.droppedSpans += droppedSpans;
    }

    @Override
    public String toString() {
        return "NormalizationStats{fixes=" + spanFixes() + ", drops=" + traceDrops() + ", droppedSpans=" + droppedSpans
                + "}";
    }
}
