package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.signal.TagSet;
import java.util.Locale;

/**
 * Where the task's containers run, as far as the Datadog Agent's tags and checks care: the value of the
 * {@code runtime:} tag its generic container check puts on every {@code container.*} point, and whether its
 * ecs_fargate check (and so {@code fargate_check}) runs at all.
 */
enum TaskPlatform {

    /** Launch type FARGATE; the Agent's workloadmeta calls the runtime {@code ecsfargate}. */
    FARGATE("ecsfargate"),
    /** Launch type EC2: the containers are Docker's, and the Agent's Docker collector names the runtime. */
    DOCKER("docker"),
    /** ECS Managed Instances, where the Agent as a sidecar names the runtime {@code ecsmanagedinstances}. */
    MANAGED_INSTANCES("ecsmanagedinstances"),
    /** Anything else (ECS Anywhere, a launch type we do not know): no runtime tag rather than a guessed one. */
    UNKNOWN("");

    private final TagSet runtimeTag;

    TaskPlatform(String runtime) {
        this.runtimeTag = runtime.isEmpty() ? TagSet.EMPTY : TagSet.of("runtime:" + runtime);
    }

    /**
     * The launch type when the endpoint reports one; v3 endpoints do not, and there Fargate-style container ids
     * mean Fargate and anything else means Docker on EC2 (the same reading as the tagger's).
     */
    static TaskPlatform of(TaskMetadata task) {
        String launchType = task.launchType().toUpperCase(Locale.ROOT);
        return switch (launchType) {
            case "FARGATE" -> FARGATE;
            case "EC2" -> DOCKER;
            case "MANAGED_INSTANCES" -> MANAGED_INSTANCES;
            case "" -> task.isFargate() ? FARGATE : DOCKER;
            default -> UNKNOWN;
        };
    }

    /** {@code runtime:<name>}, or no tag where the Agent's value is not known. */
    TagSet runtimeTag() {
        return runtimeTag;
    }
}
