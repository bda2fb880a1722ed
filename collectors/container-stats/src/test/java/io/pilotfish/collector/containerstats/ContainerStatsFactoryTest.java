package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.Scraper;
import io.pilotfish.testkit.TestPluginContext;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ContainerStatsFactoryTest {

    private final ContainerStatsFactory factory = new ContainerStatsFactory();

    @Test
    void defaults() {
        MapPluginConfig config = MapPluginConfig.of("container-stats", Map.of());
        assertEquals(new ContainerStatsConfig(true, true, false), factory.configure(config));
        assertTrue(config.problems().isEmpty(), config.problems().toString());
        assertEquals(ContainerStatsConfig.DEFAULT, factory.configure(MapPluginConfig.of("x", Map.of())));
    }

    @Test
    void everyKeyIsRead() {
        MapPluginConfig config = MapPluginConfig.of("container-stats", Map.of("fargate-metrics", "false",
                "container-metrics", "TRUE", "include-internal", "true"));
        assertEquals(new ContainerStatsConfig(false, true, true), factory.configure(config));
        assertTrue(config.problems().isEmpty(), config.problems().toString());
    }

    @Test
    void aBadValueIsAProblemNamingTheKey() {
        MapPluginConfig config = MapPluginConfig.of("container-stats", Map.of("include-internal", "yes"));
        factory.configure(config);
        List<ConfigProblem> problems = config.problems();
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).toString().contains("include-internal"), problems.get(0).toString());
    }

    @Test
    void switchingBothSetsOffIsAProblem() {
        MapPluginConfig config = MapPluginConfig.of("container-stats", Map.of("fargate-metrics", "false",
                "container-metrics", "false"));
        factory.configure(config);
        assertEquals(1, config.problems().size());
        assertTrue(config.problems().get(0).toString().contains("enabled"), config.problems().get(0).toString());
    }

    @Test
    void anUnknownKeyIsReported() {
        MapPluginConfig config = MapPluginConfig.of("container-stats", Map.of("fargate-metric", "false"));
        factory.configure(config);
        assertEquals(1, config.problems().size());
        assertTrue(config.problems().get(0).toString().contains("fargate-metric"));
    }

    @Test
    void theFactoryIsRegisteredAndMakesAScraper() {
        CollectorFactory<?> found = ServiceLoader.load(CollectorFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(f -> f.type().equals("container-stats"))
                .findFirst().orElseThrow();
        assertInstanceOf(ContainerStatsFactory.class, found);
        try (TestPluginContext context = TestPluginContext.create()) {
            assertInstanceOf(Scraper.class, factory.create(ContainerStatsConfig.DEFAULT, context));
        }
    }
}
