package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad configuration stops the agent at start with every error listed once. */
class ConfigErrorsIT {

    @Test
    void everyErrorIsListedWithKeyValueSourceAndFix() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(fixture.agent()
                    .env("DD_SITE", "not a site")
                    .property("pilotfish.collectors.container-stats.interval", "soon")
                    .property("pilotfish.collectors.container-stats.fargate-metrics", "maybe")
                    .property("pilotfish.sinks.datadog-metrics.queue.max-bytez", "1")
                    .property("pilotfish.collectors.mystery.type", "does-not-exist"));
            assertEquals(78, agent.awaitExit(Duration.ofSeconds(30)), agent.outputText());
            String output = agent.outputText();
            assertTrue(output.contains("Configuration has 5 error(s)"), output);
            assertTrue(output.contains("pilotfish.datadog.site=\"not a site\" (from Datadog environment (DD_*))"),
                    output);
            assertTrue(output.contains("pilotfish.collectors.container-stats.interval=\"soon\" (from system property)"),
                    output);
            assertTrue(output.contains("pilotfish.collectors.container-stats.fargate-metrics=\"maybe\""), output);
            assertTrue(output.contains("pilotfish.sinks.datadog-metrics.queue.max-bytez") && output.contains(
                    "unknown key"), output);
            assertTrue(output.contains("pilotfish.collectors.mystery.type=\"does-not-exist\"") && output.contains(
                    "available: apm, container-stats, dogstatsd, ecs-metadata"), output);
        }
    }
}
