package io.pilotfish.spi;

/**
 * A source of signals. Exactly one of two shapes: a {@link Scraper}, which the platform calls on the configured
 * interval, or a {@link Receiver}, which pushes signals on its own (listeners). {@link #close} releases resources;
 * it must be safe to call more than once.
 */
public sealed interface Collector extends AutoCloseable permits Scraper, Receiver {

    @Override
    default void close() {
    }
}
