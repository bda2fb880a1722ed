package io.pilotfish.core.pipeline;

import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Task metadata that never changes, for pipeline tests: one task, or no endpoint at all. (The testkit has richer
 * sources, but it builds on this module and cannot be used here.)
 */
final class FixedTaskSource implements TaskMetadataSource {

    private final Optional<TaskSnapshot> task;

    private FixedTaskSource(Optional<TaskSnapshot> task) {
        this.task = task;
    }

    /** As outside a task: no endpoint configured. */
    static FixedTaskSource none() {
        return new FixedTaskSource(Optional.empty());
    }

    static FixedTaskSource of(TaskSnapshot task) {
        return new FixedTaskSource(Optional.of(task));
    }

    @Override
    public boolean available() {
        return task.isPresent();
    }

    @Override
    public Optional<TaskSnapshot> current() {
        return task;
    }

    @Override
    public CompletionStage<TaskSnapshot> refresh() {
        return task.<CompletionStage<TaskSnapshot>>map(CompletableFuture::completedFuture)
                .orElse(CompletableFuture.failedFuture(new IllegalStateException("no task")));
    }

    @Override
    public CompletionStage<byte[]> get(String path) {
        return CompletableFuture.failedFuture(new IllegalStateException("no " + path));
    }

    @Override
    public void onChange(Consumer<TaskSnapshot> listener) {
    }
}
