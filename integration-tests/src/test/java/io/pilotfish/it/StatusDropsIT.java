package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A client sends malformed lines and packets larger than buffer-size: the packaged agent's {@code status} (JSON and
 * text) lists each drop by reason, and names DogStatsD as dropping data while it lasts.
 */
class StatusDropsIT {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);

    private static long drops(JsonNode status, String figure, String reason) {
        long sum = 0;
        for (JsonNode drop : status.path("drops")) {
            if (drop.path("part").asText().equals("collector dogstatsd") && drop.path("figure").asText().equals(figure)
                    && drop.path("reason").asText().equals(reason)) {
                sum += drop.path("count").asLong();
            }
        }
        return sum;
    }

    private static void send(int port, String payload) throws Exception {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket client = new DatagramSocket()) {
            client.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
        }
    }

    @Test
    void parseErrorsAndOversizedPacketsAreCountedPerReasonInStatus() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(fixture.agent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
            assertTrue(agent.awaitLine(line -> line.contains("dogstatsd listening: udp"), Duration.ofSeconds(60)),
                    agent.outputText());

            send(fixture.dogstatsdPort, "good.one:1|c\nbad.type:1|x\nno_value_or_type\n");
            send(fixture.dogstatsdPort, "bad.type.again:2|x");
            // Whole lines up to buffer-size (8192) are kept; the line cut at the end is dropped and counted.
            send(fixture.dogstatsdPort, "kept.line:1|c\n".repeat(600) + "cut.line:1|c\n");
            JsonNode[] status = new JsonNode[1];
            AgentFixture.await("the drops in status", Duration.ofSeconds(60), () -> {
                try {
                    status[0] = HotReloadIT.status(fixture.statusPort);
                } catch (Exception | AssertionError notYet) {
                    return false;
                }
                return drops(status[0], "dogstatsd.parse_errors", "bad_type") >= 2
                        && drops(status[0], "dogstatsd.parse_errors", "malformed") >= 1
                        && drops(status[0], "dogstatsd.dropped", "oversized_packet") >= 1;
            });

            assertEquals(2, drops(status[0], "dogstatsd.parse_errors", "bad_type"), status[0].toString());
            assertEquals(1, drops(status[0], "dogstatsd.parse_errors", "malformed"), status[0].toString());
            assertEquals(1, drops(status[0], "dogstatsd.dropped", "oversized_packet"), status[0].toString());
            AgentProcess.CommandOutput json = fixture.agent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .args("status", "--json").runToEnd(COMMAND_TIMEOUT);
            CliOutputIT.assertJq("status --json", json.stdout(), "any(.problems[]; startswith(\"collector dogstatsd "
                    + "is dropping data\") and contains(\"dogstatsd.parse_errors bad_type 2\") and "
                    + "contains(\"dogstatsd.dropped oversized_packet 1\")) and .ok == false and .health.status == "
                    + "\"ok\"");

            AgentProcess.CommandOutput text = fixture.agent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .args("status").runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, text.exitCode(), text.toString());
            assertTrue(text.stdout().contains("Dropped since start (by reason; * = still growing):\n"
                    + "  collector dogstatsd  dogstatsd.dropped oversized_packet 1 *; dogstatsd.parse_errors bad_type "
                    + "2 *; dogstatsd.parse_errors malformed 1 *\n"), text.toString());
            assertTrue(text.stdout().contains("  - collector dogstatsd is dropping data"), text.toString());
            fixture.intake.awaitSeries("good.one", Duration.ofSeconds(60));
        }
    }
}
