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
    void defaults() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle", Map.of());
        assertEquals(new EcsMetadataConfig(true, false), factory.configure(config));
        assertEquals(List.of(), config.problems());
    }

    @Test
    void readsItsKeys() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle", Map.of("events", "false", "include-internal", "TRUE"));
        assertEquals(new EcsMetadataConfig(false, true), factory.configure(config));
        assertEquals(List.of(), config.problems());
    }

    @Test
    void reportsEveryBadValueAndUnknownKey() {
        MapPluginConfig config = MapPluginConfig.of("lifecycle",
                Map.of("events", "yes", "include-internal", "1", "evnets", "true"));
        assertEquals(EcsMetadataConfig.DEFAULT, factory.configure(config));
        List<String> keys = config.problems().stream().map(ConfigProblem::key).sorted().toList();
        assertEquals(List.of("pilotfish.plugins.lifecycle.events", "pilotfish.plugins.lifecycle.evnets",
                "pilotfish.plugins.lifecycle.include-internal"), keys);
    }

    @Test
    void createsAScraper() {
        try (TestPluginContext context = TestPluginContext.create()) {
            assertInstanceOf(Scraper.class, factory.create(EcsMetadataConfig.DEFAULT, context));
        }
    }
}
