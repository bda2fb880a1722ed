package io.pilotfish.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.agent.config.ConfigKeys;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.platform.PluginRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The application as built: which plugins the extension found, and the packaged default configuration. */
@QuarkusTest
class PluginWiringTest {

    @Inject
    PluginRegistry registry;

    @Test
    void everyPluginOfThisBuildIsDiscovered() {
        assertEquals(List.of("apm", "container-stats", "dogstatsd", "ecs-metadata", "file-tail", "fluent-forward"),
                registry.collectorTypes());
        assertTrue(registry.sinkTypes().containsAll(List.of("console", "datadog-metrics", "datadog-logs")),
                registry.sinkTypes().toString());
    }

    @Test
    void packagedDefaultsAreValidAndGiveTheDatadogSidecarSet() {
        LoadedConfig config = AgentRuntime.load(ConfigKeys.read(Map.of(), "test"),
                PluginCatalog.of(registry.collectors(), registry.sinks()));
        assertTrue(config.valid(), config.describeProblems());
        assertEquals(List.of("apm", "container-stats", "dogstatsd", "ecs-metadata"),
                config.collectors().stream().map(c -> c.name()).toList());
        assertTrue(config.sinks().stream().anyMatch(s -> s.name().equals("datadog-metrics")));
        assertTrue(config.sinks().stream().anyMatch(s -> s.name().equals("datadog-traces")), "APM is on by default");
        assertTrue(config.sinks().stream().anyMatch(s -> s.name().equals("datadog-apm-stats")));
        assertTrue(config.sinks().stream().noneMatch(s -> s.name().equals("console")), "console is off by default");
        assertTrue(config.sinks().stream().noneMatch(s -> s.name().equals("datadog-logs")),
                "logs are off by default, as in the Agent (no FireLens configuration, no DD_LOGS_ENABLED)");
        assertEquals("datadoghq.com", config.agent().site());
    }

    @Test
    void configErrorsNameTheSource() {
        AgentRuntime.InvalidConfigException error = org.junit.jupiter.api.Assertions.assertThrows(
                AgentRuntime.InvalidConfigException.class, () -> AgentRuntime.load(ConfigKeys.read(
                        Map.of("pilotfish.collectors.container-stats.interval", "fortnight"), "test override"),
                        PluginCatalog.of(registry.collectors(), registry.sinks())));
        assertTrue(error.getMessage().contains(
                "pilotfish.collectors.container-stats.interval=\"fortnight\" (from test override)"), error.getMessage());
    }
}
