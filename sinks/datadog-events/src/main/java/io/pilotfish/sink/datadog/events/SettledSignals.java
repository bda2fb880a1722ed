package io.pilotfish.sink.datadog.events;

import io.pilotfish.spi.signal.Signal;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Signals of unfinished batches whose fate is already decided ({@link Fate}), by identity: the platform retries a
 * batch with the very same signal objects, so a retry skips them and nothing is sent or counted twice. Two equal but distinct events (same title, same second) are both sent.
 *
 * <p>Entries are forgotten when their batch ends for good (Success or Permanent). A batch the platform gives up on
 * (queue full, too old, shutdown) is never seen again; its entries are evicted oldest-first once more than
 * {@code capacity} are held, which a live batch (at most the batch limit, and always the newest) never reaches.
 * Thread-safe.
 */
final class SettledSignals {

    /** Identity, not equality: records compare by value. */
    private record Identity(Signal signal) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Identity other && other.signal == signal;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(signal);
        }
    }

    enum Fate {
        /** The intake accepted it. */
        ACCEPTED,
        /** Dropped and counted by the sink (invalid, refused by the intake). */
        DROPPED
    }

    private final Map<Identity, Fate> settled;

    SettledSignals(int capacity) {
        this.settled = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Identity, Fate> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized boolean contains(Signal signal) {
        return settled.containsKey(new Identity(signal));
    }

    /** Whether the intake accepted this signal in an earlier attempt. */
    synchronized boolean accepted(Signal signal) {
        return settled.get(new Identity(signal)) == Fate.ACCEPTED;
    }

    synchronized void addAll(Collection<? extends Signal> signals, Fate fate) {
        for (Signal signal : signals) {
            settled.put(new Identity(signal), fate);
        }
    }

    /** Forgets these signals; returns what was remembered of them, to {@link #restore} if need be. */
    synchronized Map<Signal, Fate> forget(Collection<? extends Signal> signals) {
        Map<Signal, Fate> forgotten = new IdentityHashMap<>();
        for (Signal signal : signals) {
            Fate fate = settled.remove(new Identity(signal));
            if (fate != null) {
                forgotten.put(signal, fate);
            }
        }
        return forgotten;
    }

    synchronized void restore(Map<Signal, Fate> forgotten) {
        forgotten.forEach((signal, fate) -> settled.put(new Identity(signal), fate));
    }

    synchronized int size() {
        return settled.size();
    }
}
