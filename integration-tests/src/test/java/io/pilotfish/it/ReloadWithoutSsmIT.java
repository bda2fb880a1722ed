package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -HUP} on an agent whose configuration comes from no SSM at all (no task role; the key from the task
 * definition): the reload sees exactly the sources the start saw, so nothing stops, UDP 8125 keeps listening, nothing
 * queued is dropped, and status and health keep telling the truth.
 */
class ReloadWithoutSsmIT {

    /** Where the agent's settings come from in each run: the Datadog variables, ours, or system properties. */
    enum Sources { DD_VARIABLES, PILOTFISH_VARIABLES, SYSTEM_PROPERTIES }

    private static AgentProcess.Builder agentFrom(AgentFixture fixture, Sources sources) {
        AgentProcess.Builder builder = AgentProcess.builder()
                .env("ECS_CONTAINER_METADATA_URI_V4", fixture.task.v4Uri().toString())
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                .property("pilotfish.shutdown.linger", AgentFixture.NO_LINGER);
        String port = Integer.toString(fixture.dogstatsdPort);
        String url = fixture.intake.uri().toString();
        return switch (sources) {
            case DD_VARIABLES -> builder.env("DD_API_KEY", fixture.apiKey).env("DD_DD_URL", url)
                    .env("DD_DOGSTATSD_PORT", port).env("DD_TAGS", "team:payments");
            // The console sink is not on by default: switching it on through a variable is what refused reloads.
            case PILOTFISH_VARIABLES -> builder.env("PILOTFISH_DATADOG_API_KEY", fixture.apiKey)
                    .env("PILOTFISH_DATADOG_URL", url).env("PILOTFISH_COLLECTORS_DOGSTATSD_PORT", port)
                    .env("PILOTFISH_TAGS", "team:payments").env("PILOTFISH_SINKS_CONSOLE_ENABLED", "true")
                    .env("PILOTFISH_SINKS_CONSOLE_FORMAT", "json");
            case SYSTEM_PROPERTIES -> builder.property("pilotfish.datadog.api-key", fixture.apiKey)
                    .property("pilotfish.datadog.url", url).property("pilotfish.collectors.dogstatsd.port", port)
                    .property("pilotfish.tags", "team:payments").property("pilotfish.ssm.reload-interval", "0");
        };
    }

    static void send(int port, String line) throws Exception {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
        }
    }

    static List<String> states(JsonNode status, String list) {
        List<String> states = new ArrayList<>();
        status.path(list).forEach(plugin -> states.add(plugin.path("name").asText() + "="
                + plugin.path("state").asText()));
        return states;
    }

    @ParameterizedTest
    @EnumSource(Sources.class)
    void hangUpWithoutSsmStopsNothingAndDropsNothing(Sources sources) throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(agentFrom(fixture, sources));
            assertTrue(agent.awaitLine(l -> l.contains("ready in"), Duration.ofSeconds(60)), agent.outputText());
            JsonNode before = HotReloadIT.status(fixture.statusPort);
            assertEquals("no_credentials", before.path("config").path("ssm").path("state").asText(),
                    "no task role, so SSM is not a source: " + before);
            send(fixture.dogstatsdPort, "it.hup.before:1|c|#phase:before");
            fixture.intake.awaitSeries("it.hup.before", s -> s.hasTags("team:payments"), Duration.ofSeconds(60));

            agent.hangUp();
            assertTrue(agent.awaitLine(l -> l.contains("configuration reload (SIGHUP): no change"),
                    Duration.ofSeconds(60)), "the reload read the same sources and found nothing to change:\n"
                    + agent.outputText());
            JsonNode after = HotReloadIT.status(fixture.statusPort);
            assertEquals("unchanged", after.path("config").path("ssm").path("last_reload").path("outcome").asText(),
                    after.toString());
            assertEquals(states(before, "collectors"), states(after, "collectors"));
            assertEquals(states(before, "sinks"), states(after, "sinks"));
            assertTrue(states(after, "collectors").contains("dogstatsd=running"), after.toString());
            assertEquals("ok", after.path("health").path("status").asText(), after.toString());

            // 8125 still listens and the settings from every source still apply.
            send(fixture.dogstatsdPort, "it.hup.after:1|c|#phase:after");
            fixture.intake.awaitSeries("it.hup.after", s -> s.hasTags("team:payments"), Duration.ofSeconds(60));
            for (JsonNode sink : HotReloadIT.status(fixture.statusPort).path("sinks")) {
                assertEquals(0, sink.path("dropped").asLong(), "nothing dropped by " + sink);
            }
            assertTrue(agent.output().stream().noneMatch(l -> l.contains("stopped [")),
                    "nothing was stopped:\n" + agent.outputText());
        }
    }

    @Test
    void anAgentStartedUnderNohupSaysHangUpDoesNotReloadAndKeepsRunning() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(agentFrom(fixture, Sources.DD_VARIABLES).underNohup());
            assertTrue(agent.awaitLine(l -> l.contains("SIGHUP is ignored by this process"), Duration.ofSeconds(60)),
                    agent.outputText());
            assertTrue(agent.awaitLine(l -> l.contains("ready in"), Duration.ofSeconds(60)), agent.outputText());
            long hangUpAt = System.currentTimeMillis() / 1000;
            agent.hangUp();
            // HUP stays ignored: the agent goes on working (a heartbeat stamped after the signal reaches the intake),
            // never logged a reload, and did not shut down.
            fixture.intake.awaitSeries("datadog.agent.running", s -> s.points().stream()
                    .anyMatch(p -> p.timestamp() > hangUpAt), Duration.ofSeconds(60));
            JsonNode status = HotReloadIT.status(fixture.statusPort);
            assertEquals("ok", status.path("health").path("status").asText(), status.toString());
            assertTrue(agent.isAlive());
            assertTrue(agent.output().stream().noneMatch(l -> l.contains("configuration reload (SIGHUP)")),
                    agent.outputText());
        }
    }
}
