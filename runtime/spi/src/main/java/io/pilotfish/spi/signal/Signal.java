package io.pilotfish.spi.signal;

/**
 * One item of telemetry. Implementations are immutable. The interface is deliberately open: new kinds (logs,
 * spans, sketches) are added as new implementations and {@link SignalKind} constants, so existing plugins keep
 * compiling.
 */
public interface Signal {
    SignalKind kind();

    /** Approximate in-memory/encoded size in bytes; queues are bounded in bytes using this figure. */
    int estimatedBytes();
}
