package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One chunk while the samplers look at it: reads go to the original immutable spans, and the few metrics the
 * samplers set are collected per span and applied once at the end, so a chunk no sampler touches is passed on as it
 * came and an edited one costs one copy of each edited span's metrics.
 */
final class ChunkDraft {

    final TraceChunk original;
    final List<Span> spans;
    final int rootIndex;
    private int priority;
    private String origin;
    private Map<String, String> tags;
    private boolean tagsCopied;
    private boolean chunkEdited;
    /** Per span, a copy of its metrics once a sampler wrote one; null until then. */
    private HashMap<String, Double>[] editedMetrics;

    ChunkDraft(TraceChunk chunk) {
        this.original = chunk;
        this.spans = chunk.spans();
        this.rootIndex = rootIndex(spans);
        this.priority = chunk.priority();
        this.origin = chunk.origin();
        this.tags = chunk.tags();
    }

    Span root() {
        return spans.get(rootIndex);
    }

    int priority() {
        return priority;
    }

    void priority(int value) {
        if (value != priority) {
            priority = value;
            chunkEdited = true;
        }
    }

    String origin() {
        return origin;
    }

    void origin(String value) {
        if (!value.equals(origin)) {
            origin = value;
            chunkEdited = true;
        }
    }

    String tag(String key) {
        return tags.get(key);
    }

    void tag(String key, String value) {
        if (value.equals(tags.get(key))) {
            return;
        }
        if (!tagsCopied) {
            tags = new HashMap<>(tags);
            tagsCopied = true;
        }
        tags.put(key, value);
        chunkEdited = true;
    }

    Double metric(int span, String key) {
        if (editedMetrics != null && editedMetrics[span] != null) {
            return editedMetrics[span].get(key);
        }
        return spans.get(span).metrics().get(key);
    }

    /** A metric, or {@code fallback} when absent. */
    double metric(int span, String key, double fallback) {
        Double value = metric(span, key);
        return value == null ? fallback : value;
    }

    boolean hasMetric(int span, String key) {
        return metric(span, key) != null;
    }

    /** Whether the metric equals 1, the Agent's test for flags such as {@code _top_level}. */
    boolean isFlagSet(int span, String key) {
        Double value = metric(span, key);
        return value != null && value == 1.0;
    }

    void setMetric(int span, String key, double value) {
        Double current = metric(span, key);
        if (current != null && Double.compare(current, value) == 0) {
            return;
        }
        editable(span).put(key, value);
    }

    /** Sets a rate when below 1 and removes it otherwise, as the Agent does to save bytes (missing means 1). */
    void setRateBelowOne(int span, String key, double rate) {
        if (rate < 1) {
            setMetric(span, key, rate);
        } else {
            removeMetric(span, key);
        }
    }

    void removeMetric(int span, String key) {
        if (metric(span, key) != null) {
            editable(span).remove(key);
        }
    }

    @SuppressWarnings("unchecked")
    private HashMap<String, Double> editable(int span) {
        if (editedMetrics == null) {
            editedMetrics = new HashMap[spans.size()];
        }
        HashMap<String, Double> metrics = editedMetrics[span];
        if (metrics == null) {
            metrics = new HashMap<>(spans.get(span).metrics());
            editedMetrics[span] = metrics;
        }
        return metrics;
    }

    /** The span as it now is. */
    Span span(int index) {
        Span span = spans.get(index);
        if (editedMetrics == null || editedMetrics[index] == null) {
            return span;
        }
        return new Span(span.service(), span.name(), span.resource(), span.traceId(), span.spanId(),
                span.parentId(), span.start(), span.duration(), span.error(), span.meta(), editedMetrics[index],
                span.type(), span.metaStruct(), span.links(), span.events());
    }

    /** The whole chunk as it now is; the original instance when nothing changed. */
    TraceChunk build(boolean droppedTrace) {
        if (!chunkEdited && editedMetrics == null && droppedTrace == original.droppedTrace()) {
            return original;
        }
        List<Span> out = spans;
        if (editedMetrics != null) {
            Span[] all = spans.toArray(new Span[0]);
            for (int i = 0; i < all.length; i++) {
                all[i] = span(i);
            }
            out = Arrays.asList(all);
        }
        return new TraceChunk(original.tracer(), priority, origin, out, tags, droppedTrace);
    }

    /** A chunk of some of the spans only, in their order, with the given priority. */
    TraceChunk buildSubset(int[] indices, int count, int chunkPriority, boolean droppedTrace) {
        List<Span> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(span(indices[i]));
        }
        return new TraceChunk(original.tracer(), chunkPriority, origin, out, tags, droppedTrace);
    }

    /**
     * The Agent's root: the last span without a parent, else the first span whose parent is not in the chunk, else
     * the last span.
     */
    static int rootIndex(List<Span> spans) {
        int n = spans.size();
        for (int j = n - 1; j >= 0; j--) {
            if (spans.get(j).parentId() == 0) {
                return j;
            }
        }
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = spans.get(i).spanId();
        }
        Arrays.sort(ids);
        for (int i = 0; i < n; i++) {
            if (Arrays.binarySearch(ids, spans.get(i).parentId()) < 0) {
                return i;
            }
        }
        return n - 1;
    }
}
