package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedLogs;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.ScriptedResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The logs intake misbehaves while a FireLens app logs through the packaged agent; what a user checks afterwards:
 * every line at the intake exactly once, in the order sent, and the agent's own counters (its {@code /metrics} running
 * totals and {@code pilotfish status}) saying what was retried and what was dropped, and why.
 *
 * <p>The app is fluent-logger-golang (the library of Docker's fluentd and awsfirelens drivers) over TCP with the
 * chunk/ack option, so each run ends only once the agent acknowledged every line. The recorder of the fixture receives
 * only the logs (the agent's metrics go to a second recorder), so an answer scripted there meets a logs request.
 *
 * <p>What an outage longer than the memory budget really does to a client with acks (the last test): the forward
 * receiver acknowledges a frame once its records are in the sink's queue, and waits for the queue's room before that
 * ({@code Emitter.awaitCapacity}) only while the destination takes data; while exports fail the wait returns at once,
 * so a dead intake never holds the app up. The app's acks are therefore neither delayed nor withheld: every line is
 * acknowledged, and the oldest lines beyond {@code queue.max-bytes} are then dropped in the agent, counted as
 * {@code queue_full} in {@code pilotfish.sink.dropped} and shown by status. An ack means "queued in the agent",
 * not "at Datadog".
 */
class LogsIntakeFailuresIT {

    private static final Duration APP_TIMEOUT = Duration.ofSeconds(120);
    /** Generous: the sink ships within seconds, a loaded machine may take longer. */
    private static final Duration ARRIVAL = Duration.ofSeconds(90);
    private static final Pattern NUMBERED = Pattern.compile("line (\\d+) of (\\S+)");
    private static final String SINK = "sink=\"datadog-logs\"";

    /** One agent with logs on, its forward port, and the recorder its metrics go to. */
    private record Router(AgentFixture fixture, AgentProcess agent, int port, IntakeRecorder metrics)
            implements AutoCloseable {

        @Override
        public void close() throws Exception {
            try {
                fixture.close();
            } finally {
                metrics.close();
            }
        }

        /** Runs the Go app to its end: {@code lines} lines named {@code name}, acked, over TCP. */
        String send(FluentClients clients, String name, int lines) throws Exception {
            String output = clients.run(FluentClients.Client.GO, FluentClients.Target.tcp(port), true, name, lines,
                    Map.of(), APP_TIMEOUT);
            assertTrue(output.contains(FluentClients.sentLine(lines)), output);
            return output;
        }

        /** The numbers of the accepted lines of run {@code name}, in arrival order. */
        List<Integer> numbers(String name) {
            return RecordedLogs.accepted(fixture.intake, log -> {
                Matcher m = NUMBERED.matcher(log.message());
                return m.matches() && m.group(2).equals(name);
            }).stream().map(LogsIntakeFailuresIT::number).toList();
        }

        /** Waits until every line 1..lines of {@code name} arrived, then checks each came once, in order. */
        void assertEveryLineOnceInOrder(String name, int lines) throws InterruptedException {
            AgentFixture.await(lines + " lines of " + name + " at the intake", ARRIVAL,
                    () -> numbers(name).stream().distinct().count() >= lines);
            assertEquals(IntStream.rangeClosed(1, lines).boxed().toList(), numbers(name),
                    "every line once, in the order sent");
        }

        List<RecordedRequest> logsRequests() {
            return fixture.intake.requests(RecordedLogs.LOGS_PATH);
        }

        double figure(String sample, String... labels) {
            return fixture.localFigure(sample, labels);
        }
    }

    private static int number(RecordedLogs.Log log) {
        Matcher m = NUMBERED.matcher(log.message());
        assertTrue(m.matches(), log.toString());
        return Integer.parseInt(m.group(1));
    }

    /** The packaged agent as a task's log router, with {@code extra} platform settings for its logs sink. */
    private static Router router(Map<String, String> extra) throws Exception {
        AgentFixture fixture = AgentFixture.demoTask();
        IntakeRecorder metrics = IntakeRecorder.builder().start();
        try {
            int port = AgentFixture.freePort();
            AgentProcess.Builder builder = fixture.fastAgent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .env("DD_DD_URL", metrics.uri().toString())
                    .env("DD_LOGS_ENABLED", "true")
                    .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                    .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                    .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(port))
                    .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET",
                            java.nio.file.Files.createTempDirectory("pf-faults").resolve("fluent.sock").toString())
                    .env("DD_APM_ENABLED", "false");
            extra.forEach((key, value) -> builder.property("pilotfish.sinks.datadog-logs." + key, value));
            AgentProcess agent = fixture.start(builder);
            assertTrue(agent.awaitLine(l -> l.contains(" ready in "), Duration.ofSeconds(60)), agent.outputText());
            return new Router(fixture, agent, port, metrics);
        } catch (Exception | Error e) {
            fixture.close();
            metrics.close();
            throw e;
        }
    }

    /** The count status shows for the logs sink's drops with this reason. */
    private static long statusDrops(JsonNode status, String reason) {
        long sum = 0;
        for (JsonNode drop : status.path("drops")) {
            if (drop.path("part").asText().contains("datadog-logs") && drop.path("figure").asText()
                    .equals("sink.dropped") && drop.path("reason").asText().equals(reason)) {
                sum += drop.path("count").asLong();
            }
        }
        return sum;
    }

    @Test
    void serverErrorsForAWhileThenRecoveryLoseNothing() throws Exception {
        FluentClients clients = FluentClients.installed();
        try (Router router = router(Map.of())) {
            IntakeRecorder intake = router.fixture().intake;
            intake.alwaysRespond(500);
            // The app ends once the agent acked every line: queued, while the intake refuses them.
            router.send(clients, "errors", 200);
            Supplier<Long> refused = () -> router.logsRequests().stream().filter(r -> r.status() >= 500).count();
            AgentFixture.await("two requests refused with 500", ARRIVAL, () -> refused.get() >= 2);
            intake.alwaysRespond(503);
            AgentFixture.await("two more refused with 503", ARRIVAL, () -> router.logsRequests().stream()
                    .filter(r -> r.status() == 503).count() >= 2);
            intake.reset();

            router.assertEveryLineOnceInOrder("errors", 200);
            assertTrue(router.figure("pilotfish_sink_retried_total", SINK) > 0, "the refused batches were retried");
            assertEquals(0.0, router.figure("pilotfish_sink_dropped_total", SINK), "nothing dropped");
            assertTrue(router.agent().isAlive());
        }
    }

    @Test
    void retryAfterOn429IsHonouredAndNothingIsLost() throws Exception {
        FluentClients clients = FluentClients.installed();
        try (Router router = router(Map.of())) {
            router.fixture().intake.respondNext(ScriptedResponse.status(429).withRetryAfter("3"));
            router.send(clients, "throttled", 200);
            AgentFixture.await("a logs request after the 429", ARRIVAL, () -> {
                List<RecordedRequest> requests = router.logsRequests();
                return requests.size() >= 2 && requests.get(0).status() == 429;
            });
            List<RecordedRequest> requests = router.logsRequests();
            Duration waited = Duration.between(requests.get(0).receivedAt(), requests.get(1).receivedAt());
            assertTrue(waited.toMillis() >= 2900, "the next logs request came " + waited.toMillis()
                    + " ms after a 429 with Retry-After: 3");
            router.assertEveryLineOnceInOrder("throttled", 200);
            assertTrue(router.figure("pilotfish_sink_retried_total", SINK) > 0);
            assertEquals(0.0, router.figure("pilotfish_sink_dropped_total", SINK));
        }
    }

    /**
     * The intake holds its answer (5 s) past the sink's request timeout (2 s): the platform counts the export as failed
     * and retries it. The held request must not also count as delivered: the agent gives it up (closes its
     * connection), so the late answer never lands and no line arrives twice.
     */
    @Test
    void aHangingIntakeIsRetriedAfterTheRequestTimeoutWithoutLossOrRepeat() throws Exception {
        FluentClients clients = FluentClients.installed();
        try (Router router = router(Map.of("request-timeout", "2s"))) {
            router.fixture().intake.respondNext(ScriptedResponse.status(202).after(Duration.ofSeconds(5)));
            router.send(clients, "hang", 200);
            router.assertEveryLineOnceInOrder("hang", 200);
            // The held request (the first logs request) is recorded only when its answer was due, after the retry.
            AgentFixture.await("the held request to be recorded", ARRIVAL, () -> held(router.logsRequests()) != null);
            RecordedRequest held = held(router.logsRequests());
            assertEquals(ScriptedResponse.CLIENT_CLOSED, held.status(), "the agent gave the held request up, so its "
                    + "late answer never landed: " + router.logsRequests());
            // Had the late answer landed, its lines would now be there twice.
            router.assertEveryLineOnceInOrder("hang", 200);
            assertTrue(router.figure("pilotfish_sink_retried_total", SINK) > 0, "the timed-out export was retried");
            assertEquals(0.0, router.figure("pilotfish_sink_dropped_total", SINK));
            assertTrue(router.agent().output().stream().anyMatch(l -> l.contains("request timed out")),
                    router.agent().outputText());
        }
    }

    /** The request received first, once it is recorded after a later one (its answer was held); else null. */
    private static RecordedRequest held(List<RecordedRequest> requests) {
        RecordedRequest first = requests.stream().min(java.util.Comparator.comparing(RecordedRequest::receivedAt))
                .orElse(null);
        return first != null && first.sequence() > requests.get(0).sequence() ? first : null;
    }

    @Test
    void tooLargePayloadsAreSplitAndEverythingArrives() throws Exception {
        FluentClients clients = FluentClients.installed();
        int limit = 2000;
        int lines = 1000;
        try (Router router = router(Map.of())) {
            router.fixture().intake.rejectBodiesOver(limit);
            router.send(clients, "split", lines);
            router.assertEveryLineOnceInOrder("split", lines);
            List<RecordedRequest> requests = router.logsRequests();
            assertTrue(requests.stream().anyMatch(r -> r.status() == 413), "some payloads were too large");
            assertTrue(requests.stream().filter(RecordedRequest::accepted).allMatch(r -> r.wireBytes() <= limit));
            assertTrue(router.figure("pilotfish_sink_batches_split_total", SINK) > 0);
            assertEquals(0.0, router.figure("pilotfish_sink_dropped_total", SINK));
        }
    }

    @Test
    void aRejectedPayloadIsDroppedCountedAndShownWhileTheAgentRunsOn() throws Exception {
        FluentClients clients = FluentClients.installed();
        try (Router router = router(Map.of())) {
            router.fixture().intake.respondNext(400);
            router.send(clients, "rejected", 100);
            AgentFixture.await("the 400", ARRIVAL, () -> router.logsRequests().stream()
                    .anyMatch(r -> r.status() == 400));
            RecordedRequest refused = router.logsRequests().stream().filter(r -> r.status() == 400).findFirst()
                    .orElseThrow();
            int refusedLogs = RecordedLogs.decode(refused).size();
            assertTrue(refusedLogs > 0, refused.toString());
            AgentFixture.await("the rejected logs counted", ARRIVAL, () -> router.figure(
                    "pilotfish_sink_dropped_total", SINK, "reason=\"rejected\"") >= refusedLogs);
            assertEquals(refusedLogs, router.figure("pilotfish_sink_dropped_total", SINK, "reason=\"rejected\""));

            // Later lines arrive: the agent runs on.
            router.send(clients, "after", 100);
            router.assertEveryLineOnceInOrder("after", 100);
            // Of the first run, exactly the refused payload's lines are missing; the rest arrived once, in order.
            List<Integer> refusedNumbers = RecordedLogs.decode(refused).stream().map(LogsIntakeFailuresIT::number)
                    .toList();
            List<Integer> expected = new ArrayList<>(IntStream.rangeClosed(1, 100).boxed().toList());
            expected.removeAll(refusedNumbers);
            AgentFixture.await("the first run's other lines", ARRIVAL,
                    () -> router.numbers("rejected").size() >= expected.size());
            assertEquals(expected, router.numbers("rejected"));

            JsonNode status = HotReloadIT.status(router.fixture().statusPort);
            assertEquals(refusedLogs, statusDrops(status, "rejected"), status.toString());
            assertTrue(HotReloadIT.sink(status, "datadog-logs").path("dropped").asLong() >= refusedLogs,
                    status.toString());
            assertTrue(router.agent().output().stream().anyMatch(l -> l.contains("destination rejected "
                    + refusedLogs + " items")), router.agent().outputText());
            assertTrue(router.agent().isAlive());
        }
    }

    /** See the class comment: acks are not delayed while the intake is down; the oldest lines are dropped, counted. */
    @Test
    void anOutageLongerThanTheQueueBudgetDropsTheOldestCountsItAndTheAgentStaysUp() throws Exception {
        FluentClients clients = FluentClients.installed();
        int lines = 5000;
        try (Router router = router(Map.of("queue.max-bytes", Integer.toString(256 * 1024)))) {
            IntakeRecorder intake = router.fixture().intake;
            intake.alwaysRespond(503);
            // Every line acknowledged although the intake is down and the queue holds only a part of them.
            router.send(clients, "outage", lines);
            assertTrue(router.agent().awaitLine(l -> l.contains("queue over its budget") && l.contains("oldest"),
                    ARRIVAL), router.agent().outputText());
            double dropped = router.figure("pilotfish_sink_dropped_total", SINK, "reason=\"queue_full\"");
            assertTrue(dropped > 0, "queue_full drops counted");
            JsonNode status = HotReloadIT.status(router.fixture().statusPort);
            assertEquals((long) dropped, statusDrops(status, "queue_full"), status.toString());
            assertTrue(status.path("problems").toString().contains("datadog-logs is dropping data"),
                    status.toString());
            assertTrue(router.agent().isAlive());

            intake.reset();
            AgentFixture.await("the newest line after recovery", ARRIVAL,
                    () -> router.numbers("outage").contains(lines));
            AgentFixture.await("the queue emptied", ARRIVAL,
                    () -> router.figure("pilotfish_sink_queue_items", SINK) == 0);
            List<Integer> delivered = router.numbers("outage");
            double droppedInAll = router.figure("pilotfish_sink_dropped_total", SINK);
            assertEquals(droppedInAll, router.figure("pilotfish_sink_dropped_total", SINK, "reason=\"queue_full\""),
                    "every drop is queue_full");
            assertEquals(lines, delivered.size() + (long) droppedInAll, "each line delivered or counted as dropped");
            assertEquals(delivered.stream().sorted().distinct().toList(), delivered, "in order, none repeated");
            assertTrue(delivered.get(0) > 1, "the oldest lines were the ones dropped: first delivered "
                    + delivered.get(0));
            assertTrue(router.agent().isAlive());
        }
    }
}
