package io.pilotfish.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;

/** The commands a user types. */
@QuarkusMainTest
class CommandLineTest {

    @Test
    @Launch({"--help"})
    void helpListsTheCommands(LaunchResult result) {
        String out = result.getOutput();
        assertTrue(out.contains("run") && out.contains("demo"), out);
        assertTrue(out.contains("status") && out.contains("health") && out.contains("doctor"), out);
    }

    @Test
    @Launch(value = {"status", "--port", "1"}, exitCode = 1)
    void statusWithoutARunningAgentSaysSo(LaunchResult result) {
        assertTrue(result.getErrorOutput().contains("no Pilotfish agent answers on http://127.0.0.1:1/status"),
                result.getErrorOutput());
    }

    @Test
    @Launch(value = {"health", "--port", "1"}, exitCode = 1)
    void healthWithoutARunningAgentIsUnhealthy(LaunchResult result) {
        assertTrue(result.getOutput().contains("unhealthy: no agent answers on 127.0.0.1:1"), result.getOutput());
    }

    @Test
    @Launch({"demo", "--duration", "7s", "--every", "3s"})
    void demoShipsTaskMetricsToTheEmbeddedIntake(LaunchResult result) {
        assertEquals(0, result.exitCode());
        String out = result.getOutput();
        assertTrue(out.contains("simulated Fargate task"), out);
        assertTrue(out.contains("ecs.fargate.cpu.percent") && out.contains("container.memory.usage"), out);
        assertTrue(out.contains("0 items dropped at shutdown"), out);
    }

    @Test
    @Launch(value = {"demo", "--duration", "soon"}, exitCode = 2)
    void badDurationIsExplained(LaunchResult result) {
        assertTrue(result.getErrorOutput().contains("--duration \"soon\": expected a duration"),
                result.getErrorOutput());
    }

    @Test
    @Launch({"config"})
    void configShowsEveryKeyWithItsSource(LaunchResult result) {
        String out = result.getOutput();
        assertTrue(out.matches("(?s).*pilotfish\\.collectors\\.container-stats\\.interval\\s+= 10s\\s+default.*"),
                out);
        assertTrue(out.matches("(?s).*pilotfish\\.sinks\\.datadog-metrics\\.type\\s+= datadog-metrics\\s+"
                + ".*application\\.properties.*"), out);
        assertTrue(out.contains("pilotfish.datadog.url"), out);
    }

    @Test
    @Launch({"config", "--json"})
    void configAsJson(LaunchResult result) throws Exception {
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(result.getOutput().substring(result.getOutput().indexOf('{')));
        assertTrue(json.get("valid").asBoolean());
        assertEquals("10s", json.at("/keys/pilotfish.collectors.ecs-metadata.interval/value").asText());
        assertTrue(json.at("/keys/pilotfish.datadog.api-key/secret").asBoolean());
    }
}
