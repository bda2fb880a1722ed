package io.pilotfish.spi.signal;

/** Datadog intake metric types. Counts and rates carry an interval. */
public enum MetricType {
    GAUGE,
    COUNT,
    RATE
}
