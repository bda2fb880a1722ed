package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A fault a user meets: UDP 8125 is taken by another process (a Datadog Agent container left in the task), so the
 * agent's DogStatsD listener cannot bind. {@code pilotfish health}, {@code status} and {@code doctor} must all say so,
 * each in its own way, and agree; and on a healthy agent doctor must not call the agent's own port "in use".
 */
class AgentHealthIT {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);

    private static JsonNode awaitDogStatsdState(AgentFixture fixture, String state) throws Exception {
        JsonNode[] last = new JsonNode[1];
        AgentFixture.await("collector dogstatsd to be " + state, Duration.ofSeconds(60), () -> {
            try {
                last[0] = HotReloadIT.status(fixture.statusPort);
            } catch (Exception | AssertionError notYet) {
                return false;
            }
            for (JsonNode collector : last[0].path("collectors")) {
                if (collector.path("name").asText().equals("dogstatsd")) {
                    return collector.path("state").asText().equals(state);
                }
            }
            return false;
        });
        return last[0];
    }

    private AgentProcess.Builder agent(AgentFixture fixture) {
        return fixture.agent().property("pilotfish.status.port", Integer.toString(fixture.statusPort));
    }

    @Test
    void aListenerThatCannotBindFailsHealthAndStatusAndDoctorSayWhy() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask();
             DatagramSocket other = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                     fixture.dogstatsdPort))) {
            AgentProcess agent = fixture.start(agent(fixture));
            JsonNode status = awaitDogStatsdState(fixture, "failed");
            assertTrue(agent.isAlive(), "the agent keeps running without the listener");

            String port = Integer.toString(fixture.statusPort);
            AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port", port);
            assertEquals(1, health.exitCode(), health.toString());
            assertTrue(health.stdout().startsWith("unhealthy: collector dogstatsd is not running: failed to start"),
                    health.toString());

            assertEquals("unhealthy", status.path("health").path("status").asText(), status.toString());
            AgentProcess.CommandOutput json = agent(fixture).args("status", "--json").runToEnd(COMMAND_TIMEOUT);
            CliOutputIT.assertJq("status --json", json.stdout(), ".ok == false and .health.status == \"unhealthy\" "
                    + "and any(.problems[]; startswith(\"collector dogstatsd is not running\"))");

            AgentProcess.CommandOutput doctor = agent(fixture).args("doctor", "--json", "--timeout", "2s")
                    .runToEnd(COMMAND_TIMEOUT);
            assertEquals(1, doctor.exitCode(), doctor.toString());
            CliOutputIT.assertJq("doctor --json", doctor.stdout(), "(.checks[] | select(.id == \"ports\") | "
                    + ".status == \"FAIL\" and (.detail | contains(\"not held by the running agent\") and "
                    + "contains(\"another process holds the port\"))) and (.checks[] | select(.id == "
                    + "\"running-agent\") | .status == \"FAIL\" and (.detail | contains(\"collector dogstatsd\")))");
        }
    }

    @Test
    void whenTheUserChoseReportADeadListenerIsDegradedNotUnhealthy() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask();
             DatagramSocket other = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                     fixture.dogstatsdPort))) {
            fixture.start(agent(fixture).property("pilotfish.health.degraded", "report"));
            awaitDogStatsdState(fixture, "failed");
            AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port",
                    Integer.toString(fixture.statusPort));
            assertEquals(0, health.exitCode(), health.toString());
            assertTrue(health.stdout().startsWith("degraded: collector dogstatsd is not running: failed to start"),
                    health.toString());
        }
    }

    @Test
    void onAHealthyAgentDoctorSaysTheAgentHoldsItsPorts() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.start(agent(fixture));
            awaitDogStatsdState(fixture, "running");
            AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port",
                    Integer.toString(fixture.statusPort));
            assertEquals("healthy\n", health.stdout(), health.toString());
            AgentProcess.CommandOutput doctor = agent(fixture).args("doctor", "--json", "--timeout", "2s")
                    .runToEnd(COMMAND_TIMEOUT);
            CliOutputIT.assertJq("doctor --json", doctor.stdout(), ".checks[] | select(.id == \"ports\") | "
                    + ".status == \"PASS\" and (.detail | contains(\"" + fixture.dogstatsdPort + "/udp (DogStatsD) held "
                    + "by the running Pilotfish agent\"))");
        }
    }
}
