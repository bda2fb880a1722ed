package io.pilotfish.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.pilotfish.bench.DogStatsdLoad;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.Container.ExecResult;

/**
 * The Fargate task of {@code deploy/fargate-task-definition.json}, run as ECS runs it: the image as the sidecar,
 * an app sending DogStatsD to {@code localhost:8125} and a worker sending through the Unix socket on the task
 * volume, both started only once the agent's health check passed; the API key from SSM through the task role.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FargateTaskIT {

    static final String FILE = "fargate-task-definition.json";
    static final int SENT_BY_EACH = 1000;
    static TaskWorld world;

    @BeforeAll
    static void startTheTask() throws Exception {
        world = TaskWorld.builder(FILE)
                .env("app", "APP_COUNT", Integer.toString(SENT_BY_EACH))
                .env("worker", "APP_COUNT", Integer.toString(SENT_BY_EACH))
                .build();
        try {
            world.task.start(Duration.ofMinutes(3));
        } catch (Throwable e) {
            throw new AssertionError("the task did not start: " + e.getMessage() + world.task.describe(), e);
        }
    }

    @AfterAll
    static void stopTheTask() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    @Order(1)
    void theAppsStartOnlyOnceTheAgentIsHealthy() {
        Instant healthy = world.task.healthyAt(TaskWorld.AGENT)
                .orElseThrow(() -> new AssertionError("the agent never became HEALTHY" + world.task.describe()));
        EcsTask.Running agent = world.task.container(TaskWorld.AGENT);
        assertEquals(EcsTask.Health.HEALTHY, agent.health, world.task.describe());
        assertTrue(agent.lastHealthOutput.startsWith("healthy"), "the probe's line: " + agent.lastHealthOutput);
        for (String app : List.of("app", "worker")) {
            Instant started = world.task.container(app).startedAt;
            assertTrue(started.isAfter(healthy), app + " started at " + started + ", before the agent was healthy"
                    + " at " + healthy);
        }
    }

    @Test
    @Order(2)
    void udpFromTheAppArrivesWithTheAppContainersTags() throws Exception {
        assertArrives("app");
    }

    @Test
    @Order(3)
    void theUnixSocketOnTheTaskVolumeCarriesTheWorkersMetrics() throws Exception {
        assertArrives("worker");
        assertTrue(Files.exists(world.task.volume("dsdsocket").resolve("dsd.socket")),
                "the agent's socket on the task volume");
    }

    static void assertArrives(String app) throws Exception {
        assertTrue(world.task.awaitLine(app, l -> l.startsWith("APP SENT " + SENT_BY_EACH), Duration.ofSeconds(90)),
                app + " never sent:" + world.task.describe());
        String metric = "task." + app + ".requests";
        RecordedSeries series;
        try {
            series = world.intake.awaitSeries(metric, s -> s.hasTags("ecs_container_name:" + app),
                    Duration.ofSeconds(90));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + world.task.describe(), e);
        }
        TaskChecks.awaitCount(world.intake, metric, SENT_BY_EACH, Duration.ofSeconds(60), "ecs_container_name:" + app);
        // ecs_container_name comes from the container id the client read in its cgroup: origin detection worked.
        assertTrue(series.hasTags("app:" + app, "route:/checkout", "ecs_container_name:" + app, "task_family:shop",
                "cluster_name:prod", "team:task-tests"), "the app's own, its container's, the task's and the SSM"
                + " tags: " + series.tags());
    }

    @Test
    @Order(4)
    void theApiKeyCameFromSsmWithTheTaskRole() throws Exception {
        world.intake.awaitSeries("task.app.requests", Duration.ofSeconds(90));
        List<RecordedRequest> series = world.intake.requests("/api/v2/series");
        assertFalse(series.isEmpty());
        for (RecordedRequest request : series) {
            assertTrue(request.accepted() && request.apiKeyMatches(world.apiKey),
                    "request " + request.sequence() + " was refused or had another key");
        }
        assertTrue(world.metadata.credentialRequests() > 0, "the agent never asked the credentials endpoint");
        assertEquals(0, world.metadata.rejectedCredentialRequests());
        TaskDefinition.Container agent = world.definition.container(TaskWorld.AGENT);
        assertFalse(agent.environment().containsKey("DD_API_KEY"), "the task definition holds no key");
        assertFalse(agent.secrets().contains("DD_API_KEY"), "the task definition holds no key");
        assertFalse(world.task.container(TaskWorld.AGENT).output().contains(world.apiKey),
                "the key appeared in the agent's log");
    }

    @Test
    @Order(5)
    void itRunsAsTheNonRootUserOnAReadOnlyRootFileSystem() throws Exception {
        EcsTask.Running agent = world.task.container(TaskWorld.AGENT);
        InspectContainerResponse inspected = world.task.inspect(agent);
        assertTrue(inspected.getHostConfig().getReadonlyRootfs(), "readonlyRootFilesystem from the definition");
        ExecResult uid = world.task.exec(TaskWorld.AGENT, "/bin/sh", "-c",
                "while read key real rest; do [ \"$key\" = Uid: ] && echo \"$real\"; done < /proc/1/status");
        assertEquals("65532", uid.getStdout().strip(), "the agent's user: " + uid);
        for (String path : List.of("/opt/pilotfish/probe", "/tmp/probe")) {
            ExecResult write = world.task.exec(TaskWorld.AGENT, "/bin/sh", "-c", "echo x > " + path);
            assertNotEquals(0, write.getExitCode(), path + " is writable: ECS's read-only root has no writable /tmp");
            assertTrue(write.getStderr().contains("Read-only file system"), write.getStderr());
        }
        ExecResult health = world.task.exec(TaskWorld.AGENT, "/usr/local/bin/pilotfish", "health");
        assertEquals(0, health.getExitCode(), "healthy as it runs: " + health);
    }

    /**
     * The definition's hard memory limit ({@code memory}, the cgroup's limit): the agent stays under it at idle and
     * under the benchmark's DogStatsD load (500,000 lines a second, bench/measure-dogstatsd.sh), and is never
     * OOM-killed. Every line of the load is accounted for: at the intake, or counted by the agent as dropped.
     */
    @Test
    @Order(6)
    void itStaysUnderTheTasksMemoryLimitAtIdleAndUnderLoad() throws Exception {
        TaskDefinition.Container definition = world.definition.container(TaskWorld.AGENT);
        long limit = definition.memoryMiB().orElseThrow() * 1048576L;
        EcsTask.MemoryUsage idle = world.task.memory(TaskWorld.AGENT);
        assertEquals(limit, idle.limitBytes(), "the cgroup's limit is the definition's memory");
        assertTrue(idle.peakBytes() < limit, "peak " + idle.peakMiB() + " MiB at idle");

        Path out = Files.createTempFile("dogstatsd-load-", ".txt");
        DogStatsdLoad.main(new String[] {"--port", "8125", "--rate", "500000", "--duration", "20",
            "--out", out.toString()});
        Map<String, String> load = TaskChecks.keyValues(out);
        long checkLines = Long.parseLong(load.get("check_lines"));
        assertTrue(checkLines > 0, "the load sent nothing: " + load);

        // Everything sent is at the intake; what is not was counted by the agent (its kernel drops included).
        try {
            TaskWorld.await("the load's check counter at the intake", Duration.ofSeconds(90),
                    () -> TaskChecks.countTotal(world.intake, "bench.check") >= checkLines);
        } catch (AssertionError notAll) {
            assertTrue(TaskChecks.agentDrops() > 0, "lines were lost and the agent counted none: "
                    + TaskChecks.countTotal(world.intake, "bench.check") + " of " + checkLines);
        }
        EcsTask.MemoryUsage loaded = world.task.memory(TaskWorld.AGENT);
        System.out.printf("task memory: idle %.1f MiB (peak %.1f), after 20 s at 500k lines/s peak %.1f MiB of %d MiB;"
                + " %d check lines sent, %.0f at the intake, %.0f counted as dropped%n", idle.currentMiB(),
                idle.peakMiB(), loaded.peakMiB(), limit / 1048576, checkLines,
                TaskChecks.countTotal(world.intake, "bench.check"), TaskChecks.agentDrops());
        assertTrue(loaded.peakBytes() < limit, "peak " + loaded.peakMiB() + " MiB under load");
        assertEquals(0, loaded.oomKills(), "OOM kills in the agent's cgroup");
        InspectContainerResponse.ContainerState state = world.task.inspect(world.task.container(TaskWorld.AGENT))
                .getState();
        assertTrue(state.getRunning() && !state.getOOMKilled(), "the agent still runs: " + state);
        ExecResult health = world.task.exec(TaskWorld.AGENT, "/usr/local/bin/pilotfish", "health");
        assertEquals(0, health.getExitCode(), "healthy after the load: " + health);
    }
}
