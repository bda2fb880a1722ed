package io.pilotfish.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** A real pipeline over test plugins: configuration from key-value pairs, start, and shutdown after each test. */
final class PipelineHarness implements AutoCloseable {

    final TelemetryRegistry telemetry = new TelemetryRegistry();
    private final ConfigLoader loader;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private Pipeline pipeline;

    PipelineHarness(PluginCatalog catalog) {
        this.loader = new ConfigLoader(catalog);
    }

    /** Valid configuration from {@code key, value, key, value...}; fails the test otherwise. */
    LoadedConfig config(String... keyValues) {
        Map<String, ConfigValue> values = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], new ConfigValue(keyValues[i + 1], "test"));
        }
        LoadedConfig loaded = loader.load(values, Map.of());
        assertTrue(loaded.valid(), loaded::describeProblems);
        return loaded;
    }

    Pipeline start(LoadedConfig config, TaskMetadataSource metadata, AgentSettings settings) {
        pipeline = new Pipeline(config, new PipelineServices(Clock.systemUTC(), scheduler, scheduler, metadata,
                settings, HttpClient.newHttpClient(), telemetry));
        pipeline.start();
        return pipeline;
    }

    @Override
    public void close() {
        if (pipeline != null) {
            pipeline.shutdown(Duration.ofSeconds(3));
        }
        scheduler.shutdownNow();
    }
}
