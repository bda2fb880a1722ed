package io.pilotfish.spi;

import java.time.Duration;
import java.util.Optional;

/** How an export ended, as the sink classifies it; the platform decides what follows. */
public sealed interface ExportResult {

    ExportResult SUCCESS = new Success();

    /** Everything in the batch was accepted. */
    record Success() implements ExportResult {
    }

    /** Try again later; {@code retryAfter} is the destination's own hint (HTTP {@code Retry-After}), if any. */
    record Retryable(String reason, Optional<Duration> retryAfter) implements ExportResult {
        public Retryable(String reason) {
            this(reason, Optional.empty());
        }
    }

    /** The batch will never be accepted as it is (bad request, forbidden): drop it and count it. */
    record Permanent(String reason) implements ExportResult {
    }

    /**
     * The batch is too large for the destination (HTTP 413, or over the destination's size limit once encoded):
     * the platform splits it in halves and exports each. A single signal that is too large is dropped and counted.
     */
    record TooLarge(String reason) implements ExportResult {
    }
}
