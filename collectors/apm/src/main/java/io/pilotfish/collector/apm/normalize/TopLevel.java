package io.pilotfish.collector.apm.normalize;

import io.pilotfish.spi.trace.Span;
import java.util.Arrays;
import java.util.List;

/**
 * Marks the top-level spans of a chunk with {@code _top_level} = 1, as the trace-agent does: the spans a service's
 * stats count as its entry points.
 */
public final class TopLevel {

    private TopLevel() {
    }

    /**
     * The agent's own computation ({@code ComputeTopLevel}), for tracers that did not send
     * {@code Datadog-Client-Computed-Top-Level}: a span is top-level when it is a root (parent 0), its parent is not
     * in the chunk, or its parent belongs to another service. Existing flags are never removed.
     *
     * @return the spans, each replaced only when it gains the flag; {@code spans} itself when none does
     */
    public static List<Span> compute(List<Span> spans) {
        SpanIdIndex index = new SpanIdIndex(spans.size());
        for (int i = 0; i < spans.size(); i++) {
            index.put(spans.get(i).spanId(), i);
        }
        Span[] marked = mark(spans, index);
        return marked == null ? spans : Arrays.asList(marked);
    }

    /** The tracer's flags ({@code _dd.top_level} = 1) copied to {@code _top_level}, for tracers that computed them. */
    public static List<Span> fromTracer(List<Span> spans) {
        Span[] marked = markFromTracer(spans);
        return marked == null ? spans : Arrays.asList(marked);
    }

    /** The spans with the flag added where due, or null when no span changes. */
    static Span[] mark(List<Span> spans, SpanIdIndex index) {
        Span[] out = null;
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            if (!isTopLevelInChunk(span, spans, index)) {
                continue;
            }
            Span flagged = SpanFlags.withTopLevel(span);
            if (flagged != span) {
                if (out == null) {
                    out = spans.toArray(new Span[0]);
                }
                out[i] = flagged;
            }
        }
        return out;
    }

    static Span[] markFromTracer(List<Span> spans) {
        Span[] out = null;
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            Double tracerFlag = span.metrics().get(SpanFlags.TRACER_TOP_LEVEL);
            if (tracerFlag == null || tracerFlag != 1.0) {
                continue;
            }
            Span flagged = SpanFlags.withTopLevel(span);
            if (flagged != span) {
                if (out == null) {
                    out = spans.toArray(new Span[0]);
                }
                out[i] = flagged;
            }
        }
        return out;
    }

    private static boolean isTopLevelInChunk(Span span, List<Span> spans, SpanIdIndex index) {
        if (span.parentId() == 0) {
            return true;
        }
        int parent = index.positionOf(span.parentId());
        return parent < 0 || !spans.get(parent).service().equals(span.service());
    }
}
