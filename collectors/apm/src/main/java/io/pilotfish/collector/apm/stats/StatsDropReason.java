package io.pilotfish.collector.apm.stats;

/** Why stats were not aggregated, for the self-telemetry counters. */
public enum StatsDropReason {
    /** A span (concentrator) or tracer group (client stats) that would have made a new group over the heap limit. */
    MEMORY_LIMIT("memory_limit"),
    /** A tracer's latency sketch that could not be read or converted; its counts were kept, its distribution not. */
    SKETCH_UNREADABLE("sketch_unreadable");

    private final String tag;

    StatsDropReason(String tag) {
        this.tag = tag;
    }

    /** A name for metrics and logs. */
    public String tag() {
        return tag;
    }
}
