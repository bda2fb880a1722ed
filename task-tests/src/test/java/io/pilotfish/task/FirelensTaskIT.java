package io.pilotfish.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import io.pilotfish.testkit.RecordedLogs;
import io.pilotfish.testkit.RecordedRequest;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The FireLens task of {@code deploy/fargate-firelens-task-definition.json}, run as ECS runs it, with the image as
 * the task's log router: ECS's generated Fluent Bit configuration mounted in it, the {@code checkout} container's
 * stdout and stderr sent line by line by fluent-logger-golang as the awsfirelens driver sends them, and the task
 * stopped as ECS stops it (the app first, since it depends on the router). At the intake: every line once and in
 * order, with the output's service, source and tags and the container's ECS tags, stderr as errors, a Java exception
 * as one log, and the lines the app wrote after its SIGTERM.
 */
class FirelensTaskIT {

    static final String FILE = "fargate-firelens-task-definition.json";
    static final String APP = "checkout";
    static final int LINES = 500;
    static final int FINAL_LINES = 3;
    static final Pattern NUMBERED = Pattern.compile(APP + " request (\\d+) of " + LINES + " served");
    static final Pattern FINAL = Pattern.compile(APP + " shutting down, final line (\\d+) of " + FINAL_LINES);
    static final String JSON_LINE = "{\"level\":\"warn\"";
    static final String WARNING = APP + ": payment provider answered 503, retrying";
    static final String EXCEPTION = "java.lang.IllegalStateException: payment declined for order 42";
    static final Duration ARRIVAL = Duration.ofSeconds(120);

    @Test
    void theAppsLinesGoThroughTheRouterToTheIntakeAndNoneIsLostAtTaskStop() throws Exception {
        Instant begin = Instant.now();
        try (TaskWorld world = TaskWorld.builder(FILE)
                .env(APP, "APP_MODE", "logs")
                .env(APP, "APP_LOG_LINES", Integer.toString(LINES))
                .env(APP, "APP_FINAL_LINES", Integer.toString(FINAL_LINES))
                .build()) {
            TaskStopIT.start(world);
            EcsTask.Running router = world.task.container(TaskWorld.AGENT);
            EcsTask.Running app = world.task.container(APP);
            checkWhatEcsGaveThem(world, router, app);

            // The stdout lines first; the stderr ones once those were written (two pipes are read in any order).
            assertTrue(world.task.awaitLine(APP, l -> l.startsWith(JSON_LINE), Duration.ofSeconds(90)),
                    APP + " never logged" + world.task.describe());
            world.openGate(APP + ".stderr");
            awaitLogs(world, "every line and the exception", logs -> numbers(logs, NUMBERED).size() >= LINES
                    && logs.stream().anyMatch(l -> l.message().startsWith(EXCEPTION)));

            List<String> order = world.task.stop();
            assertEquals(List.of(APP, TaskWorld.AGENT), order, "ECS stops the app first, the router last");
            assertEquals(143, router.exitCode, "the router exits on SIGTERM by itself (137 is SIGKILL)"
                    + world.task.describe());
            assertEquals(0, TaskStopIT.droppedAtShutdown(router), router.output());
            // The test's own copy of the output follows a stream of its own: wait for its last line before counting.
            String last = APP + " shutting down, final line " + FINAL_LINES + " of " + FINAL_LINES;
            assertTrue(world.task.awaitLine(APP, last::equals, Duration.ofSeconds(30)), app.output());
            assertEquals("sent " + app.lines.size() + " records", world.logDrivers.get(APP).clientOutput(),
                    "the driver sent every line the container wrote: " + app.output());

            // The router has exited: what the intake holds is all there is.
            List<RecordedLogs.Log> logs = RecordedLogs.all(world.intake);
            assertEquals(IntStream.rangeClosed(1, LINES).boxed().toList(), numbers(logs, NUMBERED),
                    "every numbered line once, in order");
            assertEquals(IntStream.rangeClosed(1, FINAL_LINES).boxed().toList(), numbers(logs, FINAL),
                    "the lines written after SIGTERM arrived (the FireLens loss at task stop)");
            checkLogs(world, app, logs);
            checkTheKeyStaysSecret(world, router);
        } finally {
            System.out.printf("FirelensTaskIT: %d s for one task (start, its lines at the intake, stop)%n",
                    Duration.between(begin, Instant.now()).toSeconds());
        }
    }

    /** ECS's FireLens part: the generated configuration mounted read-only, the start order, FLUENT_HOST/PORT. */
    static void checkWhatEcsGaveThem(TaskWorld world, EcsTask.Running router, EcsTask.Running app) throws Exception {
        String config = world.fireLensConfig;
        assertTrue(config.contains("[INPUT]\n    Name forward\n    unix_path /var/run/fluent.sock\n"), config);
        assertTrue(config.contains("[OUTPUT]\n    Name datadog\n    Match checkout-firelens*\n"), config);
        assertTrue(config.contains("    apikey ${apikey_0}\n") && config.contains("    dd_tags team:payments\n"),
                config);
        assertFalse(config.contains(world.apiKey), "ECS gives the router the log secret in its environment");
        InspectContainerResponse inspected = world.task.inspect(router);
        Bind mounted = null;
        for (Bind bind : inspected.getHostConfig().getBinds()) {
            if (bind.getVolume().getPath().equals(FireLens.CONFIG_PATH)) {
                mounted = bind;
            }
        }
        assertTrue(mounted != null && mounted.getAccessMode() == AccessMode.ro,
                "the configuration is mounted read-only in the router: " + List.of(inspected.getHostConfig()
                        .getBinds()));
        assertTrue(router.lines.stream().anyMatch(l -> l.contains("forward receiver listening on unix")),
                "the router listens on the driver's socket:\n" + router.output());
        Instant healthy = world.task.healthyAt(TaskWorld.AGENT).orElseThrow(() -> new AssertionError(
                "the router never became HEALTHY" + world.task.describe()));
        assertTrue(app.startedAt.isAfter(healthy), APP + " started before the router was healthy");
        List<String> env = List.of(world.task.inspect(app).getConfig().getEnv());
        assertTrue(env.contains("FLUENT_HOST=127.0.0.1") && env.contains("FLUENT_PORT=" + EcsTask.FLUENT_PORT),
                "ECS tells the app where the router is: " + env);
        // Where those say: the router's forward input on the task's loopback.
        try (Socket socket = new Socket("127.0.0.1", EcsTask.FLUENT_PORT)) {
            assertTrue(socket.isConnected());
        }
    }

    static void checkLogs(TaskWorld world, EcsTask.Running app, List<RecordedLogs.Log> logs) {
        String taskArn = world.fireLensTask.taskArn();
        // Fluent Bit's task_id: what follows "task/" in the ARN (the cluster's name and the id, in today's format).
        String taskId = taskArn.substring(taskArn.indexOf("task/") + "task/".length());
        List<RecordedLogs.Log> fromApp = logs.stream().filter(l -> l.hasTags("ecs_container_name:" + APP)).toList();
        assertEquals(logs.size(), fromApp.size(), "every log is the app's: " + logs);
        for (RecordedLogs.Log log : fromApp) {
            assertEquals(APP, log.service(), log.toString());
            assertEquals("java", log.ddsource(), log.toString());
            // The output's dd_tags; the ECS fields' tags (provider ecs: task_id comes only from the record_modifier
            // ECS wrote into the configuration); the container's tags from the task metadata.
            assertTrue(log.hasTags("team:payments", "task_arn:" + taskArn, "task_id:" + taskId,
                    "task_family:shop-firelens", "cluster_name:" + TaskWorld.CLUSTER, "container_name:" + APP,
                    "container_id:" + app.id(), "ecs_container_name:" + APP), log.toString());
        }
        for (RecordedLogs.Log log : logs) {
            if (NUMBERED.matcher(log.message()).matches() || FINAL.matcher(log.message()).matches()) {
                assertEquals("info", log.status(), "stdout: " + log);
                assertEquals("stdout", log.attributes().get("source"), "the driver's source field: " + log);
            }
        }
        RecordedLogs.Log json = one(logs, l -> l.message().equals("order 42 paid late"));
        assertEquals("warn", json.status(), "the JSON line's level: " + json);
        assertEquals(42, ((Number) json.attributes().get("order_id")).intValue(), json.toString());
        assertEquals("error", one(logs, l -> l.message().equals(WARNING)).status(), "stderr");

        // The exception as the app printed it, its lines joined with the Agent's separator (an escaped line feed).
        List<String> trace = new ArrayList<>();
        boolean in = false;
        for (String line : app.lines) {
            in = in || line.startsWith(EXCEPTION);
            if (in && (line.startsWith(EXCEPTION) || line.startsWith("\t") || line.startsWith("Caused by:"))) {
                trace.add(line);
            } else if (in) {
                break;
            }
        }
        assertTrue(trace.size() >= 5 && trace.stream().anyMatch(l -> l.startsWith("Caused by:")), "a real stack"
                + " trace with a cause: " + trace);
        RecordedLogs.Log exception = one(logs, l -> l.message().startsWith(EXCEPTION));
        assertEquals(String.join("\\n", trace), exception.message(), "the exception is one log");
        assertEquals("error", exception.status(), "stderr");
        assertEquals("stderr", exception.attributes().get("source"), exception.toString());
        assertTrue(logs.stream().noneMatch(l -> l.message().startsWith("\tat ") || l.message().startsWith("Caused")),
                "no line of the stack trace arrived alone");
    }

    /** The router's own key (from SSM, with the task role) at the intake; the key nowhere in the router's output. */
    static void checkTheKeyStaysSecret(TaskWorld world, EcsTask.Running router) {
        List<RecordedRequest> requests = world.intake.requests(RecordedLogs.LOGS_PATH);
        assertFalse(requests.isEmpty());
        for (RecordedRequest request : requests) {
            assertTrue(request.accepted() && request.apiKeyMatches(world.apiKey),
                    "logs request " + request.sequence() + " was refused or had another key");
        }
        assertFalse(router.output().contains(world.apiKey), "the key appeared in the router's output");
        // The Agent shows a key's last 5 characters at most; 8 would be more than a masked key gives away.
        assertFalse(router.output().contains(world.apiKey.substring(world.apiKey.length() - 8)),
                "the key's end appeared in the router's output");
    }

    static void awaitLogs(TaskWorld world, String what, Predicate<List<RecordedLogs.Log>> done) throws Exception {
        try {
            TaskWorld.await(what + " at the intake", ARRIVAL, () -> done.test(RecordedLogs.all(world.intake)));
        } catch (AssertionError e) {
            List<RecordedLogs.Log> logs = RecordedLogs.all(world.intake);
            throw new AssertionError(e.getMessage() + "; " + logs.size() + " logs arrived, the last: "
                    + logs.subList(Math.max(0, logs.size() - 5), logs.size()) + "\ndriver: "
                    + world.logDrivers.get(APP).linesHandedOver() + " lines handed over" + world.task.describe(), e);
        }
    }

    static List<Integer> numbers(List<RecordedLogs.Log> logs, Pattern pattern) {
        List<Integer> numbers = new ArrayList<>();
        for (RecordedLogs.Log log : logs) {
            Matcher m = pattern.matcher(log.message());
            if (m.matches()) {
                numbers.add(Integer.parseInt(m.group(1)));
            }
        }
        return numbers;
    }

    static RecordedLogs.Log one(List<RecordedLogs.Log> logs, Predicate<RecordedLogs.Log> which) {
        List<RecordedLogs.Log> found = logs.stream().filter(which).toList();
        assertEquals(1, found.size(), "exactly one such log: " + found);
        return found.get(0);
    }
}
