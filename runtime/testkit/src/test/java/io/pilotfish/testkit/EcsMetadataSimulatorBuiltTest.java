package io.pilotfish.testkit;

import static io.pilotfish.testkit.Http.at;
import static io.pilotfish.testkit.Http.getJson;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EcsMetadataSimulatorBuiltTest {

    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    private static final long MIB = 1024L * 1024L;

    private static EcsMetadataSimulator demo() {
        return EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).manualClock(START).start();
    }

    @Test
    void fargateDemoTaskLooksLikeARealFargateTask() throws Exception {
        try (EcsMetadataSimulator ecs = demo()) {
            JsonNode task = getJson(at(ecs.v4Uri(), "/task"));
            assertEquals("arn:aws:ecs:us-east-1:123456789012:cluster/demo", task.get("Cluster").asText());
            assertTrue(task.get("TaskARN").asText().matches(
                    "arn:aws:ecs:us-east-1:123456789012:task/demo/[0-9a-f]{32}"), task.get("TaskARN").asText());
            assertEquals("shop", task.get("Family").asText());
            assertTrue(task.get("Revision").isTextual(), "Revision is a string");
            assertEquals("FARGATE", task.get("LaunchType").asText());
            assertEquals(1, task.at("/Limits/CPU").asInt());
            assertEquals(2048, task.at("/Limits/Memory").asInt());
            assertEquals("us-east-1b", task.get("AvailabilityZone").asText());
            assertTrue(task.at("/EphemeralStorageMetrics/Reserved").asLong() > 0);
            assertEquals(List.of("app", "worker", "pilotfish"), ecs.containerNames());
            JsonNode app = task.get("Containers").get(0);
            assertTrue(app.get("DockerId").asText().matches("[0-9a-f]{32}-\\d{10}"), app.get("DockerId").asText());
            assertEquals("app", app.get("DockerName").asText());
            assertEquals(512, app.at("/Limits/CPU").asInt());
            assertEquals(1024, app.at("/Limits/Memory").asInt());
            assertEquals("NORMAL", app.get("Type").asText());
            assertEquals("RUNNING", app.get("KnownStatus").asText());
            assertEquals(task.get("Cluster"), app.at("/Labels/com.amazonaws.ecs.cluster"));
            assertEquals("7", app.at("/Labels/com.amazonaws.ecs.task-definition-version").asText());
            assertEquals("awsvpc", app.at("/Networks/0/NetworkMode").asText());
            assertTrue(app.at("/Networks/0/MACAddress").isTextual());
            assertEquals(app.get("Networks"), task.at("/Containers/2/Networks"), "one task ENI");
            assertEquals("pilotfish", getJson(ecs.v4Uri()).get("Name").asText(), "the sidecar is self");
            assertEquals("checkout", getJson(at(ecs.v4Uri(), "/taskWithTags")).at("/TaskTags/team").asText());
        }
    }

    @Test
    void builtStatsHaveTheCgroupV1ShapeAndGrowAtTheConfiguredRate() throws Exception {
        try (EcsMetadataSimulator ecs = demo()) {
            String app = ecs.dockerId("app");
            JsonNode all = getJson(at(ecs.v4Uri(), "/task/stats"));
            assertEquals(3, all.size());
            JsonNode first = all.get(app);
            assertEquals(START.toString(), first.get("read").asText());
            assertEquals(START.minusSeconds(10).toString(), first.get("preread").asText(), "Fargate samples 10 s");
            for (String key : List.of("pids_stats", "blkio_stats", "num_procs", "storage_stats", "cpu_stats",
                    "precpu_stats", "memory_stats", "name", "id", "networks", "network_rate_stats")) {
                assertTrue(first.has(key), "missing " + key);
            }
            assertEquals("app", first.get("name").asText());
            assertEquals(app, first.get("id").asText());
            assertEquals(2, first.at("/cpu_stats/online_cpus").asInt());
            assertEquals(2, first.at("/cpu_stats/cpu_usage/percpu_usage").size());
            assertEquals(1024 * MIB, first.at("/memory_stats/limit").asLong());
            assertTrue(first.at("/memory_stats/stats/cache").asLong() > 0);
            assertTrue(first.has("networks") && first.get("networks").has("eth1"));
            // Started 5 minutes before START at 0.25 vCPU.
            assertEquals(Math.round(0.25 * Duration.ofMinutes(5).toNanos()),
                    first.at("/cpu_stats/cpu_usage/total_usage").asLong());
            assertEquals(Math.round(0.25 * Duration.ofSeconds(290).toNanos()),
                    first.at("/precpu_stats/cpu_usage/total_usage").asLong());

            ecs.advance(Duration.ofSeconds(10));
            JsonNode second = getJson(at(ecs.v4Uri(), "/task/stats")).get(app);
            assertEquals(2_500_000_000L, second.at("/cpu_stats/cpu_usage/total_usage").asLong()
                    - first.at("/cpu_stats/cpu_usage/total_usage").asLong(), "0.25 vCPU for 10 s");
            assertEquals(20_000_000_000L, second.at("/cpu_stats/system_cpu_usage").asLong()
                    - first.at("/cpu_stats/system_cpu_usage").asLong(), "2 online CPUs for 10 s");
            assertEquals(1_200_000, second.at("/networks/eth1/rx_bytes").asLong()
                    - first.at("/networks/eth1/rx_bytes").asLong());
            assertEquals(120_000.0, second.at("/network_rate_stats/rx_bytes_per_sec").asDouble());
            assertEquals(first.get("cpu_stats"), second.get("precpu_stats"));

            long limit = 1024 * MIB;
            for (int i = 0; i < 12; i++) {
                ecs.advance(Duration.ofSeconds(7));
                long usage = getJson(at(ecs.v4Uri(), "/stats")).at("/memory_stats/usage").asLong();
                assertTrue(usage > 0 && usage <= limit, "usage " + usage);
            }
        }
    }

    @Test
    void memoryUsageFluctuatesButNeverExceedsTheLimit() throws Exception {
        TaskSpec tight = TaskSpec.fargate().limits(0.25, 512)
                .container(ContainerSpec.of("app", "nginx:1.27").withMemoryMiB(100).withLoad(0.1, 98))
                .build();
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(tight).manualClock(START).start()) {
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 20; i++) {
                ecs.advance(Duration.ofSeconds(5));
                long usage = getJson(at(ecs.v4Uri(), "/stats")).at("/memory_stats/usage").asLong();
                min = Math.min(min, usage);
                max = Math.max(max, usage);
            }
            assertTrue(max <= 100 * MIB, "max " + max);
            assertTrue(min < max, "usage moves");
            long maxUsage = getJson(at(ecs.v4Uri(), "/stats")).at("/memory_stats/max_usage").asLong();
            assertEquals(max, maxUsage);
        }
    }

    @Test
    void ec2TaskHasEc2ShapesAndEmptyObjectForStoppedContainers() throws Exception {
        TaskSpec spec = TaskSpec.ec2().cluster("prod").family("api").revision("26").networkMode("awsvpc")
                .serviceName("api-svc").containerInstanceTag("rack", "r1")
                .container(ContainerSpec.pause())
                .container(ContainerSpec.of("api", "api:2").withCpuUnits(256).withMemoryMiB(512))
                .container(ContainerSpec.of("migrate", "api:2").stopped(0))
                .build();
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(spec).manualClock(START).start()) {
            JsonNode task = getJson(at(ecs.v4Uri(), "/task"));
            assertEquals("prod", task.get("Cluster").asText());
            assertEquals("EC2", task.get("LaunchType").asText());
            assertEquals("api-svc", task.get("ServiceName").asText());
            assertTrue(task.get("VPCID").asText().startsWith("vpc-"));
            assertFalse(task.has("Limits"), "EC2 tasks often have no task limits");
            assertFalse(task.has("EphemeralStorageMetrics"));
            JsonNode pause = task.get("Containers").get(0);
            assertEquals("CNI_PAUSE", pause.get("Type").asText());
            assertEquals("RESOURCES_PROVISIONED", pause.get("KnownStatus").asText());
            assertEquals("", pause.get("ImageID").asText());
            JsonNode api = task.get("Containers").get(1);
            assertTrue(api.get("DockerId").asText().matches("[0-9a-f]{64}"));
            assertTrue(api.get("DockerName").asText().matches("ecs-api-26-api-[0-9a-f]{20}"),
                    api.get("DockerName").asText());
            JsonNode migrate = task.get("Containers").get(2);
            assertEquals("STOPPED", migrate.get("KnownStatus").asText());
            assertEquals(0, migrate.get("ExitCode").asInt());
            assertTrue(migrate.has("FinishedAt"));
            assertEquals("api", getJson(ecs.v4Uri()).get("Name").asText());

            JsonNode stats = getJson(at(ecs.v4Uri(), "/task/stats"));
            assertEquals(3, stats.size());
            assertTrue(stats.get(ecs.dockerId("migrate")).isObject());
            assertTrue(stats.get(ecs.dockerId("migrate")).isEmpty());
            JsonNode apiStats = stats.get(ecs.dockerId("api"));
            assertEquals("/" + api.get("DockerName").asText(), apiStats.get("name").asText());
            assertEquals(START.minusSeconds(1).toString(), apiStats.get("preread").asText(), "EC2 samples 1 s");
            assertTrue(apiStats.get("networks").has("eth0"));

            JsonNode tagged = getJson(at(ecs.v4Uri(), "/taskWithTags"));
            assertEquals("r1", tagged.at("/ContainerInstanceTags/rack").asText());
            assertTrue(tagged.get("TaskTags").isEmpty());
        }
    }

    @Test
    void bridgeModeGivesEachContainerItsAddressAndV3KeepsBridgeNetworkStats() throws Exception {
        TaskSpec spec = TaskSpec.ec2()
                .container(ContainerSpec.of("web", "nginx"))
                .container(ContainerSpec.of("cache", "redis"))
                .build();
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(spec).manualClock(START).start()) {
            JsonNode task = getJson(at(ecs.v4Uri(), "/task"));
            assertEquals("bridge", task.at("/Containers/0/Networks/0/NetworkMode").asText());
            assertNotEquals(task.at("/Containers/0/Networks/0/IPv4Addresses/0"),
                    task.at("/Containers/1/Networks/0/IPv4Addresses/0"));
            JsonNode v3Stats = getJson(at(ecs.v3Uri(), "/stats"));
            assertTrue(v3Stats.has("networks"));
            assertFalse(v3Stats.has("network_rate_stats"));
        }
    }

    @Test
    void stopRestartAndAddContainersAtRuntime() throws Exception {
        try (EcsMetadataSimulator ecs = demo()) {
            String worker = ecs.dockerId("worker");
            ecs.advance(Duration.ofSeconds(10));
            ecs.stopContainer("worker", 137);
            JsonNode task = getJson(at(ecs.v4Uri(), "/task"));
            JsonNode stopped = task.get("Containers").get(1);
            assertEquals("STOPPED", stopped.get("KnownStatus").asText());
            assertEquals(137, stopped.get("ExitCode").asInt());
            assertEquals(START.plusSeconds(10).toString(), stopped.get("FinishedAt").asText());
            JsonNode stats = getJson(at(ecs.v4Uri(), "/task/stats"));
            assertTrue(stats.has(worker) && stats.get(worker).isNull(), "Fargate: stopped renders null");

            ecs.advance(Duration.ofSeconds(10));
            ecs.restartContainer("worker");
            ecs.advance(Duration.ofSeconds(4));
            JsonNode restarted = getJson(at(ecs.v4Uri(), "/task")).get("Containers").get(1);
            assertEquals("RUNNING", restarted.get("KnownStatus").asText());
            assertEquals(1, restarted.get("RestartCount").asInt());
            assertFalse(restarted.has("ExitCode"));
            assertFalse(restarted.has("FinishedAt"));
            JsonNode fresh = getJson(at(ecs.v4Uri(), "/task/stats")).get(worker);
            assertEquals("0001-01-01T00:00:00Z", fresh.get("preread").asText(), "no previous sample after restart");
            assertEquals(0, fresh.at("/precpu_stats/cpu_usage/total_usage").asLong());
            assertEquals(0, fresh.at("/precpu_stats/system_cpu_usage").asLong());
            assertEquals(400_000_000L, fresh.at("/cpu_stats/cpu_usage/total_usage").asLong(),
                    "counters restart from zero: 0.1 vCPU for 4 s");
            ecs.restartContainer("worker");
            assertEquals(2, getJson(at(ecs.v4Uri(), "/task")).at("/Containers/1/RestartCount").asInt());

            String added = ecs.addContainer(ContainerSpec.of("cron", "busybox").withLoad(0.5, 10));
            ecs.advance(Duration.ofSeconds(2));
            JsonNode withCron = getJson(at(ecs.v4Uri(), "/task"));
            assertEquals(4, withCron.get("Containers").size());
            assertEquals(added, withCron.at("/Containers/3/DockerId").asText());
            assertTrue(added.startsWith(ecs.dockerId("app").substring(0, 32)), "same task id");
            assertEquals(withCron.at("/Containers/0/Networks"), withCron.at("/Containers/3/Networks"));
            JsonNode cronStats = getJson(at(ecs.v4Uri(), "/task/stats")).get(added);
            assertEquals(1_000_000_000L, cronStats.at("/cpu_stats/cpu_usage/total_usage").asLong());
            assertEquals("cron", getJson(ecs.v4Uri("cron")).get("Name").asText());
            assertThrows(IllegalArgumentException.class, () -> ecs.addContainer(ContainerSpec.of("cron", "x")));
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> ecs.stopContainer("nope", 1));
            assertTrue(unknown.getMessage().contains("[app, worker, pilotfish, cron]"), unknown.getMessage());
        }
    }

    @Test
    void setLoadChangesTheRateFromNowOn() throws Exception {
        try (EcsMetadataSimulator ecs = demo()) {
            JsonNode before = getJson(at(ecs.v4Uri("app"), "/stats"));
            ecs.setLoad("app", ecs.load("app").withCpu(1.5));
            ecs.advance(Duration.ofSeconds(2));
            JsonNode after = getJson(at(ecs.v4Uri("app"), "/stats"));
            assertEquals(3_000_000_000L, after.at("/cpu_stats/cpu_usage/total_usage").asLong()
                    - before.at("/cpu_stats/cpu_usage/total_usage").asLong());
        }
    }

    @Test
    void theSameSpecRendersTheSameTaskEveryTime() {
        try (EcsMetadataSimulator one = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(START).build();
             EcsMetadataSimulator two = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                     .manualClock(START).build()) {
            assertArrayEquals(one.taskJson(), two.taskJson());
        }
    }

    @Test
    void advanceNeedsAManualClock() {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ecs.advance(Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("manualClock"), e.getMessage());
        }
    }

    @Test
    void invalidSpecsAreRefusedWithTheReason() {
        assertMessage("used twice", () -> TaskSpec.fargate()
                .container(ContainerSpec.of("a", "x")).container(ContainerSpec.of("a", "y")).build());
        assertMessage("awsvpc", () -> TaskSpec.fargate().networkMode("bridge")
                .container(ContainerSpec.of("a", "x")).build());
        assertMessage("task limits", () -> TaskSpec.fargate().noLimits().container(ContainerSpec.of("a", "x")).build());
        assertMessage("at least one container", () -> TaskSpec.ec2().build());
        assertMessage("selfContainer 'b'", () -> TaskSpec.ec2().container(ContainerSpec.of("a", "x"))
                .selfContainer("b").build());
        assertMessage("cpuVcpu", () -> ContainerLoad.DEFAULT.withCpu(-1));
        assertMessage("exit code needs knownStatus STOPPED", () -> new ContainerSpec("a", "x",
                java.util.OptionalInt.empty(), java.util.OptionalInt.empty(), "NORMAL", "RUNNING",
                java.util.OptionalInt.of(1), ContainerLoad.DEFAULT));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable action) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
