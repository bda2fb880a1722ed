package io.pilotfish.collector.ecsmetadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.TestMetadataSource;
import io.pilotfish.testkit.TestMetadataSource.Answer;
import io.pilotfish.testkit.TestPluginContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EcsMetadataScraperTest {

    private static final String FARGATE = "fargate/task.json";
    private static final String TASK_ARN =
            "arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/67cd8a22b533459696d4ccab5278e009";
    /** The events' aggregation key for that task: its id, which is unique per task. */
    private static final String TASK_KEY = "ecs-task:67cd8a22b533459696d4ccab5278e009";
    private static final String APP = "apmtest-ping";
    /** 60 s after apmtest-ping started (2023-06-20T01:13:34.891627424Z). */
    private static final Instant T0 = Instant.parse("2023-06-20T01:14:34.891627424Z");
    private static final EcsMetadataConfig WITH_METRICS = new EcsMetadataConfig(true, true, false);

    private final TestPluginContext context = TestPluginContext.builder().instanceName("ecs-metadata").startAt(T0)
            .build();
    private final TestMetadataSource metadata = context.fakeMetadata();
    private final CollectingEmitter out = new CollectingEmitter();

    @AfterEach
    void close() {
        context.close();
    }

    private EcsMetadataScraper scraper(EcsMetadataConfig config) {
        return new EcsMetadataScraper(config, context);
    }

    private void scrapeAt(EcsMetadataScraper scraper, Instant now) throws Exception {
        context.setTime(now);
        scraper.scrape(out).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Consumer<ObjectNode> stoppedWith(int exitCode, Instant finishedAt) {
        return c -> c.put("KnownStatus", "STOPPED").put("DesiredStatus", "STOPPED").put("ExitCode", exitCode)
                .put("FinishedAt", finishedAt.toString());
    }

    private static Event event(List<Event> events, String titleStart) {
        List<Event> matching = events.stream().filter(e -> e.title().startsWith(titleStart)).toList();
        assertEquals(1, matching.size(), "events titled " + titleStart + "...: " + events);
        return matching.get(0);
    }

    private static Consumer<ObjectNode> restartedAfter137() {
        return c -> c.put("KnownStatus", "RUNNING").put("ExitCode", 137).put("RestartCount", 1)
                .put("StartedAt", T0.plusSeconds(15).toString());
    }

    /** A start, an OOM kill, a restart of apmtest-ping, then nothing new. */
    private void startOomKillRestartThenNothing() {
        metadata
                .thenTask(TaskJson.read(FARGATE, Map.of()))
                .thenTask(TaskJson.read(FARGATE, Map.of(APP, stoppedWith(137, T0.plusSeconds(5)))))
                .thenTask(TaskJson.read(FARGATE, Map.of(APP, restartedAfter137())))
                .thenTask(TaskJson.read(FARGATE, Map.of(APP, restartedAfter137())));
    }

    /**
     * By default nothing the Datadog Agent would not send (Datadog bills each such series as a custom metric), but
     * every lifecycle fact is in an event: start, OOM kill with its exit code, restart with the exit that caused it,
     * a plain exit with its code.
     */
    @Test
    void byDefaultNoMetricsButEventsSayEverything() throws Exception {
        startOomKillRestartThenNothing();
        metadata.thenTask(TaskJson.read(FARGATE, Map.of(APP, restartedAfter137(),
                "dd-agent", stoppedWith(1, T0.plusSeconds(35)))));
        EcsMetadataScraper scraper = scraper(EcsMetadataConfig.DEFAULT);

        scrapeAt(scraper, T0);
        assertEquals(List.of(), out.metrics());
        Event task = event(out.events(), "Task akira-fargate-check:1 started");
        assertEquals(TASK_KEY, task.aggregationKey());
        assertTrue(task.tags().contains("task_arn:" + TASK_ARN), task.tags().toString());
        assertTrue(task.tags().contains("cluster_name:akira-fargate-check-cluster"), task.tags().toString());
        assertTrue(task.tags().contains("event_type:task_started"), task.tags().toString());
        assertTrue(task.text().contains("apmtest-ping (RUNNING)"), task.text());
        Event started = event(out.events(), "Container apmtest-ping started");
        assertTrue(started.tags().contains("event_type:container_started"), started.tags().toString());
        assertTrue(started.tags().contains("container_name:" + APP), started.tags().toString());

        out.clear();
        scrapeAt(scraper, T0.plusSeconds(10));
        assertEquals(List.of(), out.metrics());
        Event killed = event(out.events(), "Container apmtest-ping killed by SIGKILL");
        assertEquals("Container apmtest-ping killed by SIGKILL (exit code 137), likely out of memory", killed.title());
        assertEquals(Event.AlertType.ERROR, killed.alertType());
        assertEquals(TASK_KEY, killed.aggregationKey());
        for (String tag : List.of("event_type:container_stopped", "exit_code:137", "oom_kill:likely",
                "container_name:" + APP, "ecs_container_name:" + APP, "task_arn:" + TASK_ARN)) {
            assertTrue(killed.tags().contains(tag), "missing " + tag + " in " + killed.tags());
        }

        out.clear();
        scrapeAt(scraper, T0.plusSeconds(20));
        assertEquals(List.of(), out.metrics());
        Event restarted = event(out.events(), "Container apmtest-ping restarted (restart count 1)");
        assertEquals(Event.AlertType.WARNING, restarted.alertType());
        for (String tag : List.of("event_type:container_restarted", "exit_code:137", "container_name:" + APP,
                "task_arn:" + TASK_ARN)) {
            assertTrue(restarted.tags().contains(tag), "missing " + tag + " in " + restarted.tags());
        }

        out.clear();
        scrapeAt(scraper, T0.plusSeconds(30));
        assertTrue(out.isEmpty(), "nothing changed, nothing sent: " + out);

        scrapeAt(scraper, T0.plusSeconds(40));
        assertEquals(List.of(), out.metrics());
        Event exited = event(out.events(), "Container dd-agent exited with code 1");
        assertEquals(Event.AlertType.ERROR, exited.alertType());
        assertTrue(exited.tags().contains("exit_code:1"), exited.tags().toString());
        assertTrue(exited.tags().contains("event_type:container_stopped"), exited.tags().toString());
        assertNull(exited.tags().valueOf("oom_kill"), exited.tags().toString());

        // At shutdown the last view is not re-sent as gauges either.
        out.clear();
        metadata.thenFail(new MetadataException("endpoint gone"));
        scrapeAt(scraper, T0.plusSeconds(50));
        scraper.flush(out).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(out.isEmpty(), out.toString());
    }

    @Test
    void withMetricsStartThenOomKillThenRestart() throws Exception {
        startOomKillRestartThenNothing();
        EcsMetadataScraper scraper = scraper(WITH_METRICS);

        // 1. First sight: the task and both containers started.
        scrapeAt(scraper, T0);
        List<Event> events = out.events();
        assertEquals(3, events.size(), events.toString());
        Event task = event(events, "Task akira-fargate-check:1 started");
        assertEquals(Event.AlertType.INFO, task.alertType());
        assertEquals("ecs", task.sourceTypeName());
        assertEquals(TASK_KEY, task.aggregationKey());
        assertTrue(task.text().contains("Launch type: FARGATE."), task.text());
        assertTrue(task.text().contains("Availability zone: ap-northeast-1d."), task.text());
        assertTrue(task.tags().contains("task_arn:" + TASK_ARN));
        assertTrue(task.tags().contains("event_type:task_started"));
        assertNull(task.tags().valueOf("container_name"));
        Event started = event(events, "Container apmtest-ping started");
        assertEquals(Event.Priority.LOW, started.priority());
        assertEquals(TASK_KEY, started.aggregationKey());
        assertTrue(started.tags().contains("container_name:apmtest-ping"));
        assertTrue(started.tags().contains("ecs_container_name:apmtest-ping"));
        event(events, "Container dd-agent started");

        Metric running = out.metric("ecs.task.containers", "status:running");
        assertEquals(2, running.value());
        assertEquals(MetricType.GAUGE, running.type());
        assertEquals(T0.getEpochSecond(), running.timestamp());
        assertTrue(running.tags().contains("task_arn:" + TASK_ARN));
        assertTrue(running.tags().contains("cluster_name:akira-fargate-check-cluster"));
        assertNull(running.tags().valueOf("container_name"));
        Metric appRunning = out.metric("ecs.container.running", "container_name:" + APP);
        assertEquals(1, appRunning.value());
        // ORCHESTRATOR container tags plus container_name; the container id stays out.
        assertTrue(appRunning.tags().contains("task_arn:" + TASK_ARN));
        assertTrue(appRunning.tags().contains("short_image:apmtest-ping"));
        assertNull(appRunning.tags().valueOf("container_id"));
        assertEquals(60.0, out.metric("ecs.container.uptime", "container_name:" + APP).value(), 0.001);
        assertTrue(out.metrics("ecs.container.exit_code").isEmpty());
        assertTrue(out.metrics("ecs.container.restarts").isEmpty());
        assertTrue(out.metrics("ecs.container.stops").isEmpty());

        // 2. The app is SIGKILLed under the task's memory limit.
        out.clear();
        scrapeAt(scraper, T0.plusSeconds(10));
        events = out.events();
        assertEquals(1, events.size(), events.toString());
        Event killed = events.get(0);
        assertEquals("Container apmtest-ping killed by SIGKILL (exit code 137), likely out of memory",
                killed.title());
        assertEquals(Event.AlertType.ERROR, killed.alertType());
        assertTrue(killed.text().contains("task memory limit of 3072 MiB"), killed.text());
        assertTrue(killed.text().contains("does not report the reason"), killed.text());
        assertTrue(killed.text().contains("likely not essential"), killed.text());
        assertTrue(killed.text().contains("(ran 65.0 s)"), killed.text());
        assertTrue(killed.tags().contains("exit_code:137"));
        assertTrue(killed.tags().contains("event_type:container_stopped"));
        assertTrue(killed.tags().contains("container_name:" + APP));
        assertTrue(killed.tags().contains("oom_kill:likely"));

        Metric stops = out.metric("ecs.container.stops", "container_name:" + APP);
        assertEquals(MetricType.COUNT, stops.type());
        assertEquals(1, stops.value());
        assertEquals(10, stops.intervalSeconds());
        assertTrue(stops.tags().contains("exit_code:137"));
        Metric oom = out.metric("ecs.container.oom_kills", "container_name:" + APP);
        assertEquals(MetricType.COUNT, oom.type());
        assertEquals(1, oom.value());
        assertEquals(1, out.metric("ecs.task.containers", "status:running").value());
        assertEquals(1, out.metric("ecs.task.containers", "status:stopped").value());
        assertEquals(0, out.metric("ecs.container.running", "container_name:" + APP).value());
        assertEquals(137, out.metric("ecs.container.exit_code", "container_name:" + APP).value());
        assertEquals(1, out.metrics("ecs.container.uptime").size(), "only the running container has an uptime");

        // 3. ECS restarts it (restart policy): one restart event, no second "started".
        out.clear();
        scrapeAt(scraper, T0.plusSeconds(20));
        events = out.events();
        assertEquals(1, events.size(), events.toString());
        Event restarted = events.get(0);
        assertEquals("Container apmtest-ping restarted (restart count 1)", restarted.title());
        assertEquals(Event.AlertType.WARNING, restarted.alertType());
        assertTrue(restarted.text().contains("Last exit code: 137."), restarted.text());
        assertTrue(restarted.tags().contains("exit_code:137"), restarted.tags().toString());
        assertTrue(out.metrics("ecs.container.stops").isEmpty());
        assertEquals(2, out.metric("ecs.task.containers", "status:running").value());
        assertEquals(0, out.metric("ecs.task.containers", "status:stopped").value(),
                "a status seen before reports 0 instead of vanishing");
        assertEquals(1, out.metric("ecs.container.restarts", "container_name:" + APP).value());
        assertEquals(5.0, out.metric("ecs.container.uptime", "container_name:" + APP).value(), 0.001);

        // 4. Nothing changed: gauges only.
        out.clear();
        scrapeAt(scraper, T0.plusSeconds(30));
        assertTrue(out.events().isEmpty(), out.events().toString());
        assertEquals(1, out.metric("ecs.container.restarts", "container_name:" + APP).value());
        assertEquals(0, context.counter("collector.errors", "reason:metadata_refresh_failed"));
        assertEquals(4, context.counter("collector.scrapes"));
    }

    @Test
    void containerAlreadyStoppedAtFirstSightIsReported() throws Exception {
        metadata.thenTask(TaskJson.read("fargate/task-with-stopped-container.json", Map.of()));
        scrapeAt(scraper(WITH_METRICS), T0);
        Event exited = event(out.events(), "Container nonessential exited with code 0");
        assertEquals(Event.AlertType.SUCCESS, exited.alertType());
        assertTrue(exited.text().contains("desired status is still RUNNING"), exited.text());
        assertEquals(1, out.metric("ecs.container.stops", "exit_code:0").value());
        assertTrue(out.metrics("ecs.container.oom_kills").isEmpty());
        assertEquals(2, out.metric("ecs.task.containers", "status:running").value());
        assertEquals(1, out.metric("ecs.task.containers", "status:stopped").value());
        assertEquals(0, out.metric("ecs.container.exit_code", "ecs_container_name:nonessential").value());
        assertEquals(4, out.events().size(), "task started, two containers started, one exited");
    }

    @Test
    void nonZeroExitIsAnErrorButNotAnOomKill() throws Exception {
        metadata.thenTask(TaskJson.read(FARGATE, Map.of()))
                .thenTask(TaskJson.read(FARGATE, Map.of(APP, stoppedWith(1, T0))));
        EcsMetadataScraper scraper = scraper(WITH_METRICS);
        scrapeAt(scraper, T0);
        out.clear();
        scrapeAt(scraper, T0.plusSeconds(10));
        Event exited = event(out.events(), "Container apmtest-ping exited with code 1");
        assertEquals(Event.AlertType.ERROR, exited.alertType());
        assertEquals(1, out.metric("ecs.container.stops", "exit_code:1").value());
        assertTrue(out.metrics("ecs.container.oom_kills").isEmpty());
        assertNull(exited.tags().valueOf("oom_kill"));
    }

    @Test
    void stopWithoutExitCode() throws Exception {
        metadata.thenTask(TaskJson.read(FARGATE, Map.of(APP, c -> c.put("KnownStatus", "STOPPED"))));
        scrapeAt(scraper(WITH_METRICS), T0);
        Event stopped = event(out.events(), "Container apmtest-ping stopped without an exit code");
        assertEquals(Event.AlertType.ERROR, stopped.alertType());
        assertEquals(1, out.metric("ecs.container.stops", "exit_code:unknown").value());
    }

    @Test
    void sigkillWithoutAnyMemoryLimitIsNotCalledOutOfMemory() throws Exception {
        // ec2/task-awsvpc.json has no task limits; drop the container's memory limit too.
        Consumer<ObjectNode> noMemoryLimit = c -> ((ObjectNode) c.get("Limits")).remove("Memory");
        metadata
                .thenTask(TaskJson.read("ec2/task-awsvpc.json", Map.of("curl", noMemoryLimit)))
                .thenTask(TaskJson.read("ec2/task-awsvpc.json",
                        Map.of("curl", noMemoryLimit.andThen(stoppedWith(137, T0)))));
        EcsMetadataScraper scraper = scraper(WITH_METRICS);
        scrapeAt(scraper, T0);
        out.clear();
        scrapeAt(scraper, T0.plusSeconds(10));
        Event killed = event(out.events(), "Container curl killed by SIGKILL");
        assertEquals("Container curl killed by SIGKILL (exit code 137)", killed.title());
        assertTrue(killed.text().contains("No memory limit is set"), killed.text());
        assertTrue(out.metrics("ecs.container.oom_kills").isEmpty());
        assertNull(killed.tags().valueOf("oom_kill"));
        assertEquals(1, out.metric("ecs.container.stops", "exit_code:137").value());
    }

    @Test
    void sigkillWhileTheTaskWasAlreadyStoppingIsAStopTimeout() throws Exception {
        Consumer<ObjectNode> stopping = task -> task.put("DesiredStatus", "STOPPED");
        metadata
                .thenTask(TaskJson.read(FARGATE, stopping, Map.of()))
                .thenTask(TaskJson.read(FARGATE, stopping, Map.of(APP, stoppedWith(137, T0))));
        EcsMetadataScraper scraper = scraper(WITH_METRICS);
        scrapeAt(scraper, T0);
        out.clear();
        scrapeAt(scraper, T0.plusSeconds(10));
        Event killed = event(out.events(), "Container apmtest-ping killed by SIGKILL");
        assertEquals("Container apmtest-ping killed by SIGKILL (exit code 137)", killed.title());
        assertTrue(killed.text().contains("stop timeout"), killed.text());
        assertTrue(killed.text().contains("The task is stopping"), killed.text());
        assertTrue(out.metrics("ecs.container.oom_kills").isEmpty());
        assertNull(killed.tags().valueOf("oom_kill"));
    }

    @Test
    void internalContainersAreLeftOutUnlessAskedFor() throws Exception {
        byte[] ec2 = TaskJson.read("ec2/task-awsvpc.json", Map.of());
        metadata.thenTask(ec2).thenTask(ec2);
        scrapeAt(scraper(WITH_METRICS), T0);
        assertEquals(1, out.metrics("ecs.task.containers").size());
        assertEquals(1, out.metric("ecs.task.containers", "status:running").value());
        assertEquals(1, out.metrics("ecs.container.running").size());
        assertFalse(out.events().stream().anyMatch(e -> e.title().contains("~internal~ecs~pause")));

        out.clear();
        scrapeAt(scraper(new EcsMetadataConfig(true, true, true)), T0);
        assertEquals(1, out.metric("ecs.task.containers", "status:resources_provisioned").value());
        assertEquals(0, out.metric("ecs.container.running", "ecs_container_name:~internal~ecs~pause").value());
    }

    @Test
    void eventsOffAndMetricsOnSendsOnlyMetrics() throws Exception {
        metadata.thenTask(TaskJson.read(FARGATE, Map.of()))
                .thenTask(TaskJson.read(FARGATE, Map.of(APP, stoppedWith(137, T0))));
        EcsMetadataScraper scraper = scraper(new EcsMetadataConfig(false, true, false));
        scrapeAt(scraper, T0);
        scrapeAt(scraper, T0.plusSeconds(10));
        assertTrue(out.events().isEmpty(), out.events().toString());
        assertEquals(1, out.metric("ecs.container.stops", "exit_code:137").value());
        assertEquals(1, out.metric("ecs.container.oom_kills").value());
    }

    @Test
    void failedRefreshIsCountedLoggedAndTheScrapeCompletes() throws Exception {
        metadata.thenFail(new MetadataException("GET http://169.254.170.2/v4/x/task failed after 4 attempts"))
                .thenTask(TaskJson.read(FARGATE, Map.of()));
        EcsMetadataScraper scraper = scraper(EcsMetadataConfig.DEFAULT);
        scrapeAt(scraper, T0); // completes normally, no exception
        assertTrue(out.isEmpty());
        assertEquals(1, context.counter("collector.errors", "reason:metadata_refresh_failed"));
        assertEquals(1, context.log().lines().size());
        String line = context.log().lines().get(0).toString();
        assertTrue(line.startsWith("WARN metadata_refresh_failed could not refresh"), line);
        assertTrue(line.contains("failed after 4 attempts"), line);

        // The next good refresh reports the task as usual.
        scrapeAt(scraper, T0.plusSeconds(10));
        event(out.events(), "Task akira-fargate-check:1 started");
    }

    @Test
    void refreshThatThrowsIsCountedLikeAFailedOne() throws Exception {
        metadata.answer(TestMetadataSource.TASK_PATH,
                Answer.thrown(new IllegalStateException("broken metadata source")));
        scrapeAt(scraper(EcsMetadataConfig.DEFAULT), T0);
        assertTrue(out.isEmpty());
        assertEquals(1, context.counter("collector.errors", "reason:metadata_refresh_failed"));
        String line = context.log().lines().get(0).toString();
        assertTrue(line.contains("broken metadata source"), line);
    }

    @Test
    void unavailableMetadataIsCountedAndTheScrapeCompletes() throws Exception {
        metadata.available(false);
        scrapeAt(scraper(EcsMetadataConfig.DEFAULT), T0);
        assertTrue(out.isEmpty());
        assertEquals(0, metadata.refreshes());
        assertEquals(1, context.counter("collector.errors", "reason:metadata_unavailable"));
        String line = context.log().lines().get(0).toString();
        assertTrue(line.contains("ECS_CONTAINER_METADATA_URI_V4"), line);
    }

    @Test
    void flushRefreshesOnceMoreAndReportsTheFinalState() throws Exception {
        metadata.thenTask(TaskJson.read(FARGATE, Map.of()))
                .thenTask(TaskJson.read(FARGATE, task -> task.put("DesiredStatus", "STOPPED"),
                        Map.of(APP, stoppedWith(0, T0.plusSeconds(2)))));
        EcsMetadataScraper scraper = scraper(WITH_METRICS);
        scrapeAt(scraper, T0);
        out.clear();
        context.setTime(T0.plusSeconds(3));
        scraper.flush(out).toCompletableFuture().get(10, TimeUnit.SECONDS);
        Event exited = event(out.events(), "Container apmtest-ping exited with code 0");
        assertTrue(exited.text().contains("The task is stopping"), exited.text());
        assertEquals(0, out.metric("ecs.container.running", "container_name:" + APP).value());
        assertEquals(T0.plusSeconds(3).getEpochSecond(),
                out.metric("ecs.container.running", "container_name:" + APP).timestamp());
    }

    @Test
    void flushAfterAFailedRefreshResendsTheLastGauges() throws Exception {
        metadata.thenTask(TaskJson.read(FARGATE, Map.of()))
                .thenFail(new MetadataException("endpoint gone"));
        EcsMetadataScraper scraper = scraper(WITH_METRICS);
        scrapeAt(scraper, T0);
        scrapeAt(scraper, T0.plusSeconds(10));
        out.clear();
        context.setTime(T0.plusSeconds(12));
        scraper.flush(out).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(2, metadata.refreshes(), "no refresh at shutdown after the last one failed");
        assertTrue(out.events().isEmpty());
        Metric running = out.metric("ecs.task.containers", "status:running");
        assertEquals(2, running.value());
        assertEquals(T0.plusSeconds(12).getEpochSecond(), running.timestamp());
        assertEquals(72.0, out.metric("ecs.container.uptime", "container_name:" + APP).value(), 0.001);
    }

    /** A cluster name near the long end of real ones (ECS allows 255 characters), so the task ARN exceeds 100. */
    private static final String LONG_CLUSTER =
            "payments-settlement-reconciliation-batch-workers-eu-west-1-production-blue-green";
    private static final String NEW_FORMAT_ARN =
            "arn:aws:ecs:ap-southeast-2:123456789012:task/" + LONG_CLUSTER + "/0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    /** The format before ECS put the cluster into task ARNs; the id is a dashed UUID (see v3/task.json). */
    private static final String OLD_FORMAT_ARN =
            "arn:aws:ecs:us-east-2:012345678910:task/9781c248-0edd-4cdb-9a93-f63cb662a5d3";

    private static byte[] fargateTaskWithArn(String taskArn) {
        return TaskJson.read(FARGATE, task -> task.put("TaskARN", taskArn), Map.of());
    }

    /** The key of every event one scrape of a fresh collector sends (they must all share it). */
    private String eventKeyOfAFreshCollector() throws Exception {
        out.clear();
        scrapeAt(scraper(EcsMetadataConfig.DEFAULT), T0);
        List<String> keys = out.events().stream().map(Event::aggregationKey).distinct().toList();
        assertEquals(1, keys.size(), "one key for all of a task's events: " + out.events());
        return keys.get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {NEW_FORMAT_ARN, OLD_FORMAT_ARN})
    void eventAggregationKeyIsShortTheSameAfterARestartAndDifferentPerTask(String taskArn) throws Exception {
        String otherTaskArn = taskArn.substring(0, taskArn.length() - 1)
                + (taskArn.endsWith("0") ? "1" : "0");
        metadata.thenTask(fargateTaskWithArn(taskArn))
                .thenTask(fargateTaskWithArn(taskArn))
                .thenTask(fargateTaskWithArn(otherTaskArn));
        String key = eventKeyOfAFreshCollector();
        String afterRestart = eventKeyOfAFreshCollector(); // a new collector, as after the agent restarts
        String otherTask = eventKeyOfAFreshCollector();

        assertEquals("ecs-task:" + taskArn.substring(taskArn.lastIndexOf('/') + 1), key);
        assertTrue(key.length() <= 100, key.length() + " characters: " + key);
        assertEquals(key, afterRestart);
        assertNotEquals(key, otherTask);
    }

    @Test
    void aggregationKeyOfAnIdThatIsNoTaskIdIsAStableHash() {
        String odd = "arn:aws:ecs:eu-west-1:123456789012:task/shop/" + "id with spaces and:colons ".repeat(8);
        String key = TaskLifecycle.aggregationKey(parse(odd));
        assertTrue(key.startsWith("ecs-task:"), key);
        assertTrue(key.length() <= 100, key.length() + " characters: " + key);
        assertEquals(key, TaskLifecycle.aggregationKey(parse(odd)));
        assertNotEquals(key, TaskLifecycle.aggregationKey(parse(odd + "x")));
    }

    private static TaskMetadata parse(String taskArn) {
        String json = "{\"TaskARN\": \"" + taskArn + "\"}";
        return TaskMetadataParser.parseTask(json.getBytes(StandardCharsets.UTF_8), "v4");
    }

    @Test
    void flushWithoutEndpointDoesNothing() throws Exception {
        metadata.available(false);
        scraper(EcsMetadataConfig.DEFAULT).flush(out).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(out.isEmpty());
    }
}
