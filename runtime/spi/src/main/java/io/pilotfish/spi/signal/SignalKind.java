package io.pilotfish.spi.signal;

/** The kinds of signal that flow through the pipeline; each sink declares which kinds it takes. */
public enum SignalKind {
    METRIC,
    EVENT,
    SERVICE_CHECK,
    /** A distribution in the Datadog Agent's sketch form ({@link Sketch}). */
    SKETCH,
    LOG,
    TRACE
}
