package io.pilotfish.collector.apm.normalize;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TagMap;
import java.util.Map;

/**
 * The span tags that steer stats and sampling, read as the trace-agent reads them ({@code traceutil/span.go}, the
 * concentrator's eligibility): top-level, measured, partial snapshots, span kinds, the 128-bit trace id.
 */
public final class SpanFlags {

    /** Metric set to 1 on top-level spans by the agent. */
    public static final String TOP_LEVEL = "_top_level";
    /** Metric set to 1 on top-level spans by tracers that compute it themselves. */
    public static final String TRACER_TOP_LEVEL = "_dd.top_level";
    /** Metric set to 1 on spans that must get stats although not top-level. */
    public static final String MEASURED = "_dd.measured";
    /** Metric carried by the partial snapshots of long-running spans. */
    public static final String PARTIAL_VERSION = "_dd.partial_version";
    /** Metric carrying the sampling priority, on the root span of older tracers' chunks. */
    public static final String SAMPLING_PRIORITY = "_sampling_priority_v1";
    /** Meta tag with the high 64 bits of a 128-bit trace id, 16 hex digits. */
    public static final String TRACE_ID_HIGH = "_dd.p.tid";
    /** Meta tag with the sampling decision maker, e.g. {@code -4}. */
    public static final String DECISION_MAKER = "_dd.p.dm";
    /** Meta tag with the trace's origin on the root span of older tracers, e.g. {@code synthetics}. */
    public static final String ORIGIN = "_dd.origin";
    /** Meta tag with the span kind. */
    public static final String SPAN_KIND = "span.kind";

    private static final Double ONE = 1.0;

    private SpanFlags() {
    }

    /** Top-level: {@code _top_level} or {@code _dd.top_level} is 1. */
    public static boolean isTopLevel(Span span) {
        Map<String, Double> metrics = span.metrics();
        return isOne(metrics.get(TOP_LEVEL)) || isOne(metrics.get(TRACER_TOP_LEVEL));
    }

    /** Measured: {@code _dd.measured} is 1. */
    public static boolean isMeasured(Span span) {
        return isOne(span.metrics().get(MEASURED));
    }

    /** A partial snapshot of a long-running span: {@code _dd.partial_version} set, and not negative. */
    public static boolean isPartialSnapshot(Span span) {
        Double version = span.metrics().get(PARTIAL_VERSION);
        return version != null && version >= 0;
    }

    /**
     * Whether the span's {@code span.kind} (any case) is one the Agent computes stats for when stats by span kind are
     * on: {@code server}, {@code consumer}, {@code client}, {@code producer}.
     */
    public static boolean hasStatsSpanKind(Span span) {
        String kind = span.meta().get(SPAN_KIND);
        return kind != null && (kindIs(kind, "server") || kindIs(kind, "consumer") || kindIs(kind, "client")
                || kindIs(kind, "producer"));
    }

    /**
     * Whether the Agent computes stats for the span: top-level, measured or (with {@code computeStatsBySpanKind}) of
     * a stats span kind, and not a partial snapshot.
     */
    public static boolean isStatsEligible(Span span, boolean computeStatsBySpanKind) {
        boolean eligible = isTopLevel(span) || isMeasured(span) || (computeStatsBySpanKind && hasStatsSpanKind(span));
        return eligible && !isPartialSnapshot(span);
    }

    /**
     * What the trace-agent makes of {@code Datadog-Client-Computed-Top-Level} (and {@code -Computed-Stats}): absent
     * or empty is no, a boolean word is what it says ({@code 1 t T TRUE true True} / {@code 0 f F FALSE false False}),
     * anything else is yes.
     */
    public static boolean headerSaysYes(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        return switch (value) {
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> true;
        };
    }

    /**
     * Whether two spans belong to one trace: the same low 64 bits and, when both carry {@code _dd.p.tid}, the same
     * high bits. Tracers put {@code _dd.p.tid} on the first span of a chunk only, so one without it matches.
     */
    public static boolean sameTraceId(Span a, Span b) {
        if (a.traceId() != b.traceId()) {
            return false;
        }
        String highA = a.meta().get(TRACE_ID_HIGH);
        if (highA == null) {
            return true;
        }
        String highB = b.meta().get(TRACE_ID_HIGH);
        return highB == null || highA.equals(highB);
    }

    /** The span with {@code _top_level} = 1 in its metrics; the span itself when it has it already. */
    public static Span withTopLevel(Span span) {
        if (isOne(span.metrics().get(TOP_LEVEL))) {
            return span;
        }
        Map<String, Double> metrics = TagMap.with(span.metrics(), TOP_LEVEL, ONE);
        return new Span(span.service(), span.name(), span.resource(), span.traceId(), span.spanId(), span.parentId(),
                span.start(), span.duration(), span.error(), span.meta(), metrics, span.type(), span.metaStruct(),
                span.links(), span.events());
    }

    private static boolean isOne(Double value) {
        return value != null && value == 1.0;
    }

    /** {@code strings.ToLower(kind) == expected} for an ASCII lower-case {@code expected}, without allocating. */
    private static boolean kindIs(String kind, String expected) {
        int i = 0;
        int j = 0;
        while (i < kind.length() && j < expected.length()) {
            int cp = Character.toLowerCase(kind.codePointAt(i));
            if (cp != expected.charAt(j)) {
                return false;
            }
            i += Character.charCount(kind.codePointAt(i));
            j++;
        }
        return i == kind.length() && j == expected.length();
    }
}
