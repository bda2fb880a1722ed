package io.pilotfish.config.ssm;

import io.pilotfish.spi.ecs.TaskMetadata;
import java.util.List;
import java.util.Optional;

final class Tasks {
    private Tasks() {
    }

    static TaskMetadata task(String cluster, String family, String service) {
        return new TaskMetadata("v4", "arn:aws:ecs:eu-west-1:123456789012:cluster/" + cluster, cluster,
                "arn:aws:ecs:eu-west-1:123456789012:task/" + cluster + "/0123456789abcdef", family, "3", "RUNNING",
                "RUNNING", "FARGATE", "eu-west-1b", "eu-west-1", "123456789012", service, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    static TaskMetadata bare(String availabilityZone, String taskArn) {
        return new TaskMetadata("v4", "c", "c", taskArn, "web", "1", "RUNNING", "RUNNING", "EC2", availabilityZone,
                null, null, null, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), List.of());
    }
}
