package io.pilotfish.core.ecs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The recorded ECS payloads in {@code shared/testdata/ecs}, read in place. */
final class EcsTestData {

    private EcsTestData() {
    }

    static Path dir() {
        Path dir = Path.of(System.getProperty("pilotfish.shared.dir", "/work/shared"), "testdata", "ecs");
        assumeTrue(Files.isDirectory(dir), "shared test data not found at " + dir);
        return dir;
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(dir().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
