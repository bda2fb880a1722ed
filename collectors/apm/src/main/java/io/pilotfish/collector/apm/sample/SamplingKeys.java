package io.pilotfish.collector.apm.sample;

/** The span and chunk tags the Agent's samplers read and write, with the Agent's names. */
final class SamplingKeys {

    /** Metric: the priority older tracers put on the root instead of the chunk field. */
    static final String SAMPLING_PRIORITY = "_sampling_priority_v1";
    /** Meta (span) and chunk tag: the decision maker, {@code -<mechanism>}. */
    static final String DECISION_MAKER = "_dd.p.dm";
    /** The decision maker value of the Agent's probabilistic sampler. */
    static final String DECISION_PROBABILISTIC = "-9";
    /** Meta: the chunk origin older tracers put on the root, e.g. {@code synthetics}. */
    static final String ORIGIN = "_dd.origin";

    /** Metric: the rate the tracer sampled the trace at (the Agent's "global rate"). */
    static final String SAMPLE_RATE = "_sample_rate";
    /** Metric: the client rate copied from {@link #SAMPLE_RATE} when below 1. */
    static final String CLIENT_RATE = "_dd1.sr.rcusr";
    /** Metric: the rate of the Agent's old pre-sampler; read only, when a tracer still sends it. */
    static final String PRE_SAMPLER_RATE = "_dd1.sr.rapre";
    /** Metric: the event extraction rate a tracer asks for (App Analytics). */
    static final String EVENT_EXTRACTION_RATE = "_dd1.sr.eausr";
    /** Metric: the rate of the max-events-per-second limiter on an analysed span. */
    static final String MAX_EPS_RATE = "_dd1.sr.eamax";
    /** Metric: 1 on an analysed span. */
    static final String ANALYZED = "_dd.analyzed";
    /** Metric: present on spans a tracer kept by a single-span sampling rule. */
    static final String SPAN_SAMPLING_MECHANISM = "_dd.span_sampling.mechanism";

    /** Metric: the agent rate a tracer applied (set by the tracer from {@code rate_by_service}). */
    static final String AGENT_RATE = "_dd.agent_psr";
    /** Metric: the rate of a tracer's sampling rule. */
    static final String RULE_RATE = "_dd.rule_psr";
    /** Metric: the priority rate for tracers that set neither of the above; the Agent fills it in. */
    static final String DEPRECATED_PRIORITY_RATE = "_sampling_priority_rate_v1";
    /** Metric: the rate the error sampler kept the trace at. */
    static final String ERRORS_RATE = "_dd.errors_sr";
    /** Metric: the rate the no-priority sampler kept the trace at. */
    static final String NO_PRIORITY_RATE = "_dd.no_p_sr";
    /** Metric: 1 on the span that made the rare sampler keep the trace. */
    static final String RARE = "_dd.rare";
    /** Metric: the probabilistic sampler's rate (percentage / 100). */
    static final String PROBABILISTIC_RATE = "_dd.prob_sr";

    /** Metric: 1 on top-level spans (root or service entry). */
    static final String TOP_LEVEL = "_top_level";
    /** Metric: 1 on spans a tracer wants measured although not top-level. */
    static final String MEASURED = "_dd.measured";

    /** Meta read into signatures. */
    static final String HTTP_STATUS_CODE = "http.status_code";
    static final String ERROR_TYPE = "error.type";
    /** Meta: the high 64 bits of a 128-bit trace id, hex. */
    static final String TRACE_ID_HIGH = "_dd.p.tid";
    /** Meta: the full OpenTelemetry trace id, hex. */
    static final String OTEL_TRACE_ID = "otel.trace_id";

    /** Priorities ({@code TraceChunk.priority}). */
    static final int PRIORITY_USER_DROP = -1;
    static final int PRIORITY_AUTO_DROP = 0;
    static final int PRIORITY_AUTO_KEEP = 1;
    static final int PRIORITY_USER_KEEP = 2;

    private SamplingKeys() {
    }
}
