package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.signal.Signal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * For batches not yet done with, which of their payloads (parts) are settled: accepted by the intake, or refused
 * and dropped. The platform retries a batch with the very same signal objects in the same order, and the same batch
 * always splits into the same parts, so a retry sends only the parts still open: stats are never counted twice by
 * the backend, and nothing is lost.
 *
 * <p>Batches are told apart by the identity of their signals, not their equality (two equal stats of two flushes
 * are both sent). An entry is forgotten when its batch ends for good; a batch the platform gives up on (queue full,
 * too old, shutdown) is never seen again, and its entry is evicted oldest-first beyond {@code capacity}.
 * Thread-safe.
 */
final class SettledParts {

    enum Fate {
        ACCEPTED,
        DROPPED
    }

    /** A batch by the identity of its signals, in order. */
    private static final class BatchKey {
        private final Signal[] signals;
        private final int hash;

        BatchKey(List<? extends Signal> batch) {
            this.signals = batch.toArray(Signal[]::new);
            int h = 1;
            for (Signal signal : signals) {
                h = 31 * h + System.identityHashCode(signal);
            }
            this.hash = h;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof BatchKey other) || other.hash != hash || other.signals.length != signals.length) {
                return false;
            }
            for (int i = 0; i < signals.length; i++) {
                if (signals[i] != other.signals[i]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final Map<BatchKey, Fate[]> settled;

    SettledParts(int capacity) {
        this.settled = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<BatchKey, Fate[]> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The fates of the batch's {@code parts} parts; {@code null} for a part still to send. A copy, to fill in. */
    synchronized Fate[] fates(List<? extends Signal> batch, int parts) {
        Fate[] known = settled.get(new BatchKey(batch));
        return known != null && known.length == parts ? known.clone() : new Fate[parts];
    }

    synchronized void remember(List<? extends Signal> batch, Fate[] fates) {
        if (Arrays.stream(fates).anyMatch(fate -> fate != null)) {
            settled.put(new BatchKey(batch), fates.clone());
        }
    }

    synchronized void forget(List<? extends Signal> batch) {
        settled.remove(new BatchKey(batch));
    }

    synchronized int size() {
        return settled.size();
    }
}
