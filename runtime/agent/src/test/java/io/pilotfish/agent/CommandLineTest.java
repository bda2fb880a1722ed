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
}
