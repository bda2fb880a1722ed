package io.pilotfish.collector.apm.stats;

/** A wall clock the test sets by hand. */
final class ManualClock implements StatsClock {

    private long nanos;

    ManualClock(long nanos) {
        this.nanos = nanos;
    }

    @Override
    public long epochNanos() {
        return nanos;
    }

    void set(long nanos) {
        this.nanos = nanos;
    }

    void advance(long deltaNanos) {
        nanos += deltaNanos;
    }
}
