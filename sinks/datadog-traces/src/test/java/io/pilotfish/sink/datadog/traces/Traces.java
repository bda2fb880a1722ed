package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Sample traces and stats for the tests. */
final class Traces {

    static final long START = 1_700_000_000_000_000_000L;

    private Traces() {
    }

    static TracerInfo tracer(String language) {
        return new TracerInfo("cid-" + language, language, "1." + language.length(), "2.0.0", "rt-" + language,
                Map.of("_dd.tags.container", "task_arn:arn-1"), "prod", "", "v1");
    }

    static Span span(String service, long traceId, long spanId, long parentId) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("http.method", "GET");
        meta.put("env", "prod");
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("_sampling_priority_v1", 1.0);
        metrics.put("_top_level", 1.0);
        return Span.of(service, "web.request", "GET /checkout", traceId, spanId, parentId, START, 25_000_000L, 0,
                meta, metrics, "web");
    }

    /** A chunk of {@code spans} spans of one trace. */
    static TraceChunk chunk(TracerInfo tracer, long traceId, int spans) {
        List<Span> list = new ArrayList<>(spans);
        for (int i = 0; i < spans; i++) {
            list.add(span("checkout", traceId, traceId * 100 + i + 1, i == 0 ? 0 : traceId * 100 + 1));
        }
        return new TraceChunk(tracer, 1, "", list, Map.of("_dd.p.dm", "-0"), false);
    }

    /** A chunk whose single span carries a resource of {@code resourceBytes} ASCII characters. */
    static TraceChunk chunkOfSize(TracerInfo tracer, long traceId, int resourceBytes) {
        Span span = Span.of("db", "postgres.query", "x".repeat(resourceBytes), traceId, traceId, 0, START, 1000, 0,
                null, null, "sql");
        return new TraceChunk(tracer, 1, "", List.of(span), null, false);
    }

    static ApmStats.Group group(String resource, long hits) {
        return new ApmStats.Group("checkout", "web.request", resource, 200, "web", "", hits, 1, hits * 1000,
                new byte[] {1, 2, 3}, new byte[] {4}, false, hits, "server", List.of("peer.service:db"), 1, "",
                "GET", "/checkout");
    }

    /** Stats of one tracer with {@code groups} groups spread over {@code buckets} 10 s buckets. */
    static ApmStats stats(String lang, int groups, int buckets, boolean clientComputed) {
        List<ApmStats.Bucket> list = new ArrayList<>();
        int made = 0;
        for (int b = 0; b < buckets; b++) {
            int inThis = (groups - made) / (buckets - b);
            List<ApmStats.Group> bucketGroups = new ArrayList<>(inThis);
            for (int g = 0; g < inThis; g++) {
                bucketGroups.add(group("GET /r" + (made + g), made + g + 1));
            }
            made += inThis;
            list.add(new ApmStats.Bucket(START + b * 10_000_000_000L, 10_000_000_000L, bucketGroups, 0));
        }
        return new ApmStats("host-a", "prod", "v1", list, lang, "2.0.0", "rt-" + lang, 7, "", "checkout",
                "cid-" + lang, List.of("task_arn:arn-1"), "abc123", "v1.2", clientComputed);
    }
}
