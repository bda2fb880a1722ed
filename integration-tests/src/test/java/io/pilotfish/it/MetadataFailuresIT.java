package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.Malformation;
import io.pilotfish.testkit.StatsDefect;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The metadata endpoint misbehaves; the agent keeps going and says what is wrong. */
class MetadataFailuresIT {

    @Test
    void endpointDownAtStartThenReportsOnceItAnswers() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.task.down();
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
            assertTrue(agent.awaitLine(l -> l.contains("ready in"), Duration.ofSeconds(30)), agent.outputText());
            AgentFixture.await("scrapes failing while the endpoint is down", Duration.ofSeconds(60),
                    () -> fixture.localFigure("pilotfish_collector_errors_total", "collector=\"container-stats\"") >= 2);
            assertTrue(agent.isAlive(), "the agent keeps running while the endpoint is down");
            assertTrue(fixture.intake.series("ecs.fargate.cpu.usage").isEmpty());
            // Status says what is going on, and health, which is about the agent's own parts, stays good.
            com.fasterxml.jackson.databind.JsonNode status = HotReloadIT.status(fixture.statusPort);
            assertTrue(status.path("warnings").toString().contains("collector container-stats: "), status.toString());
            assertEquals("ok", status.path("health").path("status").asText(), status.toString());
            fixture.task.up();
            fixture.intake.awaitSeries("ecs.fargate.cpu.usage", s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(30));
        }
    }

    @Test
    void slowEndpointStillReports() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            // Slower than nothing, faster than the client's 2 s timeout.
            fixture.task.latency(Duration.ofMillis(1200));
            fixture.start(fixture.fastAgentShippingTelemetry());
            fixture.intake.awaitSeries("ecs.fargate.mem.usage", s -> s.hasTags("container_name:worker"),
                    Duration.ofSeconds(30));
        }
    }

    @Test
    void malformedStatsAreLoggedAndCountedWithoutACrash() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.task.malformedNext(3, "/task/stats", Malformation.TRUNCATED);
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry());
            fixture.intake.awaitSeries("pilotfish.collector.errors", s -> s.hasTags("collector:container-stats",
                    "reason:malformed_stats") && s.points().stream().anyMatch(p -> p.value() > 0),
                    Duration.ofSeconds(30));
            assertTrue(agent.awaitLine(l -> l.contains("container-stats") && l.contains("not valid JSON"),
                    Duration.ofSeconds(5)), agent.outputText());
            // Once the endpoint answers properly again, metrics flow.
            fixture.intake.awaitSeries("ecs.fargate.cpu.usage", s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(30));
            assertTrue(agent.isAlive());
            long lines = agent.output().stream().filter(l -> l.contains("not valid JSON")).count();
            assertTrue(lines <= 2, "malformed payloads are logged at a limited rate, got " + lines + " lines");
        }
    }

    @Test
    void oneBrokenContainerDoesNotTakeTheOthersWithIt() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.task.corruptStats("worker", StatsDefect.WRONG_TYPES);
            AgentProcess agent = fixture.start(fixture.fastAgentShippingTelemetry());
            fixture.intake.awaitSeries("pilotfish.collector.errors", s -> s.hasTags("collector:container-stats",
                    "reason:malformed_container") && s.points().stream().anyMatch(p -> p.value() > 0),
                    Duration.ofSeconds(30));
            fixture.intake.awaitSeries("ecs.fargate.mem.usage", s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(10));
            fixture.intake.awaitSeries("ecs.fargate.mem.usage", s -> s.hasTags("container_name:pilotfish"),
                    Duration.ofSeconds(10));
            assertFalse(fixture.intake.series("ecs.fargate.mem.usage").stream()
                    .anyMatch(s -> s.hasTags("container_name:worker")), "the broken container's entry is skipped");
            assertTrue(agent.isAlive());
        }
    }
}
