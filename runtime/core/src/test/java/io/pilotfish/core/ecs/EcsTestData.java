package io.pilotfish.core.ecs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The recorded ECS payloads in {@code shared/testdata/ecs}, read in place, and this package's own test resources
 * (payloads made for a test, in the recorded ones' shape).
 */
final class EcsTestData {

    private EcsTestData() {
    }

    static Path dir() {
        Path dir = Path.of(System.getProperty("pilotfish.shared.dir", "/work/shared"), "testdata", "ecs");
        assumeTrue(Files.isDirectory(dir), "shared test data not found at " + dir);
        return dir;
    }

    /** A test resource beside this class. */
    static byte[] resource(String name) {
        try (InputStream in = EcsTestData.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + name + " beside " + EcsTestData.class);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(dir().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
