package io.pilotfish.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.RecordedSeries;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The EC2 task definitions of {@code deploy/}: {@code awsvpc} (the containers share {@code localhost}, as on
 * Fargate) and {@code bridge} (each container its own network namespace: the apps reach the agent only through the
 * Unix socket on the task volume). Each runs as ECS runs it, with the EC2 task metadata.
 */
class Ec2TaskIT {

    static final int SENT_BY_EACH = 500;

    @Test
    void awsvpcOnEc2() throws Exception {
        try (TaskWorld world = run("ec2-awsvpc-task-definition.json", "shop-ec2")) {
            assertEquals("host", world.task.inspect(world.task.container("app")).getHostConfig().getNetworkMode(),
                    "the app shares the task's localhost with the agent");
        }
    }

    @Test
    void bridgeOnEc2AppsReachTheAgentThroughTheSocketVolume() throws Exception {
        try (TaskWorld world = run("ec2-bridge-task-definition.json", "shop-bridge")) {
            for (String app : List.of("app", "worker")) {
                EcsTask.Running running = world.task.container(app);
                assertEquals("none", world.task.inspect(running).getHostConfig().getNetworkMode(),
                        app + " has a network namespace of its own, with nothing in it but loopback");
                assertTrue(world.definition.container(app).environment().get("DD_DOGSTATSD_URL")
                        .startsWith("unix://"), "bridge-mode apps use the socket");
            }
        }
    }

    static TaskWorld run(String file, String family) throws Exception {
        TaskWorld world = TaskWorld.builder(file)
                .env("app", "APP_COUNT", Integer.toString(SENT_BY_EACH))
                .env("worker", "APP_COUNT", Integer.toString(SENT_BY_EACH))
                .build();
        try {
            TaskStopIT.start(world);
            assertTrue(world.definition.requiresCompatibilities().contains("EC2"), file);
            for (String app : List.of("app", "worker")) {
                assertTrue(world.task.awaitLine(app, l -> l.startsWith("APP SENT " + SENT_BY_EACH),
                        Duration.ofSeconds(90)), app + " never sent:" + world.task.describe());
                String metric = "task." + app + ".requests";
                RecordedSeries series;
                try {
                    series = world.intake.awaitSeries(metric, s -> s.hasTags("ecs_container_name:" + app),
                            Duration.ofSeconds(90));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + world.task.describe(), e);
                }
                TaskChecks.awaitCount(world.intake, metric, SENT_BY_EACH, Duration.ofSeconds(60),
                        "ecs_container_name:" + app);
                assertTrue(series.hasTags("task_family:" + family, "cluster_name:prod", "team:task-tests"),
                        series.tags().toString());
            }
            world.task.stop();
            assertEquals(143, world.task.container(TaskWorld.AGENT).exitCode, world.task.describe());
            return world;
        } catch (Throwable e) {
            world.close();
            throw e;
        }
    }
}
