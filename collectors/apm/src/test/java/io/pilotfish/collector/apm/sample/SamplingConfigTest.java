package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SamplingConfigTest {

    @Test
    void theAgentsDefaults() {
        SamplingConfig config = SamplingConfig.fromEnvironment(Map.of(), "none");
        assertEquals("none", config.defaultEnv());
        assertEquals(10, config.targetTps());
        assertEquals(10, config.errorTps());
        assertEquals(1, config.extraSampleRate());
        assertEquals(200, config.maxEps());
        assertFalse(config.rareSamplerEnabled());
        assertEquals(5, config.rareSamplerTps());
        assertEquals(Duration.ofMinutes(5), config.rareSamplerCooldown());
        assertEquals(200, config.rareSamplerCardinality());
        assertEquals(5000, config.maxCatalogEntries());
        assertFalse(config.probabilisticSamplerEnabled());
        assertEquals(Map.of(), config.analyzedSpans());
    }

    @Test
    void theVariables() {
        SamplingConfig config = SamplingConfig.fromEnvironment(Map.of(
                "DD_APM_MAX_TPS", "3", "DD_APM_ERROR_TPS", "0", "DD_MAX_EPS", "50",
                "DD_APM_ENABLE_RARE_SAMPLER", "true", "DD_APM_MAX_CATALOG_SERVICES", "0",
                "DD_APM_PROBABILISTIC_SAMPLER_ENABLED", "1",
                "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE", "12.5",
                "DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED", "4294967295",
                "DD_APM_FEATURES", "table_names probabilistic_sampler_full_trace_id",
                "DD_APM_ANALYZED_SPANS", "Web|HTTP.Request=0.5,db|query=1"), "prod");
        assertEquals(3, config.targetTps());
        assertEquals(0, config.errorTps());
        assertEquals(50, config.maxEps());
        assertTrue(config.rareSamplerEnabled());
        assertEquals(5000, config.maxCatalogEntries(), "0 means the default, as in the Agent");
        assertTrue(config.probabilisticSamplerEnabled());
        assertEquals(12.5f, config.probabilisticSamplingPercent());
        assertEquals(-1, config.probabilisticHashSeed());
        assertTrue(config.probabilisticFullTraceId());
        assertEquals(Map.of("web", Map.of("http.request", 0.5), "db", Map.of("query", 1.0)), config.analyzedSpans());
    }

    @Test
    void newerVariablesWin() {
        assertEquals(7, SamplingConfig.fromEnvironment(Map.of("DD_MAX_TPS", "1", "DD_APM_MAX_TPS", "4",
                "DD_APM_TARGET_TPS", "7"), "none").targetTps());
        assertEquals(4, SamplingConfig.fromEnvironment(Map.of("DD_MAX_TPS", "1", "DD_APM_MAX_TPS", "4"), "none")
                .targetTps());
        assertEquals(9, SamplingConfig.fromEnvironment(Map.of("DD_MAX_EPS", "1", "DD_APM_MAX_EPS", "9"), "none")
                .maxEps());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({"DD_APM_MAX_TPS, ten", "DD_APM_ERROR_TPS, -1", "DD_APM_MAX_EPS, NaN",
            "DD_APM_ENABLE_RARE_SAMPLER, yes", "DD_APM_MAX_CATALOG_SERVICES, 1.5",
            "DD_APM_PROBABILISTIC_SAMPLER_SAMPLING_PERCENTAGE, 101",
            "DD_APM_PROBABILISTIC_SAMPLER_HASH_SEED, 4294967296", "DD_APM_ANALYZED_SPANS, web=1",
            "DD_APM_ANALYZED_SPANS, web|op=fast", "DD_APM_TARGET_TPS, Infinity"})
    void aValueTheAgentWouldMisreadIsRejectedByName(String variable, String value) {
        SamplingConfigException e = assertThrows(SamplingConfigException.class,
                () -> SamplingConfig.fromEnvironment(Map.of(variable, value), "none"));
        assertEquals(variable, e.setting());
        assertTrue(e.getMessage().contains(value), e.getMessage());
    }

    @Test
    void theBuilderValidatesToo() {
        assertThrows(SamplingConfigException.class, () -> SamplingConfig.builder("none").extraSampleRate(2).build());
        assertThrows(SamplingConfigException.class,
                () -> SamplingConfig.builder("none").rareSamplerCooldown(Duration.ZERO).build());
        assertThrows(SamplingConfigException.class, () -> SamplingConfig.builder("none").maxCatalogEntries(0).build());
        assertThrows(SamplingConfigException.class,
                () -> SamplingConfig.builder("none").rareSamplerCardinality(1_000_000).build());
    }
}
