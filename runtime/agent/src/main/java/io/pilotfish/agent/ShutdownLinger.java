package io.pilotfish.agent;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The first part of a shutdown: while the task's other containers still run, the agent keeps accepting what they send.
 * ECS sends SIGTERM to every container of a stopping task at once unless they depend on each other, and an app
 * flushes its last logs, metrics and traces as it exits; a log router that stopped listening at its own SIGTERM
 * would lose exactly those (the FireLens loss at task stop). When the apps depend on the agent, ECS stops them first
 * and the metadata already shows them stopped, so this ends after one look.
 *
 * <p>Waits at most {@code linger}, polling the task metadata; without an endpoint (not in ECS) it does not wait.
 */
final class ShutdownLinger {

    private static final System.Logger LOG = System.getLogger(ShutdownLinger.class.getName());
    private static final long POLL_MILLIS = 250;
    private static final long REQUEST_MILLIS = 1_000;

    private final EcsMetadataClient metadata;

    ShutdownLinger(EcsMetadataClient metadata) {
        this.metadata = metadata;
    }

    /** Waits while other containers run, at most {@code linger}; returns the time spent. */
    Duration await(Duration linger) {
        long start = System.nanoTime();
        if (linger.isZero() || linger.isNegative() || !metadata.available()) {
            return Duration.ZERO;
        }
        long deadline = start + linger.toNanos();
        String self = fetch(metadata.ownContainer()).map(ContainerMetadata::dockerId).orElse("");
        List<String> waitedFor = List.of();
        while (true) {
            Optional<TaskSnapshot> snapshot = fetch(metadata.refresh());
            if (snapshot.isEmpty()) {
                break; // the endpoint does not answer: nothing to wait on
            }
            List<String> running = snapshot.get().task().containers().stream()
                    .filter(c -> !c.isInternal() && c.isRunning() && !c.dockerId().equals(self))
                    .map(ContainerMetadata::name).toList();
            if (running.isEmpty()) {
                break;
            }
            if (!running.equals(waitedFor)) {
                waitedFor = running;
                LOG.log(System.Logger.Level.INFO, "still accepting data while " + running + " run (at most "
                        + linger.toMillis() + " ms more: pilotfish.shutdown.linger)");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.log(System.Logger.Level.WARNING, "containers " + running + " still run after "
                        + linger.toMillis() + " ms (pilotfish.shutdown.linger); flushing now");
                break;
            }
            try {
                Thread.sleep(Math.min(POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static <T> Optional<T> fetch(java.util.concurrent.CompletionStage<T> stage) {
        try {
            return Optional.ofNullable(stage.toCompletableFuture().get(REQUEST_MILLIS, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
