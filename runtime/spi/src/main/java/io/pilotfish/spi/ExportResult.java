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

    /**
     * The destination refused the credentials (HTTP 401/403 for an API key). The data is not at fault: the platform
     * keeps the batch, asks the agent to re-read its credentials at once (a rotated key) and retries with backoff.
     */
    record CredentialsRejected(String reason) implements ExportResult {
    }

    /** The batch will never be accepted as it is (bad request, unknown endpoint): drop it and count it. */
    record Permanent(String reason) implements ExportResult {
    }

    /**
     * The batch is too large for the destination (HTTP 413, or over the destination's size limit once encoded):
     * the platform splits it in halves and exports each. A single signal that is too large is dropped and counted.
     */
    record TooLarge(String reason) implements ExportResult {
    }
}
