package io.pilotfish.collector.containerstats;

import static io.pilotfish.collector.containerstats.Points.has;
import static io.pilotfish.collector.containerstats.Points.id;
import static io.pilotfish.collector.containerstats.Points.one;
import static io.pilotfish.collector.containerstats.StatsConverterTest.APMTEST;
import static io.pilotfish.collector.containerstats.StatsConverterTest.DD_AGENT;
import static io.pilotfish.collector.containerstats.StatsConverterTest.NOW;
import static io.pilotfish.collector.containerstats.StatsConverterTest.edit;
import static io.pilotfish.collector.containerstats.StatsConverterTest.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the Agent's generic container check adds on ECS that the stats alone do not say: the {@code runtime:} tag, page
 * faults, restarts, and the origins of both metric sets. Values come from the recorded captures.
 */
class ContainerCheckParityTest {

    private static final StatsConverter CONVERTER = new StatsConverter(ContainerStatsConfig.DEFAULT);
    private static final String FARGATE_TASK = "fargate/task.json";
    private static final String FARGATE_STATS = "fargate/task-stats.json";
    private static final String EC2_TASK = "ec2/task-bridge-with-stopped-container.json";
    private static final String EC2_STATS = "ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json";
    private static final String EC2_EXPORTER = "01cf1f3208005cda71d5ac936ded65d2ecc0a8cc8ff8a82d2e00410bf4fbbd6d";

    private static TaskSnapshot snapshot(byte[] taskJson) {
        return TestData.snapshot(TestData.task(taskJson));
    }

    private static List<Metric> convert(String taskFile, String statsFile) {
        Map<String, JsonNode> stats = TestData.stats(TestData.shared(statsFile));
        return CONVERTER.convert(stats, snapshot(TestData.shared(taskFile)), SampleHistory.empty(), NOW).metrics();
    }

    /** The capture, then the same counters read ten seconds later: every point kind, rates included. */
    private static List<Metric> convertTwice(String taskFile, String statsFile) {
        Map<String, JsonNode> first = TestData.stats(TestData.shared(statsFile));
        TaskSnapshot task = snapshot(TestData.shared(taskFile));
        StatsConversion one = CONVERTER.convert(first, task, SampleHistory.empty(), NOW);
        Map<String, JsonNode> later = first;
        for (Map.Entry<String, JsonNode> entry : first.entrySet()) {
            if (entry.getValue() != null && entry.getValue().has("read")) {
                Instant read = Instant.parse(entry.getValue().get("read").asText());
                later = edit(later, entry.getKey(), e -> set(e, "read", read.plusSeconds(10).toString()));
            }
        }
        return CONVERTER.convert(later, task, one.history(), NOW.plusSeconds(10)).metrics();
    }

    // ---- runtime tag

    @Test
    void everyContainerPointOfTheFargateCaptureCarriesRuntimeEcsfargate() {
        List<Metric> metrics = convertTwice(FARGATE_TASK, FARGATE_STATS);

        assertRuntimeOnContainerPointsOnly(metrics, "runtime:ecsfargate");
    }

    @Test
    void everyContainerPointOfTheEc2CaptureCarriesRuntimeDocker() {
        List<Metric> metrics = convertTwice(EC2_TASK, EC2_STATS);

        assertRuntimeOnContainerPointsOnly(metrics, "runtime:docker");
    }

    private static void assertRuntimeOnContainerPointsOnly(List<Metric> metrics, String runtimeTag) {
        assertTrue(metrics.stream().anyMatch(m -> m.name().startsWith("container.net.")),
                "per-interface points must carry the tag too");
        assertTrue(metrics.stream().anyMatch(m -> m.name().equals("container.memory.page_faults")));
        for (Metric metric : metrics) {
            boolean generic = metric.name().startsWith("container.");
            assertEquals(generic, metric.tags().contains(runtimeTag), metric.name() + " " + metric.tags());
            assertTrue(metric.tags().stream().filter(t -> t.startsWith("runtime:")).count() <= 1, metric.toString());
        }
    }

    // ---- page faults

    @Test
    void pageFaultsAreTheFaultsSinceThePreviousSampleAsACount() {
        Map<String, JsonNode> first = TestData.stats(TestData.shared(FARGATE_STATS));
        TaskSnapshot task = snapshot(TestData.shared(FARGATE_TASK));
        StatsConversion one = CONVERTER.convert(first, task, SampleHistory.empty(), NOW);
        assertFalse(has(one.metrics(), "container.memory.page_faults"), "the first sample has nothing to count from");

        // The capture's dd-agent has 125499 faults; ten seconds later 125749.
        Map<String, JsonNode> second = edit(first, DD_AGENT, entry -> {
            set(entry, "read", "2023-06-20T01:19:55.077342978Z");
            set(entry, "memory_stats.stats.pgfault", 125_749);
        });
        List<Metric> two = CONVERTER.convert(second, task, one.history(), NOW.plusSeconds(10)).metrics();

        Metric faults = one(two, "container.memory.page_faults", id(DD_AGENT));
        assertEquals(250, faults.value());
        assertEquals(MetricType.COUNT, faults.type());
        assertEquals(0, faults.intervalSeconds(), "the Agent's check counts go out without interval");
        assertTrue(faults.tags().containsAll(List.of("runtime:ecsfargate", "container_name:dd-agent")));
        assertFalse(has(two, "container.memory.major_page_faults"),
                "the Agent's Fargate stats collector reads pgfault only");
        assertFalse(has(two, "container.memory.page_faults", id(APMTEST)),
                "apmtest-ping's sample was not refreshed: no count rather than a zero");

        // A counter that went down (the container's cgroup was replaced) counts nothing; it is the next baseline.
        Map<String, JsonNode> reset = edit(second, DD_AGENT, entry -> {
            set(entry, "read", "2023-06-20T01:20:05.077342978Z");
            set(entry, "memory_stats.stats.pgfault", 40);
        });
        StatsConversion three = CONVERTER.convert(reset, task, CONVERTER.convert(second, task, one.history(),
                NOW.plusSeconds(10)).history(), NOW.plusSeconds(20));
        assertFalse(has(three.metrics(), "container.memory.page_faults", id(DD_AGENT)));
    }

    @Test
    void pageFaultsOnCgroupV2ComeFromTheSameField() {
        Map<String, JsonNode> first = TestData.stats(TestData.shared(EC2_STATS));
        TaskSnapshot task = snapshot(TestData.shared(EC2_TASK));
        StatsConversion one = CONVERTER.convert(first, task, SampleHistory.empty(), NOW);
        Map<String, JsonNode> second = edit(first, EC2_EXPORTER, entry -> {
            set(entry, "read", "2025-02-27T05:18:08.856950259Z");
            set(entry, "memory_stats.stats.pgfault", 17_631 + 12);
        });

        List<Metric> two = CONVERTER.convert(second, task, one.history(), NOW.plusSeconds(1)).metrics();

        Metric faults = one(two, "container.memory.page_faults", id(EC2_EXPORTER));
        assertEquals(12, faults.value());
        assertTrue(faults.tags().contains("runtime:docker"));
    }

    // ---- restarts

    @Test
    void restartsAreSentFromTheMetadataRestartCountWhenAboveZero() {
        byte[] taskJson = TestData.withContainerField(TestData.withContainerField(TestData.shared(FARGATE_TASK),
                DD_AGENT, "RestartCount", 2), APMTEST, "RestartCount", 0);
        Map<String, JsonNode> stats = TestData.stats(TestData.shared(FARGATE_STATS));

        List<Metric> metrics = CONVERTER.convert(stats, snapshot(taskJson), SampleHistory.empty(), NOW).metrics();

        Metric restarts = one(metrics, "container.restarts", id(DD_AGENT));
        assertEquals(2, restarts.value());
        assertEquals(MetricType.GAUGE, restarts.type());
        assertTrue(restarts.tags().contains("runtime:ecsfargate"));
        assertFalse(has(metrics, "container.restarts", id(APMTEST)), "a RestartCount of 0 is not sent");
        // The recorded task has no RestartCount at all: ECS reports it only for containers with a restart policy.
        assertFalse(has(convert(FARGATE_TASK, FARGATE_STATS), "container.restarts"));
    }

    // ---- origins

    @Test
    void eachSetCarriesTheOriginTheAgentGivesItsCheck() {
        // origin_mapping.go: product 10 (Agent), category 11 (integration metrics), service 52 (ecs_fargate) or
        // 180 (container).
        MetricOrigin ecsFargate = new MetricOrigin(10, 11, 52);
        MetricOrigin container = new MetricOrigin(10, 11, 180);
        List<Metric> metrics = convertTwice(FARGATE_TASK, FARGATE_STATS);
        assertTrue(has(metrics, "ecs.fargate.cpu.task.limit") && has(metrics, "container.cpu.limit"));

        for (Metric metric : metrics) {
            if (metric.name().startsWith("ecs.fargate.")) {
                assertEquals(ecsFargate, metric.origin(), metric.name());
            } else {
                assertTrue(metric.name().startsWith("container."), metric.name());
                assertEquals(container, metric.origin(), metric.name());
            }
        }
        TaskSnapshot task = snapshot(TestData.shared(FARGATE_TASK));
        assertTrue(CONVERTER.metadataMetrics(task, NOW).stream().allMatch(m -> m.origin().equals(ecsFargate)),
                "the metadata-only figures too");
    }
}
