package io.pilotfish.spi;

import io.pilotfish.spi.signal.Signal;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Exports batches to one destination. The platform never calls {@link #export} concurrently for one sink. A sink
 * classifies the outcome; it never retries, waits or drops on its own. An exceptionally completed stage is treated
 * as {@link ExportResult.Retryable} (network errors, timeouts).
 */
public interface Sink extends AutoCloseable {

    CompletionStage<ExportResult> export(List<Signal> batch);

    @Override
    default void close() {
    }
}
