package io.pilotfish.collector.apm.receive;

import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * A budget requests take from and wait for, first come first served, at most a timeout: the bytes of request bodies
 * held in memory, and the decoders, as the trace-agent's receiver semaphore (a payload that finds none within the
 * decoder timeout gets 429). Confined to the event loop: no locks.
 */
final class WaitingBudget {

    private record Waiter(long amount, Consumer<Boolean> granted, long[] timer) {
    }

    private final Vertx vertx;
    private final long capacity;
    private final int maxWaiters;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile long inUse;

    WaitingBudget(Vertx vertx, long capacity, int maxWaiters) {
        this.vertx = vertx;
        this.capacity = capacity;
        this.maxWaiters = maxWaiters;
    }

    /**
     * Calls back with true once {@code amount} is held, or with false after the timeout, at once when too many wait,
     * or when the amount is more than the whole budget.
     */
    void acquire(long amount, long timeoutMillis, Consumer<Boolean> granted) {
        if (waiters.isEmpty() && inUse + amount <= capacity) {
            inUse += amount;
            granted.accept(true);
            return;
        }
        if (waiters.size() >= maxWaiters || amount > capacity) {
            granted.accept(false);
            return;
        }
        Waiter waiter = new Waiter(amount, granted, new long[1]);
        waiters.add(waiter);
        waiter.timer()[0] = vertx.setTimer(timeoutMillis, id -> {
            if (waiters.remove(waiter)) {
                granted.accept(false);
                grantWaiting(); // the head may have been the one that did not fit
            }
        });
    }

    /** Takes {@code amount} only if it is free now and nobody waits. */
    boolean tryAcquire(long amount) {
        if (waiters.isEmpty() && inUse + amount <= capacity) {
            inUse += amount;
            return true;
        }
        return false;
    }

    /** Gives {@code amount} back, to the waiters first, in their order. */
    void release(long amount) {
        inUse -= amount;
        grantWaiting();
    }

    private void grantWaiting() {
        Waiter next;
        while ((next = waiters.peek()) != null && inUse + next.amount() <= capacity) {
            waiters.poll();
            vertx.cancelTimer(next.timer()[0]);
            inUse += next.amount();
            next.granted().accept(true);
        }
    }

    long inUse() {
        return inUse;
    }

    int waiting() {
        return waiters.size();
    }
}
