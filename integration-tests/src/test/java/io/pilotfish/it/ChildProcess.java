package io.pilotfish.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A client program run to its end (a DogStatsD client's driver, a tracer app, an installer), its output kept. */
final class ChildProcess {

    /** Exit code -1 means it did not end within the timeout (and was killed). */
    record Result(int exitCode, String stdout, String stderr, Duration took) {
    }

    private ChildProcess() {
    }

    /** Runs {@code builder}'s command with stdin closed and stdout and stderr in files (no pipe fills up). */
    static Result run(ProcessBuilder builder, Duration timeout) throws IOException, InterruptedException {
        Path out = Files.createTempFile("child-", ".out");
        Path err = Files.createTempFile("child-", ".err");
        try {
            builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            long started = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            return new Result(ended ? process.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8)
                            + (ended ? "" : "\n(killed after " + timeout.toSeconds() + " s)"), took);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
