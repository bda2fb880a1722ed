package io.pilotfish.spi;

import io.pilotfish.spi.signal.SignalKind;
import java.util.Set;

/** Creates sinks. Queueing, batching, retries and accounting are the platform's; a sink only exports a batch. */
public interface SinkFactory<C> extends PluginFactory<C> {

    /** The most exports a sink can have out at once, whatever it or its {@code exports-in-flight} says. */
    int MAX_EXPORTS_IN_FLIGHT = 16;

    /** The signal kinds this sink takes; the platform routes only those to it. */
    Set<SignalKind> signals(C config);

    /** Batch limits the platform applies before calling {@link Sink#export}; a sink may tighten the defaults. */
    default BatchLimits batchLimits(C config) {
        return BatchLimits.DEFAULT;
    }

    /**
     * How many exports the platform may give this sink at once by default ({@code exports-in-flight} overrides it).
     * The platform hands them over in order, one call at a time. A sink that says more than one must keep that order
     * at its destination: it sends a batch only once the one given before it was accepted, and answers a batch whose
     * predecessor was not accepted {@link ExportResult.Retryable} without sending it, so that the platform sends both
     * again, in order. What it gains is the next batch encoded while one is out. Only a user's explicit choice lets a
     * sink send them out of order (as {@code datadog-logs}' {@code max-concurrent-sends}, the Agent's setting): then a
     * failed batch arrives after younger ones, which the sink's README says.
     */
    default int exportsInFlight(C config) {
        return 1;
    }

    Sink create(C config, PluginContext context);
}
