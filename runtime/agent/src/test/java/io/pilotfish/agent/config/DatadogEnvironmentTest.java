package io.pilotfish.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DatadogEnvironmentTest {

    @Test
    void datadogAgentVariablesMapOntoOurKeys() {
        Map<String, String> keys = DatadogEnvironment.translate(Map.of(
                "DD_API_KEY", " key-from-secret ",
                "DD_SITE", "datadoghq.eu",
                "DD_DD_URL", "https://proxy.internal:8443",
                "DD_URL", "https://ignored.example",
                "DD_TAGS", "team:a tier:1",
                "DD_ENV", "prod",
                "DD_LOGS_ENABLED", "true",
                "HOME", "/root"));
        assertEquals("key-from-secret", keys.get("pilotfish.datadog.api-key"));
        assertEquals("datadoghq.eu", keys.get("pilotfish.datadog.site"));
        assertEquals("https://proxy.internal:8443", keys.get("pilotfish.datadog.url"), "DD_DD_URL wins over DD_URL");
        assertEquals("team:a tier:1", keys.get("pilotfish.tags"));
        assertEquals("prod", keys.get("pilotfish.env"));
        assertEquals(5, keys.size(), "variables we do not honour yet are not invented into keys: " + keys);
    }
}
