package io.pilotfish.spi.signal;

/** The kinds of signal that flow through the pipeline; each sink declares which kinds it takes. */
public enum SignalKind {
    METRIC,
    EVENT,
    SERVICE_CHECK,
    /** A distribution in the Datadog Agent's sketch form ({@link Sketch}). */
    SKETCH,
    LOG,
    /** A trace chunk ({@link io.pilotfish.spi.trace.TraceChunk}). */
    TRACE,
    /** APM stats of one tracer or of the agent ({@link io.pilotfish.spi.trace.ApmStats}). */
    APM_STATS
}
