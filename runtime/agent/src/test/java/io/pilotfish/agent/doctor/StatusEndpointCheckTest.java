package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusEndpointCheckTest {

    private static CheckResult run(String host, int port) {
        try (DoctorContext context = Fixtures.context(Map.of())) {
            return new StatusEndpointCheck(host, port).run(context);
        }
    }

    @Test
    void aLoopbackBindPasses() {
        assertEquals(CheckStatus.PASS, run("127.0.0.1", 5001).status());
        assertEquals(CheckStatus.PASS, run("localhost", 5001).status());
        assertEquals(CheckStatus.PASS, run("::1", 5001).status());
    }

    @Test
    void aWildcardBindIsAWarningWithTheFix() {
        CheckResult result = run("0.0.0.0", 5001);
        assertEquals(CheckStatus.WARN, result.status(), result.detail());
        assertTrue(result.detail().contains("pilotfish.status.host=0.0.0.0")
                && result.detail().contains("without authentication"), result.detail());
        assertTrue(result.fix().orElseThrow().contains("PILOTFISH_STATUS_HOST"), result.fix().orElseThrow());
    }

    @Test
    void anEndpointTurnedOffIsSkipped() {
        assertEquals(CheckStatus.SKIP, run("0.0.0.0", 0).status());
    }
}
