package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every recorded stats payload of the shared corpus goes through the converter cleanly. */
class CorpusReplayTest {

    /** Stats payloads whose task metadata was recorded with them; the others get a task made up from the stats. */
    private static final Map<String, String> TASK_OF = Map.of(
            "fargate/task-stats.json", "fargate/task.json",
            "fargate/task-stats-with-stopped-container-null.json", "fargate/task-with-stopped-container.json",
            "ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json",
            "ec2/task-bridge-with-stopped-container.json");

    static Stream<String> statsPayloads() throws IOException {
        Path root = TestData.ecsCorpus();
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(path -> root.relativize(path).toString().replace('\\', '/'))
                    .filter(name -> name.endsWith(".json"))
                    .filter(name -> name.contains("stats") || name.startsWith("docker/"))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @Test
    void theCorpusIsThere() throws IOException {
        List<String> payloads = statsPayloads().toList();
        assertEquals(11, payloads.size(), "stats payloads found under " + TestData.ecsCorpus() + ": " + payloads);
    }

    @ParameterizedTest
    @MethodSource("statsPayloads")
    void replaysWithoutError(String file) {
        Map<String, JsonNode> stats = TestData.stats(TestData.shared(file));
        TaskMetadata task = TASK_OF.containsKey(file) ? TestData.task(TestData.shared(TASK_OF.get(file)))
                : TestData.taskFor(stats);
        TaskSnapshot snapshot = TestData.snapshot(task);
        StatsConverter converter = new StatsConverter(ContainerStatsConfig.DEFAULT);
        Instant now = Instant.parse("2025-11-01T00:00:00Z");

        StatsConversion first = converter.convert(stats, snapshot, SampleHistory.empty(), now);
        assertTrue(first.problems().isEmpty(), file + ": " + first.problems());
        assertAllFinite(file, first.metrics());
        stats.forEach((id, entry) -> {
            boolean running = entry != null && entry.isObject() && !entry.isEmpty();
            boolean reported = task.container(id).map(c -> !c.isInternal()).orElse(false);
            if (running && reported) {
                assertTrue(first.metrics().stream().anyMatch(m -> m.tags().contains("container_id:" + id)
                        && (m.name().equals("ecs.fargate.mem.usage")
                        || m.name().equals("container.memory.working_set"))), file + ": no memory figure for " + id);
                assertTrue(first.history().containerIds().contains(id) || !entry.has("read"),
                        file + ": no baseline kept for " + id);
            }
        });

        // The endpoint serves the same sample until it refreshes: the replay gives gauges again, but no rates.
        StatsConversion again = converter.convert(stats, snapshot, first.history(), now.plusSeconds(10));
        assertTrue(again.problems().isEmpty(), file + ": " + again.problems());
        assertAllFinite(file, again.metrics());
        assertFalse(again.metrics().stream().anyMatch(m -> m.name().endsWith("cpu.usage")
                        || m.name().equals("container.net.rcvd")), file + ": a repeated sample must give no rates");
    }

    private static void assertAllFinite(String file, List<Metric> metrics) {
        for (Metric metric : metrics) {
            assertTrue(Double.isFinite(metric.value()), file + ": " + metric);
            assertTrue(metric.value() >= 0, file + ": " + metric);
        }
    }
}
