package io.pilotfish.collector.apm.receive;

import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The decoders a payload must hold while its body is read and processed, as the trace-agent's receiver semaphore:
 * a payload waits for one at most the decoder timeout, then gets 429. Holding a slot is what bounds the heap taken by
 * bodies and decoded spans, so the slots are the memory budget. Confined to the event loop: no locks.
 */
final class DecoderSlots {

    private record Waiter(Consumer<Boolean> granted, long[] timer) {
    }

    private final Vertx vertx;
    private final int capacity;
    private final int maxWaiters;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile int inUse;

    DecoderSlots(Vertx vertx, int capacity, int maxWaiters) {
        this.vertx = vertx;
        this.capacity = capacity;
        this.maxWaiters = maxWaiters;
    }

    /** Calls back with true once a slot is held, or false after the timeout or at once when too many wait. */
    void acquire(long timeoutMillis, Consumer<Boolean> granted) {
        if (inUse < capacity) {
            inUse++;
            granted.accept(true);
            return;
        }
        if (waiters.size() >= maxWaiters) {
            granted.accept(false);
            return;
        }
        Waiter waiter = new Waiter(granted, new long[1]);
        waiters.add(waiter);
        waiter.timer()[0] = vertx.setTimer(timeoutMillis, id -> {
            if (waiters.remove(waiter)) {
                granted.accept(false);
            }
        });
    }

    /** Gives a held slot to the longest waiter, or back. */
    void release() {
        Waiter next = waiters.poll();
        if (next != null) {
            vertx.cancelTimer(next.timer()[0]);
            next.granted().accept(true);
        } else {
            inUse--;
        }
    }

    int inUse() {
        return inUse;
    }

    int waiting() {
        return waiters.size();
    }
}
