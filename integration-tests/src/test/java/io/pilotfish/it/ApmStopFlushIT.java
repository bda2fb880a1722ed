package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ECS stops the task right after the application's last traces: they, and the APM stats of their open 10-second
 * bucket, are sent before the agent exits.
 */
class ApmStopFlushIT {

    @Test
    void tracesAndTheirStatsAreShippedOnSigterm() throws Exception {
        TracerApps apps = TracerApps.installed();
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            String intake = fixture.intake.uri().toString();
            AgentProcess agent = fixture.start(fixture.agent()
                    .env("DD_APM_RECEIVER_PORT", Integer.toString(port))
                    .env("DD_APM_DD_URL", intake)
                    .env("DD_APM_TELEMETRY_DD_URL", intake)
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
            assertTrue(agent.awaitLine(l -> l.contains("APM receiver listening on tcp"), Duration.ofSeconds(60)),
                    agent.outputText());
            String service = "it-stop-python";
            String out = apps.run(TracerApps.Language.PYTHON, Map.of(
                    "DD_TRACE_AGENT_URL", "http://127.0.0.1:" + port, "DD_SERVICE", service, "DD_ENV", "it",
                    "APP_TRACES", "20", "APP_ERRORS", "5"), Duration.ofSeconds(120));
            assertTrue(out.contains("sent 20 traces"), out);
            // The tracer has its answers: the agent holds the traces and the stats of an open bucket. Stop now.
            agent.terminate();
            assertTrue(agent.awaitExit(Duration.ofSeconds(30)) != -1, "agent exits on SIGTERM:\n"
                    + agent.outputText());

            // Nothing is awaited: the agent has exited, so what it shipped is all there is.
            long roots = RecordedTraces.chunks(fixture.intake, service).stream()
                    .flatMap(e -> e.getValue().spans().stream())
                    .filter(s -> s.parentId() == 0 && s.service().equals(service)).count();
            assertEquals(20, roots, "every trace sent before SIGTERM is shipped:\n" + agent.outputText());
            long[] web = RecordedTraces.stats(fixture.intake, service, "web.request");
            assertEquals(20, web[0], "the open bucket's stats are shipped at stop");
            assertEquals(5, web[1]);
        }
    }
}
