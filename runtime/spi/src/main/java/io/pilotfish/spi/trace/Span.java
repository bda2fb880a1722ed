package io.pilotfish.spi.trace;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One span as Datadog's tracers send it and the trace intake takes it: the fields of the trace-agent's
 * {@code pb.Span} (protobuf field numbers in brackets). Immutable: the maps and lists handed in become the span's
 * own and must not be changed afterwards (they are wrapped, not copied, since a trace may hold thousands of spans).
 *
 * @param service    the service (1)
 * @param name       the operation name (2)
 * @param resource   the resource, e.g. the route or the obfuscated query (3)
 * @param traceId    the low 64 bits of the trace id (4); the high 64 bits travel in {@code meta["_dd.p.tid"]} as hex
 * @param spanId     (5)
 * @param parentId   0 for a root span (6)
 * @param start      nanoseconds since the epoch (7)
 * @param duration   nanoseconds (8)
 * @param error      1 when the span is an error, else 0 (9)
 * @param meta       string tags (10)
 * @param metrics    numeric tags (11), e.g. {@code _sampling_priority_v1}, {@code _top_level}
 * @param type       e.g. {@code web}, {@code db}, {@code http} (12)
 * @param metaStruct structured tags as msgpack bytes (13), passed through untouched
 * @param links      span links (14)
 * @param events     span events (15)
 */
public record Span(String service, String name, String resource, long traceId, long spanId, long parentId,
                   long start, long duration, int error, Map<String, String> meta, Map<String, Double> metrics,
                   String type, Map<String, byte[]> metaStruct, List<SpanLink> links, List<SpanEvent> events) {

    public Span {
        service = service == null ? "" : service;
        name = name == null ? "" : name;
        resource = resource == null ? "" : resource;
        type = type == null ? "" : type;
        meta = frozen(meta);
        metrics = frozen(metrics);
        metaStruct = frozen(metaStruct);
        links = links == null || links.isEmpty() ? List.of() : Collections.unmodifiableList(links);
        events = events == null || events.isEmpty() ? List.of() : Collections.unmodifiableList(events);
    }

    /** The map as the span keeps it: a {@link TagMap} as it is (already immutable), any other map wrapped. */
    private static <V> Map<String, V> frozen(Map<String, V> map) {
        if (map == null || map.isEmpty()) {
            return Map.of();
        }
        return map instanceof TagMap<V> ? map : Collections.unmodifiableMap(map);
    }

    /** A span with only the common fields; the rest empty. */
    public static Span of(String service, String name, String resource, long traceId, long spanId, long parentId,
                          long start, long duration, int error, Map<String, String> meta,
                          Map<String, Double> metrics, String type) {
        return new Span(service, name, resource, traceId, spanId, parentId, start, duration, error, meta, metrics,
                type, null, null, null);
    }

    /**
     * An estimate of the span's size on the heap and on the wire, in bytes, for the byte-bounded queues: the
     * strings' characters, the maps' entries and a fixed overhead for the numbers and objects.
     */
    public int estimatedBytes() {
        long bytes = 96 + service.length() + name.length() + resource.length() + type.length();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            bytes += 48 + e.getKey().length() + e.getValue().length();
        }
        bytes += 56L * metrics.size();
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            bytes += e.getKey().length();
        }
        for (Map.Entry<String, byte[]> e : metaStruct.entrySet()) {
            bytes += 48 + e.getKey().length() + e.getValue().length;
        }
        for (SpanLink link : links) {
            bytes += link.estimatedBytes();
        }
        for (SpanEvent event : events) {
            bytes += event.estimatedBytes();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }
}
