package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of what the agent makes of a {@code /task/stats} answer: the parser, then the
 * converter, twice (the second time against the first's history, where rates are computed). Seeds: every recorded
 * stats payload of the shared ECS corpus, read in place, this module's fixtures and the small ones in
 * {@code StatsFuzzTestInputs}; a plain {@code mvn test} replays them (and any kept crash input), {@code JAZZER_FUZZ=1}
 * mutates them for the time box ({@code scripts/fuzz.sh}).
 *
 * <p>The contract: a body is either refused whole with {@link MalformedStatsException} or converted; a bad entry is
 * a problem of that container, never an exception; every message is one short line; every value sent is finite and
 * the points are bounded by the containers and interfaces the body names.
 */
class StatsFuzzTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:10Z");
    /** ecs.fargate.* and container.* of one container, with room to spare; interfaces add their own series. */
    private static final int POINTS_PER_CONTAINER = 120;
    private static final int POINTS_PER_INTERFACE = 16;

    private static final TaskSnapshot SNAPSHOT = TestData.snapshot(TestData.task(TestData.fixture("task.json")));
    private static final List<String> DOCKER_IDS = SNAPSHOT.task().containers().stream()
            .map(ContainerMetadata::dockerId).toList();

    private final StatsConverter converter = new StatsConverter(new ContainerStatsConfig(true, true, true));

    static Stream<byte[]> recordedStats() {
        Stream<byte[]> fixtures = Stream.of("sample-t0.json", "sample-t10.json", "malformed-container.json")
                .map(TestData::fixture);
        Path root = TestData.ecsCorpus();
        if (!Files.isDirectory(root)) {
            return fixtures;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<byte[]> shared = walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().contains("stats") && p.toString().endsWith(".json"))
                    .sorted().map(StatsFuzzTest::read).toList();
            return Stream.concat(fixtures, shared.stream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @MethodSource("recordedStats")
    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void taskStats(byte[] body) {
        Map<String, JsonNode> parsed;
        try {
            parsed = StatsParser.parse(body);
        } catch (MalformedStatsException refused) {
            assertLoggable(refused.getMessage());
            return;
        }
        // The entries take the task's container ids in turn, so they reach the conversion rather than only the
        // unknown-container path; entries beyond the task's containers keep their own ids.
        Map<String, JsonNode> stats = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, JsonNode> entry : parsed.entrySet()) {
            stats.put(i < DOCKER_IDS.size() ? DOCKER_IDS.get(i) : entry.getKey(), entry.getValue());
            i++;
        }
        StatsConversion first = converter.convert(stats, SNAPSHOT, SampleHistory.empty(), T0);
        check(first, stats, T0);
        StatsConversion second = converter.convert(stats, SNAPSHOT, first.history(), T0.plusSeconds(10));
        check(second, stats, T0.plusSeconds(10));
    }

    private static void check(StatsConversion conversion, Map<String, JsonNode> stats, Instant now) {
        long bound = POINTS_PER_CONTAINER;
        for (JsonNode entry : stats.values()) {
            bound += POINTS_PER_CONTAINER + (long) POINTS_PER_INTERFACE * entry.path("networks").size();
        }
        assertTrue(conversion.metrics().size() <= bound, conversion.metrics().size() + " points, at most " + bound);
        assertTrue(conversion.problems().size() <= stats.size(), "more problems than containers");
        for (Metric metric : conversion.metrics()) {
            assertTrue(Double.isFinite(metric.value()), metric.toString());
            assertEquals(now.getEpochSecond(), metric.timestamp(), metric.toString());
        }
        for (StatsConversion.ContainerProblem problem : conversion.problems()) {
            assertLoggable(problem.message());
        }
    }

    /** Problems are logged: one short line, whatever the body held (long ids, control characters). */
    private static void assertLoggable(String message) {
        assertNotNull(message);
        // Quoted text is cut, then escaped (a control byte takes four characters): bounded whatever the body.
        assertTrue(message.length() <= 2048, message.length() + " chars: "
                + message.substring(0, Math.min(200, message.length())));
        assertTrue(message.chars().noneMatch(Character::isISOControl), "a control character in: " + message);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
