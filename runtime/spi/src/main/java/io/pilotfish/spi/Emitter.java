package io.pilotfish.spi;

import io.pilotfish.spi.signal.Signal;
import java.time.Duration;
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

    /**
     * For a collector that emits a large burst (a flush of many contexts) from its own thread, never from an event
     * loop: waits, at most {@code max}, until the sinks have room for more, while they are sending successfully. Call
     * it between parts of the burst so that a burst the destination can take is sent rather than dropped from a full
     * queue. Returns at once when a sink is failing: its queue then drops the oldest data, counted, as always.
     */
    default void awaitCapacity(Duration max) {
    }
}
