package io.pilotfish.bench;

import io.pilotfish.core.ecs.EcsTaskSnapshot;
import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The shipped payloads of the 3-container Fargate demo task (written by {@link FixtureWriter}): the v4 {@code /task}
 * document and {@value FixtureWriter#SAMPLES} {@code /task/stats} samples {@value FixtureWriter#STEP_SECONDS} s apart.
 */
final class Fixtures {

    private Fixtures() {
    }

    /** The snapshot the agent builds from {@code /task}, as of the first sample. */
    static TaskSnapshot snapshot() {
        return new EcsTaskSnapshot(TaskMetadataParser.parseTask(resource(FixtureWriter.TASK), "v4"),
                FixtureWriter.START);
    }

    /** The raw {@code /task/stats} body of sample {@code n}. */
    static byte[] stats(int n) {
        return resource(FixtureWriter.statsFile(n));
    }

    /** When sample {@code n} was read: the scrape time the agent would pass to the converter. */
    static Instant sampleTime(int n) {
        return FixtureWriter.START.plusSeconds(n * FixtureWriter.STEP_SECONDS);
    }

    private static byte[] resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("fixture /fixtures/" + name + " is missing from the class path; "
                        + "regenerate it with FixtureWriter (see bench/README.md)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
