package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.IntakeRecorder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IntakeReachabilityCheckTest {

    private final IntakeReachabilityCheck check = new IntakeReachabilityCheck();

    private CheckResult run(DatadogTarget target) throws Exception {
        try (DoctorContext context = Fixtures.context(Map.of(), target)) {
            return check.run(context);
        }
    }

    @Test
    void plainHttpIntakePassesAndSaysItIsPlain() throws Exception {
        try (IntakeRecorder intake = IntakeRecorder.startDefault()) {
            CheckResult result = run(Fixtures.target("pilotfish.datadog.url", intake.uri().toString()));
            assertEquals(CheckStatus.PASS, result.status(), result.detail());
            assertTrue(result.detail().contains("-> 127.0.0.1, plain HTTP"), result.detail());
        }
    }

    @Test
    void httpsToAServerThatSpeaksNoTlsFailsTheHandshake() throws Exception {
        try (IntakeRecorder intake = IntakeRecorder.startDefault()) {
            CheckResult result = run(Fixtures.target("pilotfish.datadog.url", "https://127.0.0.1:" + intake.port()));
            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
            assertTrue(result.detail().startsWith("TLS handshake with 127.0.0.1:" + intake.port()), result.detail());
        }
    }

    @Test
    void closedPortFailsNamingTheHost() throws Exception {
        int port = Fixtures.closedPort();
        CheckResult result = run(Fixtures.target("pilotfish.datadog.url", "http://127.0.0.1:" + port));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("could not connect to 127.0.0.1:" + port), result.detail());
    }

    @Test
    void unresolvableHostFailsWithinTheTimeout() {
        DatadogTarget target = Fixtures.target("pilotfish.datadog.url", "https://intake.pilotfish-doctor-test.invalid");
        try (DoctorContext context = Fixtures.context(Map.of(), target)) {
            CheckResult result = new Doctor(List.of(check)).run(context).results().get(0);
            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
        }
    }

    @Test
    void eachEnabledDatadogSinkContributesItsHostOnce() {
        DatadogTarget target = Fixtures.target(
                "pilotfish.datadog.site", "datadoghq.eu",
                "pilotfish.sinks.datadog-metrics.type", "datadog-metrics",
                "pilotfish.sinks.datadog-events.type", "datadog-events",
                "pilotfish.sinks.mirror.type", "datadog-metrics",
                "pilotfish.sinks.mirror.url", "http://127.0.0.1:9999",
                "pilotfish.sinks.off.type", "datadog-events",
                "pilotfish.sinks.off.url", "http://127.0.0.1:9998",
                "pilotfish.sinks.off.enabled", "false",
                "pilotfish.sinks.console.type", "console");
        assertEquals(Map.of("datadog-events, datadog-metrics", java.net.URI.create("https://api.datadoghq.eu"),
                "mirror", java.net.URI.create("http://127.0.0.1:9999")), target.intakeBases());
    }
}
