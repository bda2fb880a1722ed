package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.TagSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Tags in the shape the Datadog tagger gives on ECS (a subset; enough to check what the converter adds). */
record FakeSnapshot(TaskMetadata task, Instant fetchedAt) implements TaskSnapshot {

    FakeSnapshot(TaskMetadata task) {
        this(task, Instant.parse("2025-01-01T00:00:00Z"));
    }

    @Override
    public TagSet taskTags(Cardinality cardinality) {
        List<String> tags = new ArrayList<>();
        tags.add("cluster_name:" + task.clusterName());
        tags.add("ecs_cluster_name:" + task.clusterName());
        tags.add("task_family:" + task.family());
        tags.add("task_name:" + task.family());
        tags.add("task_version:" + task.revision());
        tags.add("region:" + task.region());
        if (cardinality != Cardinality.LOW) {
            tags.add("task_arn:" + task.taskArn());
        }
        return TagSet.of(tags);
    }

    @Override
    public TagSet containerTags(String dockerId, Cardinality cardinality) {
        Optional<ContainerMetadata> found = task.container(dockerId);
        if (found.isEmpty()) {
            return taskTags(cardinality);
        }
        ContainerMetadata container = found.get();
        List<String> tags = new ArrayList<>();
        tags.add("ecs_container_name:" + container.name());
        String image = container.image();
        int colon = image.lastIndexOf(':');
        String name = colon > image.lastIndexOf('/') ? image.substring(0, colon) : image;
        tags.add("image_name:" + name);
        tags.add("short_image:" + name.substring(name.lastIndexOf('/') + 1));
        tags.add("image_tag:" + (colon > image.lastIndexOf('/') ? image.substring(colon + 1) : "latest"));
        if (cardinality == Cardinality.HIGH) {
            tags.add("container_id:" + dockerId);
            tags.add("container_name:" + container.dockerName());
        }
        return taskTags(cardinality).with(TagSet.of(tags));
    }
}
