package io.pilotfish.collector.apm.normalize;

/**
 * Why a span's field was changed so that the intake takes it. The tags are the trace-agent's {@code reason} values
 * for {@code datadog.trace_agent.normalizer.spans_malformed}.
 */
public enum SpanFix {
    SERVICE_EMPTY("service_empty"),
    SERVICE_TRUNCATE("service_truncate"),
    SERVICE_INVALID("service_invalid"),
    PEER_SERVICE_TRUNCATE("peer_service_truncate"),
    PEER_SERVICE_INVALID("peer_service_invalid"),
    BASE_SERVICE_TRUNCATE("base_service_truncate"),
    BASE_SERVICE_INVALID("base_service_invalid"),
    SPAN_NAME_EMPTY("span_name_empty"),
    SPAN_NAME_TRUNCATE("span_name_truncate"),
    SPAN_NAME_INVALID("span_name_invalid"),
    RESOURCE_EMPTY("resource_empty"),
    TYPE_TRUNCATE("type_truncate"),
    INVALID_START_DATE("invalid_start_date"),
    INVALID_DURATION("invalid_duration"),
    INVALID_HTTP_STATUS_CODE("invalid_http_status_code"),
    /** Not fixed, only counted: two spans of a chunk share an id. */
    DUPLICATE_SPAN_ID("duplicate_span_id");

    private final String tag;

    SpanFix(String tag) {
        this.tag = tag;
    }

    /** The Agent's reason, e.g. {@code service_empty}. */
    public String tag() {
        return tag;
    }
}
