package io.pilotfish.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pilotfish.testkit.IntakeRecorder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the tests read at the intake and from the agent's own figures. */
final class TaskChecks {

    private static final HttpClient STATUS = HttpClient.newHttpClient();

    private TaskChecks() {
    }

    /** A DogStatsD count as the intake got it: RATE points times their interval, summed. */
    static double countTotal(IntakeRecorder intake, String metric, String... tags) {
        return intake.series(metric).stream().filter(s -> s.hasTags(tags))
                .mapToDouble(s -> s.points().stream().mapToDouble(p -> p.value() * s.interval()).sum()).sum();
    }

    /** Waits for the count to reach {@code expected}, then checks it is exactly that (no double counting). */
    static void awaitCount(IntakeRecorder intake, String metric, double expected, Duration timeout, String... tags)
            throws InterruptedException {
        try {
            TaskWorld.await(metric + " to reach " + expected, timeout,
                    () -> countTotal(intake, metric, tags) >= expected);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; at " + countTotal(intake, metric, tags) + ": "
                    + intake.series(metric) + "\nthe agent's drops: " + agentDropLines());
        }
        assertEquals(expected, countTotal(intake, metric, tags), 1e-9, metric + ": " + intake.series(metric));
    }

    /**
     * Everything the agent counts as dropped (the drop naming rule of {@code pilotfish status}: names ending in
     * {@code dropped}, {@code _drops} or {@code _errors}), from its Prometheus endpoint on the task's loopback.
     */
    static double agentDrops() {
        double sum = 0;
        for (String line : agentDropLines()) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    /** One figure of the agent's Prometheus endpoint, summed over its labels (0 when it does not answer). */
    static double agentFigure(String name) {
        double sum = 0;
        for (String line : metricsLines()) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static java.util.List<String> metricsLines() {
        try {
            HttpResponse<String> answer = STATUS.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:5001/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 200 ? List.of(answer.body().split("\n")) : List.of();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    static java.util.List<String> agentDropLines() {
        java.util.List<String> drops = new java.util.ArrayList<>();
        for (String line : metricsLines()) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String name = line.substring(0, line.indexOf(line.contains("{") ? '{' : ' '));
            String base = name.replaceFirst("_total$", "");
            if ((base.endsWith("dropped") || base.endsWith("_drops")) && !base.contains("bytes")
                    && !line.endsWith(" 0.0") && !line.endsWith(" 0")) {
                drops.add(line);
            }
        }
        return drops;
    }

    /** The {@code key=value} lines a load generator wrote. */
    static Map<String, String> keyValues(Path file) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return values;
    }
}
