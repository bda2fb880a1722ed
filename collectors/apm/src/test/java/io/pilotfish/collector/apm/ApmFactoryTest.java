package io.pilotfish.collector.apm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The collector's settings as a task definition gives them: defaults, the Agent's variables, and clear refusals. */
class ApmFactoryTest {

    private static String problems(MapPluginConfig config) {
        return config.problems().stream().map(Object::toString).collect(Collectors.joining("\n"));
    }

    @Test
    void theDefaultsAreTheAgents() {
        MapPluginConfig keys = MapPluginConfig.of("apm", Map.of());
        ApmConfig config = new ApmFactory(Map.of()).configure(keys);
        assertEquals("", problems(keys));
        assertEquals("127.0.0.1", config.host());
        assertEquals(8126, config.port());
        assertEquals(Optional.of(Path.of("/var/run/datadog/apm.socket")), config.socket());
        assertEquals(26_214_400, config.maxPayloadBytes());
        assertEquals(Duration.ofSeconds(5), config.receiverTimeout());
        assertEquals(Duration.ofSeconds(1), config.decoderTimeout());
        assertTrue(config.filters().isEmpty());
        assertTrue(config.intake().telemetryEnabled());
    }

    @Test
    void theAgentsVariablesAreRead() {
        MapPluginConfig keys = MapPluginConfig.of("apm", Map.of("non-local-traffic", "true",
                "socket", "unix:///tmp/dd/apm.socket", "receiver-timeout-seconds", "9",
                "decoder-timeout-millis", "250", "socket-ignored", "x"));
        ApmConfig config = new ApmFactory(Map.of("DD_APM_IGNORE_RESOURCES", "GET /health",
                "DD_APM_MAX_TPS", "5", "DD_API_KEY", "not-read-here")).configure(keys);
        assertEquals("0.0.0.0", config.host());
        assertEquals(Optional.of(Path.of("/tmp/dd/apm.socket")), config.socket());
        assertEquals(Duration.ofSeconds(9), config.receiverTimeout());
        assertEquals(Duration.ofMillis(250), config.decoderTimeout());
        assertFalse(config.filters().isEmpty());
        assertEquals(5, config.sampling("prod").targetTps());
        assertFalse(config.apmEnvironment().containsKey("DD_API_KEY"), "only DD_APM_* settings are kept");
        assertTrue(problems(keys).contains("socket-ignored"), "an unknown key is an error: " + problems(keys));
    }

    @Test
    void anEmptySocketTurnsItOff() {
        ApmConfig config = new ApmFactory(Map.of()).configure(MapPluginConfig.of("apm", Map.of("socket", "")));
        assertEquals(Optional.empty(), config.socket());
    }

    @Test
    void badSettingsAreRefusedNamingTheKeyOrVariable() {
        MapPluginConfig keys = MapPluginConfig.of("apm", Map.of("socket", "relative/apm.socket",
                "port", "70000", "profiling-url", "ftp://nowhere", "receiver-timeout", "0s"));
        new ApmFactory(Map.of("DD_APM_REPLACE_TAGS", "[{\"name\":\"x\"}]", "DD_APM_MAX_TPS", "ten",
                "DD_APM_OBFUSCATION_REDIS_ENABLED", "maybe")).configure(keys);
        String all = problems(keys);
        for (String expected : List.of("socket", "port", "profiling-url", "receiver-timeout",
                "DD_APM_REPLACE_TAGS", "DD_APM_MAX_TPS", "DD_APM_OBFUSCATION_REDIS_ENABLED")) {
            assertTrue(all.contains(expected), expected + " is named: " + all);
        }
    }

    @Test
    void theMemoryItDeclaresCoversItsDecodersAndTables() {
        ApmConfig config = new ApmFactory(Map.of()).configure(MapPluginConfig.of("apm", Map.of("decoders", "2")));
        long declared = new ApmFactory(Map.of()).memoryBytes(config);
        assertTrue(declared >= 2 * (config.maxPayloadBytes() + config.maxDecodedBytes()) + config.statsMaxBytes(),
                "declared " + declared);
    }
}
