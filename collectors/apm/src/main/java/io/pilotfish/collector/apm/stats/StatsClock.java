package io.pilotfish.collector.apm.stats;

import java.time.Instant;

/**
 * The wall clock stats buckets are aligned on: nanoseconds since the epoch, as span starts are. Tests pass a clock
 * they move by hand.
 */
@FunctionalInterface
public interface StatsClock {

    long epochNanos();

    static StatsClock system() {
        return () -> {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }
}
