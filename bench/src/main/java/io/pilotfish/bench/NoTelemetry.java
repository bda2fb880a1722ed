package io.pilotfish.bench;

import io.pilotfish.spi.SelfTelemetry;
import java.util.function.DoubleSupplier;

/** Counters that count nothing: a benchmark measures its chain, not the platform's telemetry. */
public final class NoTelemetry implements SelfTelemetry {

    @Override
    public Counter counter(String name, String... tags) {
        return new Counter() {
            @Override
            public void add(long amount) {
            }

            @Override
            public long total() {
                return 0;
            }
        };
    }

    @Override
    public void gauge(String name, DoubleSupplier value, String... tags) {
    }
}
