package io.pilotfish.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
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

    @Test
    void theDogStatsdVariablesSetTheDogStatsdCollector() {
        Map<String, String> keys = DatadogEnvironment.translate(Map.of(
                "DD_DOGSTATSD_PORT", "18125",
                "DD_DOGSTATSD_SOCKET", "/var/run/datadog/dsd.socket",
                "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "true",
                "DD_DOGSTATSD_TAG_CARDINALITY", "orchestrator",
                "DD_DOGSTATSD_ORIGIN_DETECTION_CLIENT", "false",
                "DD_DOGSTATSD_ORIGIN_DETECTION", "true",
                "DD_HISTOGRAM_PERCENTILES", "0.95 0.99"));
        assertEquals("18125", keys.get("pilotfish.collectors.dogstatsd.port"));
        assertEquals("/var/run/datadog/dsd.socket", keys.get("pilotfish.collectors.dogstatsd.socket"));
        assertEquals("true", keys.get("pilotfish.collectors.dogstatsd.non-local-traffic"));
        assertEquals("orchestrator", keys.get("pilotfish.collectors.dogstatsd.tag-cardinality"));
        assertEquals("false", keys.get("pilotfish.collectors.dogstatsd.origin-detection"),
                "the client-side switch, which the Agent documents for ECS, wins");
        assertEquals("0.95 0.99", keys.get("pilotfish.collectors.dogstatsd.histogram-percentiles"));
        assertEquals(List.of(), DatadogEnvironment.ignored(Map.of("DD_DOGSTATSD_PORT", "8125")),
                "DogStatsD variables are honoured, so none is reported as ignored");
    }

    @Test
    void theApmVariablesSetTheApmCollectorAndItsSinks() {
        Map<String, String> keys = DatadogEnvironment.translate(Map.of(
                "DD_APM_ENABLED", "false",
                "DD_APM_RECEIVER_PORT", "18126",
                "DD_APM_RECEIVER_SOCKET", "/var/run/datadog/apm.socket",
                "DD_APM_NON_LOCAL_TRAFFIC", "true",
                "DD_APM_DD_URL", "https://trace.proxy.internal"));
        assertEquals("false", keys.get("pilotfish.collectors.apm.enabled"));
        assertEquals("false", keys.get("pilotfish.sinks.datadog-traces.enabled"), "APM off turns its sinks off");
        assertEquals("false", keys.get("pilotfish.sinks.datadog-apm-stats.enabled"));
        assertEquals("18126", keys.get("pilotfish.collectors.apm.port"));
        assertEquals("/var/run/datadog/apm.socket", keys.get("pilotfish.collectors.apm.socket"));
        assertEquals("true", keys.get("pilotfish.collectors.apm.non-local-traffic"));
        assertEquals("https://trace.proxy.internal", keys.get("pilotfish.sinks.datadog-traces.url"));
        assertEquals("https://trace.proxy.internal", keys.get("pilotfish.sinks.datadog-apm-stats.url"));
        assertEquals(List.of(), DatadogEnvironment.ignored(Map.of("DD_APM_ENABLED", "true")),
                "APM variables are honoured, so none is reported as ignored");
    }
}
