package io.pilotfish.testkit;

import static io.pilotfish.testkit.Http.at;
import static io.pilotfish.testkit.Http.getJson;
import static io.pilotfish.testkit.Http.shared;
import static io.pilotfish.testkit.Http.sharedJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EcsMetadataSimulatorRecordedTest {

    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    private static final String AGENT = "67cd8a22b533459696d4ccab5278e009-2860414825";
    private static final String APP = "67cd8a22b533459696d4ccab5278e009-3344678718";

    private static EcsMetadataSimulator fargate() {
        return EcsMetadataSimulator.recorded(shared("testdata/ecs/fargate/task.json"),
                shared("testdata/ecs/fargate/task-stats.json")).manualClock(START).start();
    }

    @Test
    void servesTheRecordedTaskAndTheSelfContainer() throws Exception {
        try (EcsMetadataSimulator ecs = fargate()) {
            JsonNode recorded = sharedJson("testdata/ecs/fargate/task.json");
            assertEquals(recorded, getJson(at(ecs.v4Uri(), "/task")));
            assertEquals(recorded.get("Containers").get(0), getJson(ecs.v4Uri()), "self = first NORMAL container");
            assertEquals("apmtest-ping", getJson(ecs.v4Uri("apmtest-ping")).get("Name").asText());
            assertTrue(ecs.v4Uri().toString().startsWith("http://127.0.0.1:" + ecs.port() + "/v4/"));
            assertEquals(ecs.v4Uri().toString(), ecs.environment().get("ECS_CONTAINER_METADATA_URI_V4"));
        }
    }

    @Test
    void firstSampleKeepsTheRecordedCountersWithReadMovedToStart() throws Exception {
        try (EcsMetadataSimulator ecs = fargate()) {
            JsonNode recorded = sharedJson("testdata/ecs/fargate/task-stats.json").get(AGENT);
            JsonNode first = getJson(at(ecs.v4Uri(), "/task/stats")).get(AGENT);
            assertEquals(recorded.get("cpu_stats"), first.get("cpu_stats"));
            assertEquals(recorded.get("memory_stats"), first.get("memory_stats"));
            assertEquals(START.toString(), first.get("read").asText());
            // The recorded gap between preread and read (about 10 s) is kept.
            Duration gap = Duration.between(Instant.parse(first.get("preread").asText()), START);
            assertEquals(Duration.ofNanos(10_000_358_692L), gap);
        }
    }

    @Test
    void successiveSamplesAdvance() throws Exception {
        try (EcsMetadataSimulator ecs = fargate()) {
            JsonNode first = getJson(at(ecs.v4Uri(), "/task/stats")).get(AGENT);
            ecs.advance(Duration.ofSeconds(10));
            JsonNode second = getJson(at(ecs.v4Uri(), "/task/stats")).get(AGENT);

            assertEquals(START.plusSeconds(10).toString(), second.get("read").asText());
            assertEquals(first.get("read"), second.get("preread"));
            assertEquals(first.get("cpu_stats"), second.get("precpu_stats"));

            long cpuBefore = first.at("/cpu_stats/cpu_usage/total_usage").asLong();
            long cpuAfter = second.at("/cpu_stats/cpu_usage/total_usage").asLong();
            // The recorded rate: (4817594472 - 4731035320) ns over 10.000358692 s, applied for 10 s.
            assertEquals(86_556_047, cpuAfter - cpuBefore, 1);
            long userDelta = second.at("/cpu_stats/cpu_usage/usage_in_usermode").asLong()
                    - first.at("/cpu_stats/cpu_usage/usage_in_usermode").asLong();
            long kernelDelta = second.at("/cpu_stats/cpu_usage/usage_in_kernelmode").asLong()
                    - first.at("/cpu_stats/cpu_usage/usage_in_kernelmode").asLong();
            assertEquals(cpuAfter - cpuBefore, userDelta + kernelDelta);
            long perCpuDelta = 0;
            for (int i = 0; i < 2; i++) {
                perCpuDelta += second.at("/cpu_stats/cpu_usage/percpu_usage/" + i).asLong()
                        - first.at("/cpu_stats/cpu_usage/percpu_usage/" + i).asLong();
            }
            assertEquals(cpuAfter - cpuBefore, perCpuDelta);
            assertEquals(2 * 10_000_000_000L, second.at("/cpu_stats/system_cpu_usage").asLong()
                    - first.at("/cpu_stats/system_cpu_usage").asLong());

            // network_rate_stats of the capture set the network rate: 1911 B/s in, 2391 B/s out.
            assertEquals(19_110, second.at("/networks/eth1/rx_bytes").asLong()
                    - first.at("/networks/eth1/rx_bytes").asLong());
            assertEquals(23_910, second.at("/networks/eth1/tx_bytes").asLong()
                    - first.at("/networks/eth1/tx_bytes").asLong());
            assertTrue(second.at("/networks/eth1/rx_packets").asLong() > first.at("/networks/eth1/rx_packets").asLong());
            // blkio: default 4096 B/s read and 16384 B/s written on the first device (259:0).
            JsonNode bytes = second.at("/blkio_stats/io_service_bytes_recursive");
            assertEquals("Read", bytes.get(0).get("op").asText());
            assertEquals(40_960, bytes.get(0).get("value").asLong());
            assertEquals(57_344 + 163_840, bytes.get(1).get("value").asLong());
            assertEquals(57_344 + 163_840 + 40_960, bytes.get(5).get("value").asLong());
            assertEquals(143_360, bytes.get(6).get("value").asLong(), "second device untouched");
            assertTrue(second.at("/blkio_stats/io_serviced_recursive/1/value").asLong() > 14);
            assertTrue(second.at("/memory_stats/usage").asLong() > 0);

            // A third sample chains on the second.
            ecs.advance(Duration.ofSeconds(10));
            JsonNode third = getJson(at(ecs.v4Uri(), "/task/stats")).get(AGENT);
            assertEquals(second.get("cpu_stats"), third.get("precpu_stats"));
            assertEquals(second.get("read"), third.get("preread"));
        }
    }

    @Test
    void aRequestWithoutClockMovementRepeatsTheLastSample() throws Exception {
        try (EcsMetadataSimulator ecs = fargate()) {
            ecs.advance(Duration.ofSeconds(3));
            JsonNode first = getJson(at(ecs.v4Uri(), "/task/stats"));
            JsonNode again = getJson(at(ecs.v4Uri(), "/task/stats"));
            assertEquals(first, again);
        }
    }

    @Test
    void realClockSamplesAdvanceOnEveryRequest() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(shared("testdata/ecs/fargate/task.json"),
                shared("testdata/ecs/fargate/task-stats.json")).start()) {
            JsonNode first = getJson(at(ecs.v4Uri(), "/task/stats")).get(APP);
            JsonNode second = getJson(at(ecs.v4Uri(), "/task/stats")).get(APP);
            assertTrue(Instant.parse(second.get("read").asText()).isAfter(Instant.parse(first.get("read").asText())));
            assertEquals(first.get("read"), second.get("preread"));
            assertEquals(first.get("cpu_stats"), second.get("precpu_stats"));
            assertTrue(second.at("/cpu_stats/cpu_usage/total_usage").asLong()
                    > first.at("/cpu_stats/cpu_usage/total_usage").asLong());
        }
    }

    @Test
    void containerStatsEndpointServesTheSelfContainer() throws Exception {
        try (EcsMetadataSimulator ecs = fargate()) {
            JsonNode stats = getJson(at(ecs.v4Uri(), "/stats"));
            assertEquals(AGENT, stats.get("id").asText());
            assertEquals(APP, getJson(at(ecs.v4Uri("apmtest-ping"), "/stats")).get("id").asText());
        }
    }

    @Test
    void stoppedFargateContainerIsNullAndStaysNullWhileOthersAdvance() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(
                shared("testdata/ecs/fargate/task-with-stopped-container.json"),
                shared("testdata/ecs/fargate/task-stats-with-stopped-container-null.json"))
                .manualClock(START).selfContainer("prometheus").start()) {
            ecs.advance(Duration.ofSeconds(10));
            JsonNode stats = getJson(at(ecs.v4Uri(), "/task/stats"));
            assertTrue(stats.has("bae32def0ab64f06818e8862e58f8d6d-1585788040"));
            assertTrue(stats.get("bae32def0ab64f06818e8862e58f8d6d-1585788040").isNull());
            assertTrue(stats.get("bae32def0ab64f06818e8862e58f8d6d-1819985369").isObject());
            // The limit sentinel 2^63 - 4096 (no container limit) is preserved.
            assertEquals(9223372036854771712L,
                    stats.at("/bae32def0ab64f06818e8862e58f8d6d-1819985369/memory_stats/limit").asLong());
            assertEquals("prometheus", getJson(ecs.v4Uri()).get("Name").asText());
        }
    }

    @Test
    void stoppedEc2ContainerIsAnEmptyObjectAndCgroupV2CountersAdvance() throws Exception {
        String running = "01cf1f3208005cda71d5ac936ded65d2ecc0a8cc8ff8a82d2e00410bf4fbbd6d";
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(
                shared("testdata/ecs/ec2/task-bridge-with-stopped-container.json"),
                shared("testdata/ecs/ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json"))
                .manualClock(START).start()) {
            JsonNode first = getJson(at(ecs.v4Uri(), "/task/stats"));
            JsonNode stopped = first.get("213e1203f4bb72af185724d937e698d2724acf35b57ec2dd5f3c963adbd2d38c");
            assertTrue(stopped.isObject() && stopped.isEmpty(), "EC2 stopped container renders {}");
            ecs.advance(Duration.ofSeconds(1));
            JsonNode second = getJson(at(ecs.v4Uri(), "/task/stats"));
            // cgroup v2 has lowercase ops and null lists: the read counter grows, the nulls stay.
            assertEquals("read", second.at("/" + running + "/blkio_stats/io_service_bytes_recursive/0/op").asText());
            assertEquals(4_096, second.at("/" + running + "/blkio_stats/io_service_bytes_recursive/0/value").asLong()
                    - first.at("/" + running + "/blkio_stats/io_service_bytes_recursive/0/value").asLong());
            assertTrue(second.at("/" + running + "/blkio_stats/io_serviced_recursive").isNull());
            assertTrue(second.get("213e1203f4bb72af185724d937e698d2724acf35b57ec2dd5f3c963adbd2d38c").isEmpty());
        }
    }

    @Test
    void cgroupV2UnlimitedMemorySentinelIsServedVerbatim() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(
                shared("testdata/ecs/fargate/task.json"),
                shared("testdata/ecs/managed-instances/task-stats-cgroupv2.json")).manualClock(START).start()) {
            ecs.advance(Duration.ofSeconds(10));
            HttpResponse<String> response = Http.get(at(ecs.v4Uri(), "/task/stats"));
            assertEquals(200, response.statusCode());
            assertTrue(response.body().contains("\"limit\":18446744073709551615"), response.body());
        }
    }

    @Test
    void v3RoutesDropV4OnlyFields() throws Exception {
        try (EcsMetadataSimulator ecs = fargate()) {
            assertTrue(ecs.v3Uri().getPath().startsWith("/v3/"));
            assertEquals(ecs.v3Uri().getPath().substring(4), ecs.v4Uri().getPath().substring(4),
                    "v3 and v4 share the endpoint id");
            JsonNode task = getJson(at(ecs.v3Uri(), "/task"));
            assertFalse(task.has("LaunchType"));
            assertFalse(task.has("ClockDrift"));
            assertFalse(task.has("EphemeralStorageMetrics"));
            assertEquals("akira-fargate-check", task.get("Family").asText());
            JsonNode container = task.get("Containers").get(0);
            assertFalse(container.has("ContainerARN"));
            assertFalse(container.has("LogDriver"));
            JsonNode network = container.get("Networks").get(0);
            assertEquals(2, network.size(), "only NetworkMode and IPv4Addresses: " + network);
            assertEquals("172.31.38.118", network.get("IPv4Addresses").get(0).asText());

            JsonNode self = getJson(ecs.v3Uri());
            assertEquals("dd-agent", self.get("Name").asText());
            assertFalse(self.get("Networks").get(0).has("MACAddress"));

            JsonNode stats = getJson(at(ecs.v3Uri(), "/task/stats")).get(AGENT);
            assertFalse(stats.has("network_rate_stats"));
            assertFalse(stats.has("networks"), "v3 has network stats in bridge mode only");
            assertTrue(stats.has("cpu_stats"));
            assertFalse(getJson(at(ecs.v3Uri(), "/stats")).has("network_rate_stats"));
            assertFalse(getJson(at(ecs.v3Uri(), "/taskWithTags")).has("LaunchType"));
            // v4 keeps them.
            assertTrue(getJson(at(ecs.v4Uri(), "/task/stats")).get(AGENT).has("network_rate_stats"));
        }
    }

    @Test
    void taskWithTagsUsesTheRecordedTagsAndErrors() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(shared("testdata/ecs/ec2/task-awsvpc.json"),
                shared("testdata/ecs/ec2/task-stats.json"))
                .taskWithTags(shared("testdata/ecs/ec2/task-with-tags-errors.json")).start()) {
            JsonNode tagged = getJson(at(ecs.v4Uri(), "/taskWithTags"));
            assertEquals("AccessDeniedException", tagged.at("/Errors/0/ErrorCode").asText());
            assertEquals("curl", getJson(ecs.v4Uri()).get("Name").asText(), "the pause container is not self");
            // The stats ids of this pair do not join the task's; they are served as recorded.
            assertEquals(2, getJson(at(ecs.v4Uri(), "/task/stats")).size());
        }
    }

    @Test
    void recordedTaskWithoutStatsGetsFreshStatsForEveryContainer() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(shared("testdata/ecs/fargate/task.json"), null)
                .manualClock(START).start()) {
            JsonNode stats = getJson(at(ecs.v4Uri(), "/task/stats"));
            assertEquals(2, stats.size());
            assertEquals("dd-agent", stats.get(AGENT).get("name").asText());
            assertTrue(stats.get(AGENT).at("/cpu_stats/cpu_usage/total_usage").asLong() > 0);
            assertEquals(3072L * 1024 * 1024,
                    stats.get(AGENT).at("/memory_stats/stats/hierarchical_memory_limit").asLong());
            JsonNode tagged = getJson(at(ecs.v4Uri(), "/taskWithTags"));
            assertTrue(tagged.get("TaskTags").isObject());
            assertFalse(tagged.has("ContainerInstanceTags"), "Fargate has no container instance");
        }
    }

    @Test
    void badRecordedInputIsRefusedWithAClearMessage() throws Exception {
        IllegalArgumentException notJson = assertThrows(IllegalArgumentException.class,
                () -> EcsMetadataSimulator.recorded("{\"Cluster\":".getBytes(StandardCharsets.UTF_8), null).build());
        assertTrue(notJson.getMessage().contains("recorded /task JSON is not valid JSON"), notJson.getMessage());
        IllegalArgumentException noContainers = assertThrows(IllegalArgumentException.class,
                () -> EcsMetadataSimulator.recorded("{\"Cluster\":\"x\"}".getBytes(StandardCharsets.UTF_8), null)
                        .build());
        assertTrue(noContainers.getMessage().contains("Containers"), noContainers.getMessage());
        IllegalArgumentException noName = assertThrows(IllegalArgumentException.class,
                () -> EcsMetadataSimulator.recorded("{\"Containers\":[{\"DockerId\":\"a\"}]}"
                        .getBytes(StandardCharsets.UTF_8), null).build());
        assertTrue(noName.getMessage().contains("Containers[0]"), noName.getMessage());
        byte[] task = Files.readAllBytes(shared("testdata/ecs/fargate/task.json"));
        IllegalArgumentException statsArray = assertThrows(IllegalArgumentException.class,
                () -> EcsMetadataSimulator.recorded(task, "[]".getBytes(StandardCharsets.UTF_8)).build());
        assertTrue(statsArray.getMessage().contains("/task/stats JSON must be a JSON object"),
                statsArray.getMessage());
    }
}
