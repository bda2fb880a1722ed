package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The traces of a v0.3, v0.4 or v0.5 payload, in the order sent: each a list of spans, possibly empty (the agent
 * drops empty traces later, counting them). A {@code nil} span is not kept.
 *
 * @param traces    the traces; the lists are not copied and must not be changed
 * @param spanCount the spans in all of them
 */
public record DecodedTraces(List<List<Span>> traces, int spanCount) {

    public DecodedTraces {
        traces = Collections.unmodifiableList(traces);
    }

    /** How many traces have no span. */
    public int emptyTraceCount() {
        int empty = 0;
        for (List<Span> trace : traces) {
            if (trace.isEmpty()) {
                empty++;
            }
        }
        return empty;
    }

    /**
     * One chunk per non-empty trace, as the agent wraps these formats: {@link TraceChunk#PRIORITY_NONE} (resolved
     * later from the spans' {@code _sampling_priority_v1}), no origin, no tags, not dropped.
     *
     * @param tracer what the request's headers say about the tracer, shared by every chunk
     */
    public List<TraceChunk> toChunks(TracerInfo tracer) {
        List<TraceChunk> chunks = new ArrayList<>(traces.size());
        for (List<Span> trace : traces) {
            if (!trace.isEmpty()) {
                chunks.add(new TraceChunk(tracer, TraceChunk.PRIORITY_NONE, "", trace, null, false));
            }
        }
        return chunks;
    }
}
