package io.pilotfish.bench;

import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Writes the benchmark fixtures: the testkit's 3-container Fargate demo task ({@code app}, {@code worker} and the
 * {@code pilotfish} sidecar) as the v4 endpoint serves it, and {@value #SAMPLES} {@code /task/stats} samples taken
 * {@value #STEP_SECONDS} s apart on a manual clock, so the output is the same on every run. The files are shipped in
 * {@code src/main/resources/fixtures}; run this again only when the simulator's rendering changes:
 *
 * <pre>java -cp bench/target/pilotfish-bench.jar io.pilotfish.bench.FixtureWriter bench/src/main/resources/fixtures</pre>
 */
public final class FixtureWriter {

    static final String TASK = "fargate-task.json";
    static final int SAMPLES = 3;
    static final long STEP_SECONDS = 10;
    static final Instant START = Instant.parse("2026-11-24T12:00:00Z");

    private FixtureWriter() {
    }

    static String statsFile(int sample) {
        return "fargate-task-stats-" + sample + ".json";
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: FixtureWriter <output directory>");
            System.exit(2);
        }
        Path out = Files.createDirectories(Path.of(args[0]));
        HttpClient http = HttpClient.newHttpClient();
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(START).start()) {
            URI base = ecs.v4Uri();
            write(out.resolve(TASK), get(http, base + "/task"));
            for (int sample = 0; sample < SAMPLES; sample++) {
                write(out.resolve(statsFile(sample)), get(http, base + "/task/stats"));
                ecs.advance(Duration.ofSeconds(STEP_SECONDS));
            }
        }
    }

    private static byte[] get(HttpClient http, String uri) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + uri + " answered " + response.statusCode() + ": "
                    + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return response.body();
    }

    private static void write(Path file, byte[] body) throws IOException {
        Files.write(file, body);
        System.out.println("wrote " + file + " (" + body.length + " bytes)");
    }
}
