package io.pilotfish.core.ecs;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.TagSet;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable view of the task with every tag set computed once, here: tags are read for each metric point on the
 * hot paths, so lookups must not build sets.
 */
public final class EcsTaskSnapshot implements TaskSnapshot {

    private static final Cardinality[] LEVELS = Cardinality.values();

    private final TaskMetadata task;
    private final Instant fetchedAt;
    private final TagSet[] taskTags;
    private final Map<String, TagSet[]> containerTags;

    public EcsTaskSnapshot(TaskMetadata task, Instant fetchedAt) {
        this.task = Objects.requireNonNull(task, "task");
        this.fetchedAt = Objects.requireNonNull(fetchedAt, "fetchedAt");
        this.taskTags = new TagSet[LEVELS.length];
        for (Cardinality level : LEVELS) {
            taskTags[level.ordinal()] = EcsTagger.taskTags(task, level);
        }
        Map<String, TagSet[]> byContainer = new HashMap<>();
        for (ContainerMetadata container : task.containers()) {
            TagSet[] sets = new TagSet[LEVELS.length];
            for (Cardinality level : LEVELS) {
                sets[level.ordinal()] = taskTags[level.ordinal()]
                        .with(EcsTagger.ownContainerTags(task, container, level));
            }
            byContainer.put(container.dockerId(), sets);
        }
        this.containerTags = Map.copyOf(byContainer);
    }

    @Override
    public TaskMetadata task() {
        return task;
    }

    @Override
    public Instant fetchedAt() {
        return fetchedAt;
    }

    @Override
    public TagSet taskTags(Cardinality cardinality) {
        return taskTags[cardinality.ordinal()];
    }

    @Override
    public TagSet containerTags(String dockerId, Cardinality cardinality) {
        TagSet[] sets = dockerId == null ? null : containerTags.get(dockerId);
        return sets == null ? taskTags(cardinality) : sets[cardinality.ordinal()];
    }

    @Override
    public String toString() {
        return "EcsTaskSnapshot[" + task.taskArn() + ", " + task.containers().size() + " containers, fetched "
                + fetchedAt + "]";
    }
}
