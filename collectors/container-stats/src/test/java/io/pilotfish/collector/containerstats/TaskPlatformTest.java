package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.signal.TagSet;
import org.junit.jupiter.api.Test;

/** The runtime the Agent names for each kind of task, read from the recorded task metadata. */
class TaskPlatformTest {

    private static TaskPlatform platformOf(byte[] taskJson, String version) {
        TaskMetadata task = TaskMetadataParser.parseTask(taskJson, version);
        return TaskPlatform.of(task);
    }

    @Test
    void theLaunchTypeDecides() {
        byte[] fargate = TestData.shared("fargate/task.json");
        assertEquals(TaskPlatform.FARGATE, platformOf(fargate, "v4"));
        assertEquals(TagSet.of("runtime:ecsfargate"), TaskPlatform.FARGATE.runtimeTag());
        assertEquals(TaskPlatform.DOCKER, platformOf(TestData.shared("ec2/task-awsvpc.json"), "v4"));
        assertEquals(TagSet.of("runtime:docker"), TaskPlatform.DOCKER.runtimeTag());

        byte[] managed = TestData.withField(fargate, "LaunchType", "MANAGED_INSTANCES");
        assertEquals(TaskPlatform.MANAGED_INSTANCES, platformOf(managed, "v4"));
        assertEquals(TagSet.of("runtime:ecsmanagedinstances"), TaskPlatform.MANAGED_INSTANCES.runtimeTag());

        byte[] anywhere = TestData.withField(fargate, "LaunchType", "EXTERNAL");
        assertEquals(TaskPlatform.UNKNOWN, platformOf(anywhere, "v4"));
        assertEquals(TagSet.EMPTY, TaskPlatform.UNKNOWN.runtimeTag(), "no guessed runtime");
    }

    @Test
    void withoutALaunchTypeTheContainerIdsDecide() {
        assertEquals(TaskPlatform.FARGATE,
                platformOf(TestData.withoutField(TestData.shared("fargate/task.json"), "LaunchType"), "v3"));
        assertEquals(TaskPlatform.DOCKER, platformOf(TestData.shared("v3/task.json"), "v3"));
    }
}
