package io.pilotfish.spi;

import io.pilotfish.spi.signal.SignalKind;
import java.util.Set;

/** Creates sinks. Queueing, batching, retries and accounting are the platform's; a sink only exports a batch. */
public interface SinkFactory<C> extends PluginFactory<C> {

    /** The signal kinds this sink takes; the platform routes only those to it. */
    Set<SignalKind> signals(C config);

    /** Batch limits the platform applies before calling {@link Sink#export}; a sink may tighten the defaults. */
    default BatchLimits batchLimits(C config) {
        return BatchLimits.DEFAULT;
    }

    /**
     * How many exports the platform may have out at once by default (users set {@code exports-in-flight}). More than
     * one only where the destination takes batches in any order: each may then end in any order, and a failed batch
     * is sent again after younger ones.
     */
    default int exportsInFlight(C config) {
        return 1;
    }

    Sink create(C config, PluginContext context);
}
