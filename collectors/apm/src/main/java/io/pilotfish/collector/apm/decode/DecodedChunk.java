package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.trace.Span;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One chunk of a v0.7 payload as the tracer sent it; its spans may be empty (a {@code nil} span is not kept).
 *
 * @param priority     the sampling priority the tracer set (0 when absent, as in the agent)
 * @param origin       e.g. {@code synthetics}, or empty
 * @param spans        not copied: must not be changed
 * @param tags         chunk tags, e.g. {@code _dd.p.dm}
 * @param droppedTrace as sent
 */
public record DecodedChunk(int priority, String origin, List<Span> spans, Map<String, String> tags,
                           boolean droppedTrace) {

    public DecodedChunk {
        spans = Collections.unmodifiableList(spans);
        tags = tags == null || tags.isEmpty() ? Map.of() : Collections.unmodifiableMap(tags);
    }
}
