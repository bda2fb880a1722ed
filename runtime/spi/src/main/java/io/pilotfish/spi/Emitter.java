package io.pilotfish.spi;

import io.pilotfish.spi.signal.Signal;
import java.util.Collection;

/**
 * Where a collector hands its signals. Never blocks: when a sink's queue is full the platform drops the oldest data
 * and counts it.
 */
public interface Emitter {

    void emit(Signal signal);

    default void emitAll(Collection<? extends Signal> signals) {
        for (Signal signal : signals) {
            emit(signal);
        }
    }
}
