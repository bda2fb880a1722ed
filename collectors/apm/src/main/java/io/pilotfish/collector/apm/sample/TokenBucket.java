package io.pilotfish.collector.apm.sample;

/**
 * A token bucket as Go's {@code rate.Limiter}: refills at {@code perSecond}, holds at most {@code burst}, starts
 * full. Driven by the caller's clock.
 */
final class TokenBucket {

    private final double perSecond;
    private final double burst;
    private double tokens;
    private long lastNanos;
    private boolean started;

    TokenBucket(double perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    boolean tryTake(long nowNanos) {
        if (!started) {
            started = true;
            tokens = burst;
        } else if (nowNanos > lastNanos) {
            tokens = Math.min(burst, tokens + (nowNanos - lastNanos) / 1e9 * perSecond);
        }
        lastNanos = Math.max(lastNanos, nowNanos);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
