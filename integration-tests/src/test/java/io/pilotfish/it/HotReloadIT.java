package io.pilotfish.it;

import static io.pilotfish.it.SsmConfigIT.KEY_PARAMETER;
import static io.pilotfish.it.SsmConfigIT.METRIC;
import static io.pilotfish.it.SsmConfigIT.TASK_PATH;
import static io.pilotfish.it.SsmConfigIT.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.testkit.MotoServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Configuration changed in SSM while the packaged agent runs: applied without a restart on the reload interval or
 * SIGHUP, refused whole when invalid, and SSM throttling, timeouts or an outage at start never stop the agent.
 */
class HotReloadIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The agent's status document, as {@code pilotfish status --json} prints it. */
    static JsonNode status(int port) throws Exception {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/status")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body());
    }

    static JsonNode sink(JsonNode status, String name) {
        for (JsonNode sink : status.path("sinks")) {
            if (sink.path("name").asText().equals(name)) {
                return sink;
            }
        }
        throw new AssertionError("no sink " + name + " in " + status);
    }

    /** The key in SSM as SecureString, named by api-key-from; the global tag and the scrape interval beside it. */
    static void baseline(SsmClient admin, AgentFixture fixture, String tags, String interval) {
        put(admin, KEY_PARAMETER, fixture.apiKey, ParameterType.SECURE_STRING);
        put(admin, "/pilotfish/defaults/datadog/api-key-from", "ssm:" + KEY_PARAMETER, ParameterType.STRING);
        put(admin, "/pilotfish/defaults/tags", tags, ParameterType.STRING);
        put(admin, TASK_PATH + "/collectors/container-stats/interval", interval, ParameterType.STRING);
    }

    static List<Long> gaps(List<Long> stamps) {
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < stamps.size(); i++) {
            gaps.add(stamps.get(i) - stamps.get(i - 1));
        }
        return gaps;
    }

    static long readyLines(AgentProcess agent) {
        return agent.output().stream().filter(l -> l.contains("ready in")).count();
    }

    @Test
    void tagAndIntervalChangedInSsmApplyWithinTheReloadIntervalWithoutRestartOrLoss() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = SsmConfigIT.admin(moto)) {
            // 5 s, then 1 s: far enough apart that a busy machine cannot make one look like the other.
            baseline(admin, fixture, "team:one", "5s");
            AgentProcess agent = fixture.start(fixture.ssmAgent(moto.endpoint())
                    .property("pilotfish.ssm.reload-interval", "3s"));
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:one", "container_name:app"),
                    Duration.ofSeconds(60));
            AgentFixture.await("2 scrapes before the change", Duration.ofSeconds(60),
                    () -> fixture.timestamps(METRIC, "container_name:app").size() >= 2);

            put(admin, "/pilotfish/defaults/tags", "team:two", ParameterType.STRING);
            put(admin, TASK_PATH + "/collectors/container-stats/interval", "1s", ParameterType.STRING);
            Instant changed = Instant.now();
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:two", "container_name:app"),
                    Duration.ofSeconds(60));
            assertTrue(agent.awaitLine(l -> l.contains("configuration reload (periodic): applied")
                    && l.contains("agent settings [tags]") && l.contains("restarted [collector container-stats]"),
                    Duration.ofSeconds(60)), agent.outputText());

            long changeSecond = changed.getEpochSecond();
            AgentFixture.await("6 scrapes at the new interval", Duration.ofSeconds(60), () -> fixture.timestamps(
                    METRIC, "container_name:app", "team:two").stream().filter(t -> t > changeSecond + 3).count() >= 6);
            List<Long> after = fixture.timestamps(METRIC, "container_name:app", "team:two").stream()
                    .filter(t -> t > changeSecond + 3).toList();
            double mean = gaps(after).stream().mapToLong(Long::longValue).average().orElseThrow();
            assertTrue(mean < 3, "the 1 s interval from SSM, not the 5 s one: gaps " + gaps(after));

            // Nothing lost across the reload: the collector flushed into the new routes and the sink dropped nothing.
            JsonNode status = status(fixture.statusPort);
            assertEquals(0, sink(status, "datadog-metrics").path("dropped").asLong(), status.toString());
            // Later periodic reads find nothing new.
            assertTrue(List.of("applied", "unchanged").contains(status.path("config").path("ssm").path("last_reload")
                    .path("outcome").asText()), status.toString());
            assertTrue(status.path("problems").isEmpty(), status.toString());
            assertTrue(agent.alive());
            assertEquals(1, readyLines(agent), "the agent started once");
            agent.close();
            assertFalse(agent.output().stream().anyMatch(l -> l.contains(fixture.apiKey)));
        }
    }

    @Test
    void sighupAppliesAtOnceAndAnInvalidReloadIsRefusedWholeWhileTheAgentRunsOn() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = SsmConfigIT.admin(moto)) {
            baseline(admin, fixture, "team:one", "1s");
            AgentProcess agent = fixture.start(fixture.ssmAgent(moto.endpoint())
                    .property("pilotfish.ssm.reload-interval", "10m"));
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:one"), Duration.ofSeconds(60));

            // Two mistakes at once: both are reported, neither is applied, the tag change beside them neither.
            put(admin, "/pilotfish/defaults/telemetry/ship", "maybe", ParameterType.STRING);
            put(admin, TASK_PATH + "/collectors/container-stats/colour", "blue", ParameterType.STRING);
            put(admin, "/pilotfish/defaults/tags", "team:two", ParameterType.STRING);
            agent.hangUp();
            assertTrue(agent.awaitLine(l -> l.contains("configuration reload (SIGHUP): refused"),
                    Duration.ofSeconds(60)), agent.outputText());
            // The errors follow the refusal line; the output is read by another thread, so wait for them too.
            assertTrue(agent.awaitLine(l -> l.contains("pilotfish.telemetry.ship=\"maybe\"")
                    && l.contains("ssm:/pilotfish/defaults/telemetry/ship"), Duration.ofSeconds(60)),
                    agent.outputText());
            assertTrue(agent.awaitLine(l -> l.contains("pilotfish.collectors.container-stats.colour"),
                    Duration.ofSeconds(60)), agent.outputText());
            int before = fixture.timestamps(METRIC, "container_name:app").size();
            AgentFixture.await("scrapes go on with the running configuration", Duration.ofSeconds(60),
                    () -> fixture.timestamps(METRIC, "container_name:app").size() >= before + 3);
            assertTrue(fixture.accepted(METRIC).stream().noneMatch(s -> s.hasTags("team:two")),
                    "nothing of the refused reload was applied");
            JsonNode refused = status(fixture.statusPort);
            assertTrue(refused.path("problems").toString().contains("refused"), refused.toString());

            admin.deleteParameter(b -> b.name("/pilotfish/defaults/telemetry/ship"));
            admin.deleteParameter(b -> b.name(TASK_PATH + "/collectors/container-stats/colour"));
            agent.hangUp();
            // Applied by the signal, not by the 10 minute interval.
            assertTrue(agent.awaitLine(l -> l.contains("configuration reload (SIGHUP): applied"),
                    Duration.ofSeconds(60)), agent.outputText());
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:two"), Duration.ofSeconds(60));
            assertEquals("applied", status(fixture.statusPort).path("config").path("ssm").path("last_reload")
                    .path("outcome").asText());
            assertEquals(1, readyLines(agent));
        }
    }

    @Test
    void ssmThrottlingAndTimeoutsWhileRunningKeepTheConfigurationAndTheData() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = SsmConfigIT.admin(moto);
             SsmFaultProxy proxy = new SsmFaultProxy(moto.endpoint())) {
            baseline(admin, fixture, "team:one", "1s");
            AgentProcess agent = fixture.start(fixture.ssmAgent(proxy.endpoint())
                    .property("pilotfish.ssm.reload-interval", "2s"));
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:one"), Duration.ofSeconds(60));

            proxy.mode(SsmFaultProxy.Mode.THROTTLE);
            assertTrue(agent.awaitLine(l -> l.contains("/pilotfish/defaults: THROTTLED"), Duration.ofSeconds(40)),
                    agent.outputText());
            assertTrue(agent.output().stream().anyMatch(l -> l.contains("not applied, the running configuration "
                    + "stays")), agent.outputText());
            int during = fixture.timestamps(METRIC, "container_name:app").size();
            AgentFixture.await("scrapes go on while SSM throttles", Duration.ofSeconds(60),
                    () -> fixture.timestamps(METRIC, "container_name:app").size() >= during + 3);
            assertTrue(fixture.accepted(METRIC).stream().filter(s -> s.points().get(0).timestamp()
                    > Instant.now().getEpochSecond() - 3).allMatch(s -> s.hasTags("team:one")),
                    "the SSM settings were kept, not dropped");

            proxy.mode(SsmFaultProxy.Mode.STALL);
            agent.hangUp();
            assertTrue(agent.awaitLine(l -> l.contains("/pilotfish/defaults: TIMEOUT"), Duration.ofSeconds(40)),
                    agent.outputText());
            JsonNode stalled = status(fixture.statusPort);
            assertEquals("source_failed", stalled.path("config").path("ssm").path("last_reload").path("outcome")
                    .asText(), stalled.toString());

            proxy.mode(SsmFaultProxy.Mode.PASS);
            put(admin, "/pilotfish/defaults/tags", "team:two", ParameterType.STRING);
            agent.hangUp();
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:two"), Duration.ofSeconds(60));
            assertTrue(proxy.throttled.get() > 0 && proxy.stalled.get() > 0);
            // Nothing scraped during the faults was lost.
            assertEquals(0, sink(status(fixture.statusPort), "datadog-metrics").path("dropped").asLong());
            assertEquals(1, readyLines(agent));
        }
    }

    @Test
    void ssmUnreachableAtStartRunsOnTheOtherSourcesAndCatchesUpWhenItAnswers() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = SsmConfigIT.admin(moto);
             SsmFaultProxy proxy = new SsmFaultProxy(moto.endpoint())) {
            baseline(admin, fixture, "team:one", "1s");
            proxy.mode(SsmFaultProxy.Mode.STALL);
            AgentProcess agent = fixture.start(fixture.ssmAgent(proxy.endpoint())
                    .property("pilotfish.collectors.container-stats.interval", "1s"));
            assertTrue(agent.awaitLine(l -> l.contains("ready in"), Duration.ofSeconds(60)), agent.outputText());
            assertTrue(agent.output().stream().anyMatch(l -> l.contains("retrying in the background")),
                    agent.outputText());

            JsonNode down = status(fixture.statusPort);
            assertEquals("failed", down.path("config").path("ssm").path("state").asText(), down.toString());
            assertTrue(down.path("problems").toString().contains("SSM could not be read at start"), down.toString());
            assertFalse(down.path("config").path("api_key").path("configured").asBoolean());

            AgentProcess doctor = fixture.start(fixture.ssmAgent(proxy.endpoint()).args("doctor", "--json"));
            assertEquals(1, doctor.awaitExit(Duration.ofSeconds(90)), doctor.outputText());
            JsonNode report = JSON.readTree(doctor.outputText().substring(doctor.outputText().indexOf('{')));
            JsonNode running = null;
            for (JsonNode check : report.path("checks")) {
                if (check.path("id").asText().equals("running-agent")) {
                    running = check;
                }
            }
            assertTrue(running != null && running.path("status").asText().equals("FAIL")
                    && running.path("detail").asText().contains("SSM could not be read at start"), report.toString());

            // Scrapes while SSM is away (no key yet) are kept in the queue, to be sent once the key arrives.
            AgentFixture.await("scrapes kept while SSM is away", Duration.ofSeconds(60), () -> {
                try {
                    return sink(status(fixture.statusPort), "datadog-metrics").path("queue_items").asLong() > 0;
                } catch (Exception | AssertionError notYet) {
                    return false;
                }
            });
            Instant recovered = Instant.now();
            proxy.mode(SsmFaultProxy.Mode.PASS);
            fixture.intake.awaitSeries(METRIC, s -> s.hasTags("team:one"), Duration.ofSeconds(60));
            assertTrue(agent.awaitLine(l -> l.contains("configuration reload (retry after a failed read): applied"),
                    Duration.ofSeconds(60)), agent.outputText());
            List<Long> stamps = fixture.timestamps(METRIC, "container_name:app");
            assertTrue(stamps.get(0) <= recovered.getEpochSecond(), "what was scraped before SSM answered "
                    + "was kept and sent: first point at " + stamps.get(0) + ", SSM back at " + recovered);
            JsonNode up = status(fixture.statusPort);
            assertEquals("read", up.path("config").path("ssm").path("state").asText(), up.toString());
            assertTrue(up.path("config").path("api_key").path("source").asText().contains(KEY_PARAMETER));
            assertEquals(1, readyLines(agent));
            agent.close();
            for (AgentProcess process : List.of(agent, doctor)) {
                assertFalse(process.output().stream().anyMatch(l -> l.contains(fixture.apiKey)));
            }
        }
    }
}
