package io.pilotfish.spi;

import java.util.concurrent.CompletionStage;

/**
 * A collector the platform pulls on an interval ({@code pilotfish.collectors.<name>.interval}). Calls never
 * overlap: the next scrape starts only after the previous stage completed. A scrape must not block the calling
 * thread on I/O; return a stage that completes when the signals have been emitted.
 */
public non-sealed interface Scraper extends Collector {

    CompletionStage<Void> scrape(Emitter emitter);

    /**
     * Called once during shutdown, after the last scrape, so a scraper can emit what it still holds (final events
     * of a short-lived task).
     */
    default CompletionStage<Void> flush(Emitter emitter) {
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
}
