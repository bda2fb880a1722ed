package io.pilotfish.core.ecs;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of what the agent makes of a task metadata answer: the parser and the tagger.
 * Seeds: the recorded payloads of the shared ECS corpus, read in place, and the small ones in
 * {@code TaskMetadataParserFuzzTestInputs}; with a plain {@code mvn test} they (and any kept crash input) run as
 * regression tests, with {@code JAZZER_FUZZ=1} they are mutated for the time box ({@code scripts/fuzz.sh}).
 *
 * <p>The contract: any body is either task (container) metadata or a {@link MetadataException} with a short message
 * free of control characters, never another exception; what comes out (containers, tags) is no larger than what came
 * in.
 */
class TaskMetadataParserFuzzTest {

    /**
     * A refusal names what is wrong in a sentence or two; it never quotes the body at length, whatever its size: what
     * it quotes is cut (then escaped, a control byte taking four characters).
     */
    static final int MAX_MESSAGE = 2048;
    private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

    static Stream<byte[]> recordedTasks() {
        return RecordedCorpus.files(name -> name.contains("task") && !name.contains("stats"));
    }

    static Stream<byte[]> recordedContainers() {
        return RecordedCorpus.files(name -> name.startsWith("container"));
    }

    @org.junit.jupiter.params.provider.MethodSource("recordedTasks")
    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void task(byte[] body) {
        for (String version : new String[] {"v4", "v3"}) {
            TaskMetadata task;
            try {
                task = TaskMetadataParser.parseTask(body, version);
            } catch (MetadataException refused) {
                assertShort(refused);
                continue;
            }
            assertNotNull(task.taskArn());
            assertTrue(task.containers().size() <= body.length / 16, task.containers().size() + " containers from "
                    + body.length + " bytes");
            EcsTaskSnapshot snapshot = new EcsTaskSnapshot(task, NOW);
            for (Cardinality cardinality : Cardinality.values()) {
                assertBounded(snapshot.taskTags(cardinality), body.length);
                for (ContainerMetadata container : task.containers()) {
                    assertBounded(snapshot.containerTags(container.dockerId(), cardinality), body.length);
                }
            }
        }
    }

    @org.junit.jupiter.params.provider.MethodSource("recordedContainers")
    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void container(byte[] body) {
        try {
            ContainerMetadata container = TaskMetadataParser.parseContainer(body);
            assertTrue(!container.dockerId().isEmpty(), "a container without a DockerId");
        } catch (MetadataException refused) {
            assertShort(refused);
        }
    }

    static void assertShort(MetadataException refused) {
        String message = refused.getMessage();
        assertNotNull(message, "a refusal without a message");
        assertTrue(message.length() <= MAX_MESSAGE, "a message of " + message.length() + " chars: "
                + message.substring(0, Math.min(200, message.length())));
        // It is logged: a control character from the body could forge or wipe log lines.
        assertTrue(message.chars().noneMatch(Character::isISOControl), "a control character in: " + message);
    }

    private static void assertBounded(TagSet tags, int inputLength) {
        // Every tag comes from a field of the body (or a fixed name such as ecs_launch_type): a tag set can repeat
        // a value per cardinality, never grow past a small multiple of the input.
        assertTrue(tags.encodedLength() <= 2 * inputLength + 512, tags.encodedLength() + " bytes of tags from "
                + inputLength + " bytes");
    }

    /** The shared corpus ({@code pilotfish.shared.dir}/testdata/ecs), read where it lies; empty where it is absent. */
    static final class RecordedCorpus {
        private RecordedCorpus() {
        }

        static Stream<byte[]> files(java.util.function.Predicate<String> name) {
            Path root = Path.of(System.getProperty("pilotfish.shared.dir", "../shared"), "testdata", "ecs");
            if (!Files.isDirectory(root)) {
                return Stream.empty();
            }
            try (Stream<Path> walk = Files.walk(root)) {
                return walk.filter(Files::isRegularFile)
                        .filter(p -> p.toString().endsWith(".json") && name.test(p.getFileName().toString()))
                        .sorted().toList().stream().map(RecordedCorpus::read);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static byte[] read(Path file) {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
