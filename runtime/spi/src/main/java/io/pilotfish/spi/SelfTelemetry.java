package io.pilotfish.spi;

import java.util.function.DoubleSupplier;

/**
 * The plugin's own figures. Names are relative ({@code packets.received}); the platform reports them as
 * {@code pilotfish.<name>} tagged with the plugin type and instance.
 */
public interface SelfTelemetry {

    /** A monotonically increasing count, reported as a rate per interval. */
    Counter counter(String name, String... tags);

    /** A value read at report time. */
    void gauge(String name, DoubleSupplier value, String... tags);

    interface Counter {
        void add(long amount);

        default void increment() {
            add(1);
        }

        long total();
    }
}
