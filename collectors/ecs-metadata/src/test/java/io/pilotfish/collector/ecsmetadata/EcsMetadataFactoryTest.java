package io.pilotfish.collector.ecsmetadata;

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

class EcsMetadataFactoryTest {

    private final EcsMetadataFactory factory = new EcsMetadataFactory();

    @Test
    void isFoundThroughServiceLoader() {
        List<String> types = ServiceLoader.load(CollectorFactory.class).stream()
                .map(provider -> provider.get().type()).toList();
        assertTrue(types.contains("ecs-metadata"), types.toString());
    }

    @Test
    void byDefaultEventsOnlyAndNoMetrics() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle", Map.of());
        EcsMetadataConfig defaults = factory.configure(config);
        assertEquals(new EcsMetadataConfig(true, false, false), defaults);
        assertEquals(EcsMetadataConfig.DEFAULT, defaults);
        assertEquals(List.of(), config.problems());
    }

    @Test
    void readsItsKeys() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle",
                Map.of("events", "false", "metrics", "True", "include-internal", "TRUE"));
        assertEquals(new EcsMetadataConfig(false, true, true), factory.configure(config));
        assertEquals(List.of(), config.problems());
    }

    @Test
    void reportsEveryBadValueAndUnknownKey() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle",
                Map.of("events", "yes", "metrics", "on", "include-internal", "1", "evnets", "true"));
        assertEquals(EcsMetadataConfig.DEFAULT, factory.configure(config));
        List<String> keys = config.problems().stream().map(ConfigProblem::key).sorted().toList();
        assertEquals(List.of("pilotfish.plugins.lifecycle.events", "pilotfish.plugins.lifecycle.evnets",
                "pilotfish.plugins.lifecycle.include-internal", "pilotfish.plugins.lifecycle.metrics"), keys);
    }

    /** Events off used to leave the metrics on; now it would leave nothing, which must not pass unnoticed. */
    @Test
    void eventsAndMetricsBothOffIsAProblem() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle", Map.of("events", "false"));
        factory.configure(config);
        assertEquals(1, config.problems().size(), config.problems().toString());
        ConfigProblem problem = config.problems().get(0);
        assertEquals("pilotfish.plugins.lifecycle.events", problem.key());
        assertTrue(problem.expected().contains("metrics=true"), problem.expected());
        assertTrue(problem.expected().contains("enabled=false"), problem.expected());
    }

    @Test
    void createsAScraper() {
        try (TestPluginContext context = TestPluginContext.create()) {
            assertInstanceOf(Scraper.class, factory.create(EcsMetadataConfig.DEFAULT, context));
        }
    }
}
