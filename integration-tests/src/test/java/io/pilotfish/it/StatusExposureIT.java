package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The status endpoint bound beyond the loopback interface ({@code PILOTFISH_STATUS_HOST=0.0.0.0}) answers anyone who
 * reaches the task, without authentication: the agent says so loudly at start, in {@code status} and in
 * {@code doctor}. And a client that opens a connection and sends nothing does not keep it.
 */
class StatusExposureIT {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aWildcardBindIsWarnedAboutAndIdleConnectionsAreClosed() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            String port = Integer.toString(fixture.statusPort);
            AgentProcess.Builder builder = fixture.agent().env("PILOTFISH_STATUS_HOST", "0.0.0.0")
                    .property("pilotfish.status.port", port);
            AgentProcess agent = fixture.start(builder);

            assertTrue(agent.awaitLine(line -> line.contains("WARN") && line.contains("listens on 0.0.0.0:" + port
                    + ", not on a loopback address") && line.contains("without authentication"),
                    Duration.ofSeconds(60)), agent.outputText());

            AgentProcess.CommandOutput status = AgentProcess.builder().property("pilotfish.status.port", port)
                    .env("PILOTFISH_STATUS_HOST", "0.0.0.0").args("status", "--json").runToEnd(COMMAND_TIMEOUT);
            JsonNode report = JSON.readTree(status.stdout());
            boolean warned = false;
            for (JsonNode warning : report.path("warnings")) {
                warned |= warning.asText().contains("not on a loopback address");
            }
            assertTrue(warned, status.toString());

            AgentProcess.CommandOutput doctor = builder.args("doctor", "--json", "--timeout", "2s")
                    .runToEnd(COMMAND_TIMEOUT);
            JsonNode exposure = null;
            for (JsonNode check : JSON.readTree(doctor.stdout()).path("checks")) {
                if (check.path("id").asText().equals("status-endpoint")) {
                    exposure = check;
                }
            }
            assertTrue(exposure != null, doctor.toString());
            assertEquals("WARN", exposure.path("status").asText(), exposure.toString());
            assertTrue(exposure.path("detail").asText().contains("pilotfish.status.host=0.0.0.0"), exposure.toString());
            assertTrue(exposure.path("fix").asText().contains("PILOTFISH_STATUS_HOST"), exposure.toString());

            // A connection that never sends a request is closed by the agent (after its 15 s idle timeout).
            try (Socket idle = new Socket(InetAddress.getLoopbackAddress(), fixture.statusPort)) {
                idle.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
                assertEquals(-1, idle.getInputStream().read(), "the agent closes an idle status connection");
            }
        }
    }
}
