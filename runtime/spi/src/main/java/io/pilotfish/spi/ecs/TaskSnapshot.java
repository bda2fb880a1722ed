package io.pilotfish.spi.ecs;

import io.pilotfish.spi.signal.TagSet;
import java.time.Instant;

/** One view of the task with the tags the Datadog Agent would derive from it. Immutable. */
public interface TaskSnapshot {

    TaskMetadata task();

    Instant fetchedAt();

    /** Task-level tags (cluster, family, version, region, ...); the task ARN from ORCHESTRATOR up. */
    TagSet taskTags(Cardinality cardinality);

    /**
     * Tags of one container, task tags included: container name, image tags; container id and name from HIGH up.
     * Unknown ids get the task tags only.
     */
    TagSet containerTags(String dockerId, Cardinality cardinality);
}
