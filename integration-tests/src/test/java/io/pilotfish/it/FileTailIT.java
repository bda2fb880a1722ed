package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.RecordedLogs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent following an app's log files as a task would give them to it (a shared volume, a second one
 * for the positions): what existed before its first start is not sent, every line written after arrives once and in
 * order, through a rotation by rename and a restart of the sidecar while the app goes on writing.
 */
class FileTailIT {

    private static final Duration ARRIVAL = Duration.ofSeconds(60);

    @TempDir
    Path logs;
    @TempDir
    Path positions;

    private AgentFixture fixture;

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private AgentProcess start() throws Exception {
        return start(fixture.fastAgent());
    }

    private AgentProcess start(AgentProcess.Builder builder) throws Exception {
        AgentProcess agent = fixture.start(builder
                .env("DD_LOGS_ENABLED", "true")
                .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                .env("DD_APM_ENABLED", "false")
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(AgentFixture.freePort()))
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET", "")
                .env("PILOTFISH_COLLECTORS_APPFILES_TYPE", "file-tail")
                .env("PILOTFISH_COLLECTORS_APPFILES_PATHS", logs + "/*.log")
                .env("PILOTFISH_COLLECTORS_APPFILES_SERVICE", "checkout")
                .env("PILOTFISH_COLLECTORS_APPFILES_SOURCE", "java")
                .env("PILOTFISH_COLLECTORS_APPFILES_TAGS", "team:payments")
                .env("PILOTFISH_COLLECTORS_APPFILES_CHECKPOINT_DIR", positions.toString())
                .env("PILOTFISH_COLLECTORS_APPFILES_POLL_INTERVAL", "200ms"));
        assertTrue(agent.awaitLine(l -> l.contains(" ready in "), Duration.ofSeconds(60)), agent.outputText());
        return agent;
    }

    private static void write(Path file, int from, int to) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = from; i <= to; i++) {
            text.append("line ").append(i).append(" of the app\n");
        }
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private List<Integer> arrived() {
        return RecordedLogs.withMessageStartingWith(fixture.intake, "line ").stream()
                .map(l -> Integer.parseInt(l.message().split(" ")[1])).toList();
    }

    /** The tailer has seen the files once it has written its positions. */
    private void awaitPositions() throws InterruptedException {
        AgentFixture.await("the positions file", ARRIVAL, () -> {
            try (var files = Files.list(positions)) {
                return files.anyMatch(p -> p.getFileName().toString().endsWith(".positions"));
            } catch (IOException e) {
                return false;
            }
        });
    }

    private void awaitLines(int count) throws InterruptedException {
        AgentFixture.await(count + " lines at the intake", ARRIVAL, () -> arrived().size() >= count);
    }

    @Test
    void everyLineWrittenAfterTheFirstStartArrivesOnceThroughRotationAndARestart() throws Exception {
        fixture = AgentFixture.demoTask();
        Path app = logs.resolve("app.log");
        write(app, -9, 0); // before the sidecar's first start: not sent, as the Agent starts at the end

        AgentProcess first = start();
        awaitPositions();
        write(app, 1, 100);
        awaitLines(100);

        Files.move(app, logs.resolve("app.log.1"), StandardCopyOption.ATOMIC_MOVE); // logrotate's rename
        write(app, 101, 150);
        awaitLines(150);

        first.terminate();
        assertTrue(first.awaitExit(Duration.ofSeconds(40)) != -1,
                "the agent stops on SIGTERM: " + first.outputText());
        write(app, 151, 180); // while the sidecar restarts
        start();
        write(app, 181, 200);
        awaitLines(200);
        Thread.sleep(1_000); // a repeat would arrive with the lines above; give it the same chance

        assertEquals(IntStream.rangeClosed(1, 200).boxed().toList(), arrived(),
                "every line once, in order; none of the ten written before the first start");
        RecordedLogs.Log log = RecordedLogs.withMessageStartingWith(fixture.intake, "line 1 ").get(0);
        assertEquals("checkout", log.service());
        assertEquals("java", log.ddsource());
        assertTrue(log.tags().contains("team:payments"), log.toString());
    }

    @Test
    void withTheAgentsConcurrentSendsTheLauncherGivesTheirHeapAndEveryLineArrivesOnce() throws Exception {
        fixture = AgentFixture.demoTask();
        Path app = logs.resolve("app.log");
        Files.createFile(app);
        // Eight requests at once hold six batches more than the logs sink's default: the launcher adds their heap,
        // without which the memory plan stops the start.
        start(fixture.agent().viaLauncher().env("DD_LOGS_CONFIG_BATCH_MAX_CONCURRENT_SEND", "8"));
        awaitPositions();
        int lines = 20_000;
        for (int from = 1; from <= lines; from += 1_000) {
            write(app, from, from + 999);
        }
        awaitLines(lines);
        Thread.sleep(1_000); // a repeat would arrive with the lines above; give it the same chance

        List<Integer> arrived = arrived();
        assertEquals(lines, arrived.size(), "no line twice");
        assertEquals(IntStream.rangeClosed(1, lines).boxed().toList(), arrived.stream().sorted().toList(),
                "every line, in whatever order the concurrent requests landed");
    }
}
