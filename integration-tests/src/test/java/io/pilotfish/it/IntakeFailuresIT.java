package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The intake misbehaves; nothing is lost silently. */
class IntakeFailuresIT {

    private static final String METRIC = "ecs.fargate.mem.usage";
    private static final String APP = "container_name:app";

    @Test
    void serverErrorsThenRecoveryLoseNothing() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(fixture.fastAgent());
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags(APP), Duration.ofSeconds(30));
            fixture.intake.alwaysRespond(500);
            long outageStart = Instant.now().getEpochSecond();
            Thread.sleep(6000);
            long outageEnd = Instant.now().getEpochSecond();
            fixture.intake.reset();
            fixture.intake.acceptKeys(fixture.apiKey);
            AgentFixture.await("points from the outage delivered", Duration.ofSeconds(30), () ->
                    fixture.timestamps(METRIC, APP).stream().filter(t -> t > outageEnd + 2).count() >= 2);
            agent.terminate();
            assertTrue(agent.awaitExit(Duration.ofSeconds(30)) != -1, "agent exits on SIGTERM");

            List<Long> timestamps = fixture.timestamps(METRIC, APP);
            assertTrue(timestamps.stream().filter(t -> t >= outageStart && t <= outageEnd).count() >= 4,
                    "points scraped during the outage arrived after it: " + timestamps);
            for (int i = 1; i < timestamps.size(); i++) {
                assertTrue(timestamps.get(i) - timestamps.get(i - 1) <= 3,
                        "no gap in the series (1 s scrapes): " + timestamps);
            }
            assertTrue(fixture.intake.requests(IntakeRecorder.SERIES_PATH).stream().anyMatch(r -> r.status() == 500));
            assertTrue(fixture.selfCount("pilotfish.sink.retried", "sink:datadog-metrics") > 0);
            assertEquals(0.0, fixture.selfCount("pilotfish.sink.dropped", "sink:datadog-metrics"));
        }
    }

    @Test
    void retryAfterOn429IsHonoured() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            // Metrics only: the events sink sends several events at once, so requests already in flight when a 429
            // arrives would blur what this test measures (the retry after it).
            fixture.start(fixture.fastAgent().property("pilotfish.sinks.datadog-events.enabled", "false"));
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags(APP), Duration.ofSeconds(30));
            fixture.intake.respondNext(429, "3");
            // The next request after the 429 must wait the 3 s the intake asked for.
            AgentFixture.await("a request after the 429", Duration.ofSeconds(30), () -> afterThrottle(
                    fixture.intake.requests()) != null);
            List<RecordedRequest> pair = afterThrottle(fixture.intake.requests());
            Duration waited = Duration.between(pair.get(0).receivedAt(), pair.get(1).receivedAt());
            assertTrue(waited.toMillis() >= 2900, "next " + pair.get(1).path() + " request " + waited.toMillis()
                    + " ms after a 429 with Retry-After: 3");
        }
    }

    /** The 429 and the next request to the same path, or null while there is none. */
    private static List<RecordedRequest> afterThrottle(List<RecordedRequest> requests) {
        int throttled = indexOfStatus(requests, 429);
        if (throttled < 0) {
            return null;
        }
        for (int i = throttled + 1; i < requests.size(); i++) {
            if (requests.get(i).path().equals(requests.get(throttled).path())) {
                return List.of(requests.get(throttled), requests.get(i));
            }
        }
        return null;
    }

    private static int indexOfStatus(List<RecordedRequest> requests, int status) {
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).status() == status) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void payloadTooLargeIsSplitAndEverythingArrives() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.intake.rejectBodiesOver(1500);
            fixture.start(fixture.fastAgent());
            for (String container : List.of("app", "worker", "pilotfish")) {
                for (String metric : List.of("ecs.fargate.mem.usage", "ecs.fargate.cpu.user", "container.memory.rss")) {
                    fixture.intake.awaitSeries(metric, s -> s.hasTags("container_name:" + container),
                            Duration.ofSeconds(30));
                }
            }
            List<RecordedRequest> requests = fixture.intake.requests(IntakeRecorder.SERIES_PATH);
            assertTrue(requests.stream().anyMatch(r -> r.status() == 413), "some batches were too large");
            assertTrue(requests.stream().filter(RecordedRequest::accepted).allMatch(r -> r.wireBytes() <= 1500));
            fixture.intake.awaitSeries("pilotfish.sink.batches.split", s -> s.lastValue() > 0,
                    Duration.ofSeconds(20));
        }
    }

    @Test
    void outageLongerThanTheQueueBudgetDropsTheOldestAndSaysSo() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.intake.outage();
            AgentProcess agent = fixture.start(fixture.fastAgent()
                    .property("pilotfish.sinks.datadog-metrics.queue.max-bytes", "65536"));
            assertTrue(agent.awaitLine(l -> l.contains("queue over its budget") && l.contains("oldest"),
                    Duration.ofSeconds(30)), agent.outputText());
            long recovered = Instant.now().getEpochSecond();
            fixture.intake.recover();
            AgentFixture.await("fresh data after recovery", Duration.ofSeconds(30), () ->
                    fixture.timestamps(METRIC, APP).stream().anyMatch(t -> t >= recovered));
            assertTrue(agent.isAlive());
            agent.terminate();
            agent.awaitExit(Duration.ofSeconds(30));
            // What was dropped is reported: in the agent's own metrics, once the intake is back.
            assertTrue(fixture.selfCount("pilotfish.sink.dropped", "sink:datadog-metrics", "reason:queue_full") > 0,
                    "queue_full drops are reported");
        }
    }

    @Test
    void sigtermFlushesWhatIsQueued() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            // Batches would wait a minute; SIGTERM must not.
            AgentProcess agent = fixture.start(fixture.fastAgent()
                    .property("pilotfish.sinks.datadog-metrics.batch.timeout", "60s"));
            assertTrue(agent.awaitLine(l -> l.contains("pipeline started"), Duration.ofSeconds(30)));
            Thread.sleep(2500);
            assertTrue(fixture.intake.series(METRIC).isEmpty(), "nothing sent before the batch timeout");
            agent.terminate();
            assertFalse(agent.awaitExit(Duration.ofSeconds(25)) == -1, "exits within the shutdown deadline");
            assertFalse(fixture.accepted(METRIC, APP).isEmpty(), "queued data was flushed at SIGTERM");
            assertTrue(agent.outputText().contains("0 items dropped at shutdown"), agent.outputText());
        }
    }

    @Test
    void sigtermDuringAnOutageFlushesWhatItCanAndReportsTheRest() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.intake.outage();
            AgentProcess agent = fixture.start(fixture.fastAgent().property("pilotfish.shutdown.deadline", "4s"));
            assertTrue(agent.awaitLine(l -> l.contains("export failed"), Duration.ofSeconds(30)), agent.outputText());
            long signalled = System.nanoTime();
            agent.terminate();
            int exit = agent.awaitExit(Duration.ofSeconds(20));
            long tookMillis = (System.nanoTime() - signalled) / 1_000_000;
            assertTrue(exit != -1, "the agent exits even though the intake is down");
            assertTrue(tookMillis < 15_000, "exited " + tookMillis + " ms after SIGTERM with a 4 s deadline");
            assertTrue(agent.output().stream().anyMatch(l -> l.contains("could not be sent before the shutdown "
                    + "deadline and were dropped") && l.contains("datadog-metrics")), agent.outputText());
        }
    }

    @Test
    void rejectedKeyIsReportedWithoutShowingIt() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.intake.acceptKeys("some-other-key");
            AgentProcess agent = fixture.start(fixture.fastAgent());
            assertTrue(agent.awaitLine(l -> l.contains("datadog-metrics") && l.contains("API key"),
                    Duration.ofSeconds(30)), agent.outputText());
            // AgentProcess.close() asserts the key never appeared in the output.
        }
    }
}
