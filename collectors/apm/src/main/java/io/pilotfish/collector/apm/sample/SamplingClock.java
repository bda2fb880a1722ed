package io.pilotfish.collector.apm.sample;

import java.time.Instant;

/**
 * The time the samplers read. Windows, cooldowns and token buckets run on the monotonic clock, so a wall-clock step
 * (NTP, a suspended VM) never freezes or rewinds the feedback loop; only the rates version, which tracers treat as an
 * opaque string, carries wall-clock seconds as the Agent's does. Tests pass a hand-driven clock.
 */
public interface SamplingClock {

    /** Nanoseconds from an arbitrary origin, never going backwards. */
    long monotonicNanos();

    /** Seconds since the epoch. */
    long epochSecond();

    /** The process clocks. */
    static SamplingClock system() {
        return new SamplingClock() {
            @Override
            public long monotonicNanos() {
                return System.nanoTime();
            }

            @Override
            public long epochSecond() {
                return Instant.now().getEpochSecond();
            }
        };
    }
}
