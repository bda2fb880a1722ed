package io.pilotfish.collector.apm.filter;

/**
 * Why the user's filters dropped a whole trace chunk. The trace-agent counts both as filtered traces
 * ({@code traces_filtered} and {@code spans_filtered} in its receiver stats); the reason is kept apart here for the
 * self-telemetry counters.
 */
public enum DropReason {
    /** The root span's resource matched one of {@code DD_APM_IGNORE_RESOURCES}. */
    IGNORED_RESOURCE("ignored_resource"),
    /** The root span lacked a required tag or carried a rejected one ({@code DD_APM_FILTER_TAGS_*}). */
    FILTERED_TAGS("filtered_tags");

    private final String tag;

    DropReason(String tag) {
        this.tag = tag;
    }

    /** A name for metrics and logs, e.g. {@code ignored_resource}. */
    public String tag() {
        return tag;
    }
}
