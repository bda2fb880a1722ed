package io.pilotfish.spi.trace;

import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The spans of one trace that a tracer sent together ({@code pb.TraceChunk}), the unit traces travel in through
 * the pipeline: queued, batched, retried and counted as one signal, whatever its number of spans.
 *
 * @param tracer       where it comes from; the same instance for every chunk of one tracer payload
 * @param priority     the sampling priority (1): -1 user drop, 0 auto drop, 1 auto keep, 2 user keep, or
 *                     {@link #PRIORITY_NONE} when the tracer set none
 * @param origin       e.g. {@code synthetics}, or empty (2)
 * @param spans        (3), never empty
 * @param tags         chunk tags (4), e.g. {@code _dd.p.dm}
 * @param droppedTrace whether the agent's samplers dropped it and only its analysed spans are kept (5)
 */
public record TraceChunk(TracerInfo tracer, int priority, String origin, List<Span> spans, Map<String, String> tags,
                         boolean droppedTrace) implements Signal {

    /** The trace-agent's value for "no priority set". */
    public static final int PRIORITY_NONE = -128;

    public TraceChunk {
        Objects.requireNonNull(tracer, "tracer");
        origin = origin == null ? "" : origin;
        Objects.requireNonNull(spans, "spans");
        if (spans.isEmpty()) {
            throw new IllegalArgumentException("a trace chunk has at least one span");
        }
        spans = Collections.unmodifiableList(spans);
        tags = tags == null || tags.isEmpty() ? Map.of() : Collections.unmodifiableMap(tags);
    }

    @Override
    public SignalKind kind() {
        return SignalKind.TRACE;
    }

    /**
     * The spans' estimated sizes plus the chunk's own; the tracer's share is counted in full per chunk, a bound
     * rather than an exact figure, since a queue may hold chunks of one payload long after the others were sent.
     */
    @Override
    public int estimatedBytes() {
        long bytes = 64L + origin.length() + tracer.estimatedBytes();
        for (Map.Entry<String, String> e : tags.entrySet()) {
            bytes += 48 + e.getKey().length() + e.getValue().length();
        }
        for (Span span : spans) {
            bytes += span.estimatedBytes();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }
}
