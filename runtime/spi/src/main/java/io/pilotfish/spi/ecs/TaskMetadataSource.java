package io.pilotfish.spi.ecs;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The task metadata endpoint, shared by every plugin. One cached view of the task; concurrent refreshes are
 * coalesced onto a single request; listeners hear of every change in the container set or their states.
 */
public interface TaskMetadataSource {

    /** Whether an endpoint is configured ({@code ECS_CONTAINER_METADATA_URI_V4} or {@code _URI}). */
    boolean available();

    /** The last view fetched, if any. */
    Optional<TaskSnapshot> current();

    /** Fetches {@code /task} again (or joins a fetch in flight). */
    CompletionStage<TaskSnapshot> refresh();

    /**
     * A GET of a path below the endpoint, e.g. {@code /task/stats}, with the platform's timeout and retries.
     * Completes with the body, or exceptionally with {@link MetadataException}.
     */
    CompletionStage<byte[]> get(String path);

    /** Called (off the caller's thread) each time a refresh sees a different task or container state. */
    void onChange(Consumer<TaskSnapshot> listener);

    /** A failure to fetch or parse metadata, with a message that says what to check. */
    final class MetadataException extends RuntimeException {
        public MetadataException(String message, Throwable cause) {
            super(message, cause);
        }

        public MetadataException(String message) {
            super(message);
        }
    }
}
