package io.pilotfish.collector.apm.normalize;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A trace chunk made acceptable as the trace-agent's {@code normalizeTrace} and {@code setChunkAttributes} do it, plus
 * the top-level flags the Agent sets on the same chunk:
 * <ul>
 *   <li>every span must share the first span's trace id (low 64 bits, and the {@code _dd.p.tid} high bits when both
 *       carry them), else the chunk is dropped ({@code foreign_span}); a zero trace or span id drops it too;</li>
 *   <li>each span is normalised ({@link SpanNormalizer}); spans sharing an id are counted, not dropped;</li>
 *   <li>the root is found: the last span whose parent is 0, else the first whose parent is not in the chunk;</li>
 *   <li>a chunk without priority takes the root's {@code _sampling_priority_v1}, else the first span's that has one;
 *       one without origin takes the root's {@code _dd.origin}; {@code _dd.p.dm} is copied from the first span that
 *       has it to the chunk tags, unless they have it;</li>
 *   <li>top-level: {@code _dd.top_level} copied to {@code _top_level} when the tracer computed it
 *       ({@code Datadog-Client-Computed-Top-Level}), else computed ({@link TopLevel#compute}).</li>
 * </ul>
 * The Agent flags top-level spans a little later, after its filters and obfuscation; neither changes services or ids,
 * so doing it here gives the same flags in the same pass. Thread-safe.
 */
public final class TraceNormalizer {

    private static final String ENV = "env";

    private final SpanNormalizer spanNormalizer;

    /** With the system clock. */
    public TraceNormalizer() {
        this(new SpanNormalizer());
    }

    public TraceNormalizer(SpanNormalizer spanNormalizer) {
        this.spanNormalizer = Objects.requireNonNull(spanNormalizer, "spanNormalizer");
    }

    /**
     * @param chunk                  as decoded
     * @param lang                   the tracer's language ({@code Datadog-Meta-Lang}), for fallback service names
     * @param clientComputedTopLevel what {@link SpanFlags#headerSaysYes} made of the request's
     *                               {@code Datadog-Client-Computed-Top-Level}
     * @param stats                  where fixes and drops are counted
     */
    public ChunkResult normalize(TraceChunk chunk, String lang, boolean clientComputedTopLevel,
                                 NormalizationStats stats) {
        List<Span> spans = chunk.spans();
        int n = spans.size();
        Span first = spans.get(0);
        SpanIdIndex index = new SpanIdIndex(n);
        Span[] normalized = null;
        for (int i = 0; i < n; i++) {
            Span span = spans.get(i);
            TraceDropReason rejection = SpanFlags.sameTraceId(span, first) ? SpanNormalizer.rejection(span)
                    : TraceDropReason.FOREIGN_SPAN;
            if (rejection != null) {
                stats.dropped(rejection, n);
                return new ChunkResult.Dropped(rejection, n);
            }
            Span normal = spanNormalizer.normalize(span, lang, stats);
            if (normal != span) {
                if (normalized == null) {
                    normalized = spans.toArray(new Span[0]);
                }
                normalized[i] = normal;
            }
            if (index.put(span.spanId(), i)) {
                stats.fixed(SpanFix.DUPLICATE_SPAN_ID);
            }
        }
        List<Span> out = normalized == null ? spans : Arrays.asList(normalized);

        int rootIndex = rootIndex(out, index);
        Span root = out.get(rootIndex);
        int priority = chunk.priority() == TraceChunk.PRIORITY_NONE ? priorityFromSpans(root, out) : chunk.priority();
        String origin = chunk.origin().isEmpty() ? root.meta().getOrDefault(SpanFlags.ORIGIN, "") : chunk.origin();
        Map<String, String> tags = withDecisionMaker(chunk.tags(), out);

        Span[] flagged = clientComputedTopLevel ? TopLevel.markFromTracer(out) : TopLevel.mark(out, index);
        if (flagged != null) {
            out = Arrays.asList(flagged);
        }

        if (out == spans && priority == chunk.priority() && origin.equals(chunk.origin()) && tags == chunk.tags()) {
            return new ChunkResult.Kept(chunk, rootIndex);
        }
        return new ChunkResult.Kept(new TraceChunk(chunk.tracer(), priority, origin, out, tags, chunk.droppedTrace()),
                rootIndex);
    }

    /**
     * The root: the last span with parent 0 (some tracers send the root last), else the first whose parent is not in
     * the chunk, else (a cycle) the last span. The Agent picks any orphan when there are several; this picks the first.
     */
    static int rootIndex(List<Span> spans, SpanIdIndex index) {
        for (int i = spans.size() - 1; i >= 0; i--) {
            if (spans.get(i).parentId() == 0) {
                return i;
            }
        }
        for (int i = 0; i < spans.size(); i++) {
            if (index.positionOf(spans.get(i).parentId()) < 0) {
                return i;
            }
        }
        return spans.size() - 1;
    }

    /** The root's {@code _sampling_priority_v1}, else the first span's, else still none. */
    private static int priorityFromSpans(Span root, List<Span> spans) {
        Double priority = root.metrics().get(SpanFlags.SAMPLING_PRIORITY);
        for (int i = 0; priority == null && i < spans.size(); i++) {
            priority = spans.get(i).metrics().get(SpanFlags.SAMPLING_PRIORITY);
        }
        return priority == null ? TraceChunk.PRIORITY_NONE : (int) priority.doubleValue();
    }

    /** The chunk tags with the first span's {@code _dd.p.dm} when they lack one; {@code tags} itself otherwise. */
    private static Map<String, String> withDecisionMaker(Map<String, String> tags, List<Span> spans) {
        if (tags.containsKey(SpanFlags.DECISION_MAKER)) {
            return tags;
        }
        for (Span span : spans) {
            String decisionMaker = span.meta().get(SpanFlags.DECISION_MAKER);
            if (decisionMaker != null) {
                Map<String, String> out = HashMap.newHashMap(tags.size() + 1);
                out.putAll(tags);
                out.put(SpanFlags.DECISION_MAKER, decisionMaker);
                return out;
            }
        }
        return tags;
    }

    /**
     * The trace's env as the Agent finds it for a payload without one ({@code GetEnv}): the root's {@code env} tag if
     * it has one (even empty), else the first other span's. Null when no span has one.
     */
    public static String env(Span root, List<Span> spans) {
        String env = root.meta().get(ENV);
        if (env != null) {
            return env;
        }
        for (Span span : spans) {
            if (span.spanId() == root.spanId()) {
                continue;
            }
            env = span.meta().get(ENV);
            if (env != null) {
                return env;
            }
        }
        return null;
    }
}
