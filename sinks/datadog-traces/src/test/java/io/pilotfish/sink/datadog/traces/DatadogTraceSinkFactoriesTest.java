package io.pilotfish.sink.datadog.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Config keys, defaults, kinds, batch limits and discovery of both sinks. */
class DatadogTraceSinkFactoriesTest {

    private final DatadogTracesSinkFactory traces = new DatadogTracesSinkFactory();
    private final DatadogApmStatsSinkFactory stats = new DatadogApmStatsSinkFactory();

    private static MapPluginConfig config(Map<String, String> keys) {
        return MapPluginConfig.of("dd", keys);
    }

    private static ConfigProblem onlyProblem(MapPluginConfig config) {
        List<ConfigProblem> problems = config.problems();
        assertEquals(1, problems.size(), problems.toString());
        return problems.get(0);
    }

    @Test
    void tracesDefaultsAreTheTraceAgentsAndTheIntakesLimit() {
        MapPluginConfig config = config(Map.of());
        DatadogTracesConfig typed = traces.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(DatadogTracesConfig.DEFAULTS, typed);
        assertEquals(10.0, typed.targetTps());
        assertEquals(10.0, typed.errorTps());
        assertEquals(false, typed.rareSamplerEnabled());
        assertEquals(3_200_000, typed.maxPayloadBytes());
        assertEquals(Optional.empty(), typed.url());
        assertEquals(Optional.empty(), typed.hostname());
        assertEquals(Optional.empty(), typed.env());
    }

    @Test
    void everyTracesKeyIsRead() {
        MapPluginConfig config = config(Map.of("url", "https://apm-proxy.internal:8443/dd", "hostname", " host-1 ",
                "env", "prod", "target-tps", "0.5", "error-tps", "20", "rare-sampler-enabled", "TRUE",
                "max-payload-bytes", "1_000_000"));
        DatadogTracesConfig typed = traces.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(new DatadogTracesConfig(Optional.of(URI.create("https://apm-proxy.internal:8443/dd")),
                Optional.of("host-1"), Optional.of("prod"), 0.5, 20, true, 1_000_000), typed);
    }

    @ParameterizedTest
    @CsvSource({"target-tps, -1", "target-tps, ten", "error-tps, Infinity", "error-tps, NaN",
        "max-payload-bytes, 3200001", "max-payload-bytes, 0", "rare-sampler-enabled, yes"})
    void badTracesValuesAreProblemsNamingTheKey(String key, String value) {
        MapPluginConfig config = config(Map.of(key, value));
        DatadogTracesConfig typed = traces.configure(config);

        assertEquals("pilotfish.plugins.dd." + key, onlyProblem(config).key());
        assertEquals(DatadogTracesConfig.DEFAULTS, typed, "the default stands in so validation can go on");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "trace.agent.datadoghq.com", "ftp://intake.example"})
    void aUrlThatIsNotAnHttpUrlIsAProblemNamingThePath(String url) {
        MapPluginConfig tracesConfig = config(Map.of("url", url));
        traces.configure(tracesConfig);
        ConfigProblem problem = onlyProblem(tracesConfig);
        assertEquals("pilotfish.plugins.dd.url", problem.key());
        assertTrue(problem.expected().contains("/api/v0.2/traces"), problem.expected());

        MapPluginConfig statsConfig = config(Map.of("url", url));
        stats.configure(statsConfig);
        assertTrue(onlyProblem(statsConfig).expected().contains("/api/v0.2/stats"));
    }

    @Test
    void statsKeysAndTheirLimits() {
        MapPluginConfig config = config(Map.of("hostname", "h", "env", "e", "max-groups-per-payload", "1000"));
        assertEquals(new DatadogApmStatsConfig(Optional.empty(), Optional.of("h"), Optional.of("e"), 1000),
                stats.configure(config));
        assertEquals(List.of(), config.problems());
        assertEquals(4000, stats.configure(config(Map.of())).maxGroupsPerPayload());

        MapPluginConfig tooMany = config(Map.of("max-groups-per-payload", "4001"));
        stats.configure(tooMany);
        assertEquals("pilotfish.plugins.dd.max-groups-per-payload", onlyProblem(tooMany).key());
    }

    @Test
    void unknownKeysAreReported() {
        MapPluginConfig config = config(Map.of("compression", "zstd"));
        traces.configure(config);
        assertEquals("pilotfish.plugins.dd.compression", onlyProblem(config).key(), "always gzip, as the Agent");
    }

    @Test
    void kindsLimitsAndDiscovery() {
        assertEquals("datadog-traces", traces.type());
        assertEquals("datadog-apm-stats", stats.type());
        assertEquals(Set.of(SignalKind.TRACE), traces.signals(DatadogTracesConfig.DEFAULTS));
        assertEquals(Set.of(SignalKind.APM_STATS), stats.signals(DatadogApmStatsConfig.DEFAULTS));
        assertEquals(new BatchLimits(10_000, 3_200_000), traces.batchLimits(DatadogTracesConfig.DEFAULTS));
        assertEquals(new BatchLimits(10_000, 16 * 1024), traces.batchLimits(new DatadogTracesConfig(Optional.empty(),
                Optional.empty(), Optional.empty(), 10, 10, false, 1000)), "never below 16 KiB");
        assertEquals(new BatchLimits(1000, 2L * 1024 * 1024), stats.batchLimits(DatadogApmStatsConfig.DEFAULTS));

        Set<Class<?>> found = new java.util.HashSet<>();
        java.util.ServiceLoader.load(SinkFactory.class).stream().forEach(p -> found.add(p.type()));
        assertTrue(found.containsAll(Set.of(DatadogTracesSinkFactory.class, DatadogApmStatsSinkFactory.class)),
                "listed in META-INF/services: " + found);

    }

    @Test
    void theConfigRecordsRefuseValuesOutsideTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> new DatadogTracesConfig(Optional.empty(),
                Optional.empty(), Optional.empty(), -1, 10, false, 1000));
        assertThrows(IllegalArgumentException.class, () -> new DatadogTracesConfig(Optional.empty(),
                Optional.empty(), Optional.empty(), 10, Double.NaN, false, 1000));
        assertThrows(IllegalArgumentException.class, () -> new DatadogTracesConfig(Optional.empty(),
                Optional.empty(), Optional.empty(), 10, 10, false, 3_200_001));
        assertThrows(IllegalArgumentException.class, () -> new DatadogApmStatsConfig(Optional.empty(),
                Optional.empty(), Optional.empty(), 0));
    }
}
