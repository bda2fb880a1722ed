package io.pilotfish.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
                "DD_CHECKS_TAG_CARDINALITY", "low",
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

    @Test
    void theLogsVariablesSetTheForwardReceiverAndTheLogsSink() {
        Map<String, String> keys = DatadogEnvironment.translate(Map.of(
                "DD_LOGS_ENABLED", "true",
                "DD_LOGS_CONFIG_LOGS_DD_URL", "logs-relay.internal:10516",
                "DD_LOGS_CONFIG_LOGS_NO_SSL", "true",
                DatadogEnvironment.FIRELENS_CONFIG_VARIABLE, "/nonexistent/fluent-bit.conf"));
        assertEquals("true", keys.get("pilotfish.collectors.fluent-forward.enabled"));
        assertEquals("true", keys.get("pilotfish.sinks.datadog-logs.enabled"));
        assertEquals("http://logs-relay.internal:10516", keys.get("pilotfish.sinks.datadog-logs.url"),
                "host:port as the Agent reads it, without TLS as NO_SSL asks");
        assertEquals("https://logs-relay.internal", DatadogEnvironment.translate(Map.of(
                "DD_LOGS_CONFIG_LOGS_DD_URL", "logs-relay.internal:443")).get("pilotfish.sinks.datadog-logs.url"));
        assertEquals(List.of(), DatadogEnvironment.ignored(Map.of("DD_LOGS_ENABLED", "true")));
        assertEquals("true", DatadogEnvironment.translate(Map.of("DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL", "true"))
                .get("pilotfish.collectors.fluent-forward.container-collect-all"));
        assertEquals(List.of(), DatadogEnvironment.ignored(Map.of("DD_LOGS_CONFIG_CONTAINER_COLLECT_ALL", "true")));
    }

    @Test
    void theAgentsLogsSenderSettingsReachTheLogsSink() {
        Map<String, String> keys = DatadogEnvironment.translate(Map.of("DD_LOGS_CONFIG_COMPRESSION_KIND", "gzip",
                "DD_LOGS_CONFIG_COMPRESSION_LEVEL", "1", "DD_LOGS_CONFIG_BATCH_MAX_CONCURRENT_SEND", "4"));
        assertEquals("gzip", keys.get("pilotfish.sinks.datadog-logs.compression"));
        assertEquals("1", keys.get("pilotfish.sinks.datadog-logs.gzip-level"));
        assertEquals("4", keys.get("pilotfish.sinks.datadog-logs.max-concurrent-sends"));
        assertEquals("none", DatadogEnvironment.translate(Map.of("DD_LOGS_CONFIG_COMPRESSION_KIND", "gzip",
                "DD_LOGS_CONFIG_USE_COMPRESSION", "false")).get("pilotfish.sinks.datadog-logs.compression"),
                "no compression at all wins over the kind, as in the Agent");
        assertNull(DatadogEnvironment.translate(Map.of("DD_LOGS_CONFIG_USE_COMPRESSION", "true"))
                .get("pilotfish.sinks.datadog-logs.compression"), "the sink's default (zstd) stands");
    }

    @Test
    void theAgentsGlobalProcessingRulesAndAutoMultiLineReachTheAgentWideLogKeys() {
        String rules = "[{\"type\":\"exclude_at_match\",\"name\":\"no_health\",\"pattern\":\"GET /health\"}]";
        Map<String, String> env = Map.of("DD_LOGS_CONFIG_PROCESSING_RULES", rules,
                "DD_LOGS_CONFIG_AUTO_MULTI_LINE_DETECTION", "true");
        Map<String, String> keys = DatadogEnvironment.translate(env);
        assertEquals(rules, keys.get("pilotfish.logs.processing-rules"));
        assertEquals("true", keys.get("pilotfish.logs.auto-multi-line-detection"));
        assertEquals(List.of(), DatadogEnvironment.ignored(env), "both are honoured, none reported as ignored");
    }

    @Test
    void aFireLensConfigurationTurnsLogsOnUnlessDdLogsEnabledSaysOtherwise(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("fluent-bit.conf"), "[OUTPUT]\n    Name datadog\n    Match *\n");
        String variable = DatadogEnvironment.FIRELENS_CONFIG_VARIABLE;

        Map<String, String> router = DatadogEnvironment.translate(Map.of(variable, conf.toString()));
        assertEquals("true", router.get("pilotfish.collectors.fluent-forward.enabled"));
        assertEquals("true", router.get("pilotfish.sinks.datadog-logs.enabled"));

        Map<String, String> off = DatadogEnvironment.translate(Map.of(variable, conf.toString(),
                "DD_LOGS_ENABLED", "false"));
        assertEquals("false", off.get("pilotfish.collectors.fluent-forward.enabled"));
        assertEquals("false", off.get("pilotfish.sinks.datadog-logs.enabled"));

        Map<String, String> notRouter = DatadogEnvironment.translate(Map.of(variable,
                dir.resolve("absent.conf").toString()));
        assertEquals(null, notRouter.get("pilotfish.collectors.fluent-forward.enabled"),
                "no FireLens configuration, no DD_LOGS_ENABLED: the packaged default (off) holds");
    }
}
