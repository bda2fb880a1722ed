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

    /** Each point of the app's CPU series, as metric, tags and timestamp. */
    private static java.util.Set<String> appPoints(List<io.pilotfish.testkit.RecordedSeries> series) {
        java.util.Set<String> points = new java.util.TreeSet<>();
        for (io.pilotfish.testkit.RecordedSeries one : series) {
            if (one.metric().equals(METRIC) && one.hasTags(APP)) {
                one.points().forEach(p -> points.add(one.tags() + "@" + p.timestamp()));
            }
        }
        return points;
    }

    @Test
    void serverErrorsThenRecoveryLoseNothing() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry());
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags(APP), Duration.ofSeconds(30));
            fixture.intake.alwaysRespond(500);
            // The outage lasts until the agent has been refused three times (a first try and two retries with backoff),
            // however slow the machine.
            java.util.function.Supplier<List<RecordedRequest>> refused = () -> fixture.intake.requests(
                    IntakeRecorder.SERIES_PATH).stream().filter(r -> r.status() == 500
                    && !appPoints(r.series()).isEmpty()).toList();
            AgentFixture.await("three refused requests", Duration.ofSeconds(60), () -> refused.get().size() >= 3);
            fixture.intake.reset();
            fixture.intake.acceptKeys(fixture.apiKey);
            java.util.Set<String> refusedPoints = new java.util.TreeSet<>();
            refused.get().forEach(r -> refusedPoints.addAll(appPoints(r.series())));
            AgentFixture.await("every refused point delivered after the outage", Duration.ofSeconds(60),
                    () -> appPoints(fixture.accepted(METRIC, APP)).containsAll(refusedPoints));
            agent.terminate();
            assertTrue(agent.awaitExit(Duration.ofSeconds(30)) != -1, "agent exits on SIGTERM");

            assertTrue(!refusedPoints.isEmpty(), "points were refused during the outage");
            assertTrue(fixture.selfCount("pilotfish.sink.retried", "sink:datadog-metrics") > 0);
            assertEquals(0.0, fixture.selfCount("pilotfish.sink.dropped", "sink:datadog-metrics"));
        }
    }

    @Test
    void retryAfterOn429IsHonoured() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            // Metrics only: the events sink sends several events at once, so requests already in flight when a 429
            // arrives would blur what this test measures (the retry after it).
            fixture.start(fixture.fastAgentShippingTelemetry()
                    .property("pilotfish.sinks.datadog-events.enabled", "false"));
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
            fixture.start(fixture.fastAgentShippingTelemetry());
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
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .property("pilotfish.sinks.datadog-metrics.queue.max-bytes", "65536"));
            assertTrue(agent.awaitLine(l -> l.contains("queue over its budget") && l.contains("oldest"),
                    Duration.ofSeconds(30)), agent.outputText());
            long recovered = Instant.now().getEpochSecond();
            fixture.intake.recover();
            try {
                AgentFixture.await("fresh data after recovery", Duration.ofSeconds(30), () ->
                        fixture.timestamps(METRIC, APP).stream().anyMatch(t -> t >= recovered));
            } catch (AssertionError e) {
                List<String> answers = fixture.intake.requests(IntakeRecorder.SERIES_PATH).stream()
                        .map(r -> r.status() + ":" + r.series().size()).toList();
                throw new AssertionError(e.getMessage() + "\nseries requests (status:series): " + answers
                        + "\nstatus: " + HotReloadIT.status(fixture.statusPort) + "\n" + agent.outputText(), e);
            }
            assertTrue(agent.isAlive());
            // What was dropped is reported where it cannot itself be dropped: the agent's running totals on /metrics
            // and in status. (A shipped count of drops can be among what a full queue drops.)
            assertTrue(fixture.localFigure("pilotfish_sink_dropped_total", "sink=\"datadog-metrics\"",
                    "reason=\"queue_full\"") > 0, "queue_full drops are reported");
            assertTrue(HotReloadIT.sink(HotReloadIT.status(fixture.statusPort), "datadog-metrics").path("dropped")
                    .asLong() > 0);
            agent.terminate();
            agent.awaitExit(Duration.ofSeconds(30));
        }
    }

    @Test
    void sigtermFlushesWhatIsQueued() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            // Batches would wait a minute; SIGTERM must not.
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .property("pilotfish.sinks.datadog-metrics.batch.timeout", "60s"));
            assertTrue(agent.awaitLine(l -> l.contains("pipeline started"), Duration.ofSeconds(30)));
            AgentFixture.await("points queued in the metrics sink", Duration.ofSeconds(60),
                    () -> fixture.localFigure("pilotfish_sink_received_total", "sink=\"datadog-metrics\"") > 0);
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
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry()
                    .property("pilotfish.shutdown.deadline", "4s"));
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
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry());
            assertTrue(agent.awaitLine(l -> l.contains("datadog-metrics") && l.contains("API key"),
                    Duration.ofSeconds(30)), agent.outputText());
            // AgentProcess.close() asserts the key never appeared in the output.
        }
    }
    @Test
    void anIntakeThatEchoesTheKeyShowsItMaskedAndEscapedInTheLogAndInStatus() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            java.util.Map<String, String> forms = io.pilotfish.testkit.SecretEchoes.of(fixture.apiKey);
            // Forms that fit the excerpt a reason shows, a terminal escape and a carriage return + forged line.
            String body = "{\"errors\":[\"\u001b[2Jbad key " + forms.get("upper case") + " "
                    + forms.get("base64") + " " + forms.get("base64 url-safe without padding") + " "
                    + forms.get("inside base64 of \"ab:<secret>\"") + "\r\nERROR forged line\"]}";
            fixture.intake.alwaysRespond(io.pilotfish.testkit.ScriptedResponse.status(400).withBody(body));
            AgentProcess agent = fixture.start(fixture.fastAgent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
            String masked = "****" + fixture.apiKey.substring(fixture.apiKey.length() - 4);
            assertTrue(agent.awaitLine(l -> l.contains("destination rejected") && l.contains("bad key"),
                    Duration.ofSeconds(60)), agent.outputText());
            com.fasterxml.jackson.databind.JsonNode[] status = new com.fasterxml.jackson.databind.JsonNode[1];
            AgentFixture.await("status to show the metrics sink's failure", Duration.ofSeconds(30), () -> {
                try {
                    status[0] = HotReloadIT.status(fixture.statusPort);
                    return HotReloadIT.sink(status[0], "datadog-metrics").path("last_failure").asText()
                            .contains("bad key");
                } catch (Exception e) {
                    return false;
                }
            });

            String failure = HotReloadIT.sink(status[0], "datadog-metrics").path("last_failure").asText();
            // The escape shows as text; the line break of the body is a space: the forged line stays on this one.
            assertTrue(failure.contains("\\x1b[2Jbad key " + masked) && failure.contains(" ERROR forged line"),
                    failure);
            String line = agent.output().stream().filter(l -> l.contains("destination rejected")).findFirst()
                    .orElseThrow();
            assertTrue(line.contains("\\x1b[2Jbad key " + masked) && line.contains(" ERROR forged line"), line);
            assertFalse(agent.output().stream().anyMatch(l -> l.contains("\u001b") || l.contains("\r")
                    || l.startsWith("ERROR forged")), agent.outputText());
            assertEquals(List.of(), io.pilotfish.testkit.SecretEchoes.leaked(fixture.apiKey,
                    List.of(status[0].toString())), status[0].toString());
            // AgentProcess.close() checks that no form of the key appeared in the output.
        }
    }
}
