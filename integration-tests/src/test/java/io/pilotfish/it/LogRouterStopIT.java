package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.RecordedLogs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The FireLens loss at task stop must not happen here. ECS sends SIGTERM to the log router and the apps at once when
 * they do not depend on each other; an app logs as it shuts down. The packaged agent, told to stop while the simulated
 * task's apps still run, keeps its forward listener open: a real client (fluent-logger-golang, what the awsfirelens
 * driver is built on) connects after the SIGTERM and sends its lines with acks; once the task metadata shows the apps
 * stopped, the agent flushes, and every line is at the intake.
 */
class LogRouterStopIT {

    private static final int LINES = 300;
    private static final Pattern NUMBERED = Pattern.compile("line (\\d+) of (\\S+)");

    @Test
    void linesSentAfterSigtermWhileTheAppsStillRunAreAllDelivered() throws Exception {
        FluentClients clients = FluentClients.installed();
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            AgentProcess agent = fixture.start(fixture.fastAgent()
                    .property("pilotfish.shutdown.linger", "60s")
                    .property("pilotfish.shutdown.deadline", "120s")
                    .env("DD_LOGS_ENABLED", "true")
                    .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                    .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                    .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(port))
                    .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET",
                            java.nio.file.Files.createTempDirectory("pf-stop").resolve("fluent.sock").toString())
                    .env("DD_APM_ENABLED", "false"));
            assertTrue(agent.awaitLine(l -> l.contains(" ready in "), Duration.ofSeconds(60)), agent.outputText());

            agent.terminate();
            assertTrue(agent.awaitLine(l -> l.contains("still accepting data while") && l.contains("app")
                    && l.contains("worker"), Duration.ofSeconds(30)),
                    "the agent waits for the task's running apps at SIGTERM:\n" + agent.outputText());

            String name = "stop-go-tcp-ack";
            String output = clients.run(FluentClients.Client.GO, FluentClients.Target.tcp(port), true, name, LINES,
                    Map.of(), Duration.ofSeconds(120));
            assertTrue(output.contains(FluentClients.sentLine(LINES)), output);
            assertTrue(agent.isAlive(), "still running while the apps run:\n" + agent.outputText());

            fixture.task.stopContainer("app", 0);
            fixture.task.stopContainer("worker", 143);
            assertNotEquals(-1, agent.awaitExit(Duration.ofSeconds(90)),
                    "the agent flushes and exits once the apps stopped:\n" + agent.outputText());
            assertTrue(agent.output().stream().anyMatch(l -> l.contains("0 items dropped at shutdown")),
                    agent.outputText());

            List<Integer> numbers = RecordedLogs.accepted(fixture.intake, log -> {
                Matcher m = NUMBERED.matcher(log.message());
                return m.matches() && m.group(2).equals(name);
            }).stream().map(log -> {
                Matcher m = NUMBERED.matcher(log.message());
                assertTrue(m.matches());
                return Integer.parseInt(m.group(1));
            }).toList();
            assertEquals(IntStream.rangeClosed(1, LINES).boxed().toList(), numbers,
                    "every line sent after SIGTERM arrived once, in order");
        }
    }
}
