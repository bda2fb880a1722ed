package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunningAgentCheckTest {

    private static CheckResult run(int port) throws Exception {
        return new RunningAgentCheck("127.0.0.1", port).run(Fixtures.context(Map.of()));
    }

    @Test
    void noAgentRunningIsSkippedNotFailed() throws Exception {
        CheckResult result = run(Fixtures.closedPort());
        assertEquals(CheckStatus.SKIP, result.status());
        assertTrue(result.detail().contains("no agent answers"), result.detail());
    }

    @Test
    void anAgentWithoutProblemsPasses() throws Exception {
        HttpServer agent = Fixtures.server(200, "{\"version\":\"1.2.3\",\"uptime_seconds\":42,"
                + "\"config\":{\"ssm\":{\"state\":\"read\"}},\"problems\":[]}");
        try {
            CheckResult result = run(agent.getAddress().getPort());
            assertEquals(CheckStatus.PASS, result.status(), result.detail());
            assertTrue(result.detail().contains("1.2.3") && result.detail().contains("SSM read"), result.detail());
        } finally {
            agent.stop(0);
        }
    }

    @Test
    void warningsWithoutProblemsAreAWarning() throws Exception {
        HttpServer agent = Fixtures.server(200, "{\"version\":\"1.2.3\",\"config\":{\"ssm\":{\"state\":\"read\"}},"
                + "\"warnings\":[\"collector container-stats: GET /task/stats failed (3 warnings since start)\"],"
                + "\"problems\":[]}");
        try {
            CheckResult result = run(agent.getAddress().getPort());
            assertEquals(CheckStatus.WARN, result.status(), result.detail());
            assertTrue(result.detail().contains("collector container-stats: GET /task/stats failed"), result.detail());
        } finally {
            agent.stop(0);
        }
    }

    @Test
    void theAgentsProblemsFailTheCheckWithAFix() throws Exception {
        HttpServer agent = Fixtures.server(200, "{\"config\":{\"ssm\":{\"state\":\"failed\"}},\"problems\":["
                + "\"SSM could not be read at start: running on the other sources, retrying\","
                + "\"no Datadog API key: data is kept\"]}");
        try {
            CheckResult result = run(agent.getAddress().getPort());
            assertEquals(CheckStatus.FAIL, result.status());
            assertTrue(result.detail().startsWith("2 problem(s)"), result.detail());
            assertTrue(result.fix().orElseThrow().contains("task role policy"), result.fix().toString());
        } finally {
            agent.stop(0);
        }
    }

    @Test
    void everyKindOfProblemGetsItsOwnAdvice() {
        assertTrue(RunningAgentCheck.fixFor("no Datadog API key: ...").contains("api-key-from"));
        assertTrue(RunningAgentCheck.fixFor("collector dogstatsd is not running: failed to start: udp 127.0.0.1:8125 "
                + "already in use").contains("restart of the task"));
        assertTrue(RunningAgentCheck.fixFor("collector dogstatsd is degraded: DogStatsD UDP listener could not bind "
                + "127.0.0.1:8125: Address already in use").contains("binds on its own once it can"));
        assertTrue(RunningAgentCheck.fixFor("collector dogstatsd is dropping data (within the last 60 s): "
                + "dogstatsd.parse_errors malformed 3 since start").contains("malformed lines"));
        assertTrue(RunningAgentCheck.fixFor("the last configuration reload (x) was refused: a").contains("HUP"));
        assertTrue(RunningAgentCheck.fixFor("sink m: host answered HTTP 403: the API key was rejected. Check")
                .contains("re-reads"));
        assertTrue(RunningAgentCheck.fixFor("sink m: timeout").contains("pilotfish status"));
    }

    @Test
    void theEndpointTurnedOffIsSkipped() throws Exception {
        assertEquals(CheckStatus.SKIP, run(0).status());
    }
}
