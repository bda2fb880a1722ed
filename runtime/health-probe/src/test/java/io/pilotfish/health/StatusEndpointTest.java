package io.pilotfish.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The probe finds the status endpoint where the agent opens it: same keys, same order, same defaults. */
class StatusEndpointTest {

    private static Properties properties(String... keyValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return properties;
    }

    @Test
    void withNothingSetItIsTheLoopbackOnTheDatadogAgentsCommandPort() {
        StatusEndpoint endpoint = StatusEndpoint.resolve(null, properties(), Map.of());
        assertEquals("127.0.0.1", endpoint.host());
        assertEquals(5001, endpoint.port());
        assertEquals("127.0.0.1:5001", endpoint.authority());
        assertFalse(endpoint.off());
    }

    @Test
    void thePilotfishVariablesAreRead() {
        StatusEndpoint endpoint = StatusEndpoint.resolve(null, properties(),
                Map.of("PILOTFISH_STATUS_PORT", "6001", "PILOTFISH_STATUS_HOST", "127.0.0.2"));
        assertEquals("127.0.0.2:6001", endpoint.authority());
        assertEquals("pilotfish.status.port=6001 from environment PILOTFISH_STATUS_PORT", endpoint.portSetting());
    }

    @Test
    void systemPropertiesWinOverVariables() {
        StatusEndpoint endpoint = StatusEndpoint.resolve(null,
                properties("pilotfish.status.port", "7001", "pilotfish.status.host", "127.0.0.3"),
                Map.of("PILOTFISH_STATUS_PORT", "6001", "PILOTFISH_STATUS_HOST", "127.0.0.2"));
        assertEquals("127.0.0.3:7001", endpoint.authority());
        assertEquals("pilotfish.status.port=7001 from system property", endpoint.portSetting());
    }

    @Test
    void thePortOptionWinsOverEverything() {
        StatusEndpoint endpoint = StatusEndpoint.resolve(8001, properties("pilotfish.status.port", "7001"),
                Map.of("PILOTFISH_STATUS_PORT", "6001"));
        assertEquals(8001, endpoint.port());
        assertEquals("--port 8001", endpoint.portSetting());
    }

    @Test
    void valuesAreTrimmedAndMayGroupDigitsAsTheAgentReadsThem() {
        assertEquals(6001, StatusEndpoint.resolve(null, properties(), Map.of("PILOTFISH_STATUS_PORT", " 6_001 "))
                .port());
        assertEquals("127.0.0.2", StatusEndpoint.resolve(null, properties("pilotfish.status.host", " 127.0.0.2 "),
                Map.of()).host());
    }

    @Test
    void anEndpointBoundToEveryInterfaceIsReachedOnTheLoopback() {
        assertEquals("127.0.0.1:5001", StatusEndpoint.resolve(null, properties("pilotfish.status.host", "0.0.0.0"),
                Map.of()).authority());
        assertEquals("127.0.0.1:5001", StatusEndpoint.resolve(null, properties(),
                Map.of("PILOTFISH_STATUS_HOST", "::")).authority());
    }

    @Test
    void anIpv6HostIsShownInBrackets() {
        assertEquals("[::1]:5001", StatusEndpoint.resolve(null, properties("pilotfish.status.host", "::1"), Map.of())
                .authority());
    }

    @Test
    void aPortThatIsNotAPortIsReportedAsTheAgentReportsAConfigurationError() {
        IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
                () -> StatusEndpoint.resolve(null, properties(), Map.of("PILOTFISH_STATUS_PORT", "fivethousand")));
        assertEquals("pilotfish.status.port=\"fivethousand\" (from environment PILOTFISH_STATUS_PORT): expected a "
                + "whole number from 0 to 65535", notANumber.getMessage());
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> StatusEndpoint.resolve(null, properties("pilotfish.status.port", "70000"), Map.of()));
        assertTrue(tooLarge.getMessage().contains("(from system property)"), tooLarge.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StatusEndpoint.resolve(-1, properties(), Map.of()));
    }

    @Test
    void portZeroMeansTheEndpointIsOffAndTheProbeSaysSoWithoutConnecting() {
        HealthVerdict verdict = HealthProbe.check(null, properties(), Map.of("PILOTFISH_STATUS_PORT", "0"),
                Duration.ofSeconds(2));
        assertEquals("unhealthy: the agent's status endpoint is off (pilotfish.status.port=0 from environment "
                + "PILOTFISH_STATUS_PORT)", verdict.line());
        assertEquals(1, verdict.exitCode());
    }

    @Test
    void anInvalidPortIsAnUnhealthyVerdictThatNamesTheSetting() {
        HealthVerdict verdict = HealthProbe.check(null, properties("pilotfish.status.port", "abc"), Map.of(),
                Duration.ofSeconds(2));
        assertEquals("unhealthy: pilotfish.status.port=\"abc\" (from system property): expected a whole number from "
                + "0 to 65535", verdict.line());
        assertEquals(1, verdict.exitCode());
    }
}
