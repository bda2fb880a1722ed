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
 * agent's DogStatsD listener cannot bind; or the Unix socket's directory is not mounted. {@code pilotfish health},
 * {@code status} and {@code doctor} must all say so, each in its own way, and agree; the other listeners keep
 * receiving; once the cause goes away the listener binds on its own and the problem clears. On a healthy agent doctor
 * must not call the agent's own port "in use".
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
    void aListenerThatCannotBindFailsHealthAndStatusAndDoctorSayWhyUntilTheOtherProcessGoesAway() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            DatagramSocket other = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    fixture.dogstatsdPort));
            try {
                AgentProcess agent = fixture.start(agent(fixture));
                JsonNode status = awaitDogStatsdState(fixture, "degraded");
                assertTrue(agent.isAlive(), "the agent keeps running without the listener");

                String port = Integer.toString(fixture.statusPort);
                AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port", port);
                assertEquals(1, health.exitCode(), health.toString());
                assertTrue(health.stdout().startsWith("unhealthy: collector dogstatsd is degraded: no DogStatsD "
                        + "listener is bound"), health.toString());
                assertTrue(health.stdout().contains("DD_DOGSTATSD_PORT") && health.stdout().contains("retried"),
                        health.toString());

                assertEquals("unhealthy", status.path("health").path("status").asText(), status.toString());
                AgentProcess.CommandOutput json = agent(fixture).args("status", "--json").runToEnd(COMMAND_TIMEOUT);
                CliOutputIT.assertJq("status --json", json.stdout(), ".ok == false and .health.status == "
                        + "\"unhealthy\" and any(.problems[]; startswith(\"collector dogstatsd is degraded\"))");

                AgentProcess.CommandOutput doctor = agent(fixture).args("doctor", "--json", "--timeout", "2s")
                        .runToEnd(COMMAND_TIMEOUT);
                assertEquals(1, doctor.exitCode(), doctor.toString());
                CliOutputIT.assertJq("doctor --json", doctor.stdout(), "(.checks[] | select(.id == \"ports\") | "
                        + ".status == \"FAIL\" and (.detail | contains(\"not held by the running agent\") and "
                        + "contains(\"another process holds the port\"))) and (.checks[] | select(.id == "
                        + "\"running-agent\") | .status == \"FAIL\" and (.detail | contains(\"collector "
                        + "dogstatsd\")))");
            } finally {
                other.close(); // the other DogStatsD server goes away
            }

            JsonNode bound = awaitDogStatsdState(fixture, "running");
            assertTrue(bound.path("problems").isEmpty(), bound.toString());
            AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port",
                    Integer.toString(fixture.statusPort));
            assertEquals("healthy\n", health.stdout(), health.toString());
            try (DatagramSocket client = new DatagramSocket()) {
                byte[] line = "after.rebind:1|c".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                client.send(new java.net.DatagramPacket(line, line.length, InetAddress.getLoopbackAddress(),
                        fixture.dogstatsdPort));
            }
            fixture.intake.awaitSeries("after.rebind", Duration.ofSeconds(60));
        }
    }

    @Test
    void aBadUnixSocketPathLeavesUdpReceivingAndHealthStatusAndDoctorNameIt() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "pf-it");
        java.nio.file.Path notMounted = dir.resolve("dsd");
        java.nio.file.Path socket = notMounted.resolve("dsd.socket");
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(agent(fixture).env("DD_DOGSTATSD_SOCKET", socket.toString()));
            JsonNode status = awaitDogStatsdState(fixture, "degraded");
            assertTrue(agent.isAlive());
            try (DatagramSocket client = new DatagramSocket()) {
                byte[] line = "still.over.udp:1|c".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                client.send(new java.net.DatagramPacket(line, line.length, InetAddress.getLoopbackAddress(),
                        fixture.dogstatsdPort));
            }
            fixture.intake.awaitSeries("still.over.udp", Duration.ofSeconds(60));

            CliOutputIT.assertJq("status", HotReloadIT.status(fixture.statusPort).toString(), "any(.collectors[]; "
                    + ".name == \"dogstatsd\" and .state == \"degraded\" and (.detail | contains(\"" + notMounted
                    + " does not exist\") and contains(\"DD_DOGSTATSD_SOCKET\")) and (.listening | map(.transport) "
                    + "== [\"udp\"]))");
            assertEquals("unhealthy", status.path("health").path("status").asText(), status.toString());
            AgentProcess.CommandOutput text = agent(fixture).args("status").runToEnd(COMMAND_TIMEOUT);
            assertTrue(text.stdout().contains("\n  - collector dogstatsd is degraded: DogStatsD Unix datagram socket "
                    + socket), text.toString());
            AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port",
                    Integer.toString(fixture.statusPort));
            assertEquals(1, health.exitCode(), health.toString());
            assertTrue(health.stdout().startsWith("unhealthy: collector dogstatsd is degraded: DogStatsD Unix "
                    + "datagram socket"), health.toString());
            AgentProcess.CommandOutput doctor = agent(fixture).args("doctor", "--json", "--timeout", "2s")
                    .runToEnd(COMMAND_TIMEOUT);
            assertEquals(1, doctor.exitCode(), doctor.toString());
            CliOutputIT.assertJq("doctor --json", doctor.stdout(), ".checks[] | select(.id == \"running-agent\") | "
                    + ".status == \"FAIL\" and (.detail | contains(\"DD_DOGSTATSD_SOCKET\"))");

            java.nio.file.Files.createDirectory(notMounted); // the volume appears
            JsonNode bound = awaitDogStatsdState(fixture, "running");
            CliOutputIT.assertJq("status", bound.toString(), "any(.collectors[]; .name == \"dogstatsd\" and "
                    + "(.listening | map(.transport) == [\"udp\", \"unixgram\"])) and (.problems | length == 0)");
        } finally {
            java.nio.file.Files.deleteIfExists(socket);
            java.nio.file.Files.deleteIfExists(notMounted);
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    @Test
    void whenTheUserChoseReportADeadListenerIsDegradedNotUnhealthy() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask();
             DatagramSocket other = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                     fixture.dogstatsdPort))) {
            fixture.start(agent(fixture).property("pilotfish.health.degraded", "report"));
            awaitDogStatsdState(fixture, "degraded");
            AgentProcess.CommandOutput health = CliOutputIT.launcherHealth("--port",
                    Integer.toString(fixture.statusPort));
            assertEquals(0, health.exitCode(), health.toString());
            assertTrue(health.stdout().startsWith("degraded: collector dogstatsd is degraded: no DogStatsD listener"),
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
