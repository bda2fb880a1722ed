package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builders for the spans and chunks the tests feed the samplers. */
final class Traces {

    static final TracerInfo TRACER = new TracerInfo("cid", "java", "21", "1.40.0", "rid", Map.of(), "prod", "host",
            "1.0");

    private Traces() {
    }

    static Span span(long traceId, long spanId, long parentId, String service, String name, String resource,
                     int error, Map<String, String> meta, Map<String, Double> metrics) {
        return Span.of(service, name, resource, traceId, spanId, parentId, 1_000, 2_000, error,
                new HashMap<>(meta), new HashMap<>(metrics), "web");
    }

    /** A root and one child of the same service, the root top-level. */
    static List<Span> webTrace(long traceId, String service, int error, Map<String, Double> rootMetrics) {
        Map<String, Double> metrics = new HashMap<>(rootMetrics);
        metrics.putIfAbsent("_top_level", 1.0);
        return List.of(
                span(traceId, 1, 0, service, "http.request", "GET /users", error, Map.of(), metrics),
                span(traceId, 2, 1, service, "sql.query", "SELECT ?", 0, Map.of(), Map.of()));
    }

    static TraceChunk chunk(int priority, List<Span> spans) {
        return new TraceChunk(TRACER, priority, "", spans, Map.of(), false);
    }

    static Span root(TraceChunk chunk) {
        return chunk.spans().get(ChunkDraft.rootIndex(chunk.spans()));
    }
}
