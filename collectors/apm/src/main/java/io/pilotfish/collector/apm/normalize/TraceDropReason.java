package io.pilotfish.collector.apm.normalize;

/**
 * Why a whole trace chunk was dropped in normalisation. The tags are the trace-agent's {@code reason} values for
 * {@code datadog.trace_agent.normalizer.traces_dropped} (the receiver counts the others: decoding errors, payloads too
 * large, time-outs).
 */
public enum TraceDropReason {
    /** A span's trace id (low 64 bits, or {@code _dd.p.tid} when both spans carry it) is not the first span's. */
    FOREIGN_SPAN("foreign_span"),
    TRACE_ID_ZERO("trace_id_zero"),
    SPAN_ID_ZERO("span_id_zero");

    private final String tag;

    TraceDropReason(String tag) {
        this.tag = tag;
    }

    /** The Agent's reason, e.g. {@code trace_id_zero}. */
    public String tag() {
        return tag;
    }
}
