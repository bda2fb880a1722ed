package io.pilotfish.collector.apm.sample;

/** A clock the test moves by hand; starts on a bucket boundary so windows are easy to reason about. */
final class ManualClock implements SamplingClock {

    static final long START_NANOS = 1_000 * RateWindow.BUCKET_NANOS;
    static final long EPOCH_SECOND = 1_700_000_000L;

    private long nanos = START_NANOS;

    @Override
    public long monotonicNanos() {
        return nanos;
    }

    @Override
    public long epochSecond() {
        return EPOCH_SECOND + (nanos - START_NANOS) / 1_000_000_000L;
    }

    void advanceNanos(long delta) {
        nanos += delta;
    }

    void advanceSeconds(double seconds) {
        nanos += (long) (seconds * 1e9);
    }
}
