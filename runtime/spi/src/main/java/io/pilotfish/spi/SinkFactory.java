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

    Sink create(C config, PluginContext context);
}
