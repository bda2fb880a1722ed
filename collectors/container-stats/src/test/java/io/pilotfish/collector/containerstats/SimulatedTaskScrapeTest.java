package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import io.pilotfish.testkit.TestPluginContext;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Whole scrapes through core's metadata client against the simulated endpoint, replaying recorded tasks. */
class SimulatedTaskScrapeTest {

    private EcsMetadataSimulator ecs;
    private TestPluginContext context;

    @AfterEach
    void close() {
        if (context != null) {
            context.close();
        }
        if (ecs != null) {
            ecs.close();
        }
    }

    private Scraper against(EcsMetadataSimulator.Builder simulator) {
        ecs = simulator.manualClock(TestPluginContext.DEFAULT_START).start();
        context = TestPluginContext.against(ecs);
        return (Scraper) new ContainerStatsFactory().create(ContainerStatsConfig.DEFAULT, context);
    }

    private static CollectingEmitter scrape(Scraper scraper) {
        CollectingEmitter emitted = new CollectingEmitter();
        scraper.scrape(emitted).toCompletableFuture().join();
        return emitted;
    }

    @Test
    void theRecordedFargateTaskShipsRuntimeTaggedContainerPointsWithTheirOrigins() {
        Scraper scraper = against(EcsMetadataSimulator.recorded(TestData.ecsCorpus().resolve("fargate/task.json"),
                TestData.ecsCorpus().resolve("fargate/task-stats.json")));

        scrape(scraper);
        context.advance(Duration.ofSeconds(10));
        CollectingEmitter emitted = scrape(scraper);

        assertTrue(emitted.hasMetric("container.net.rcvd", "container_name:dd-agent", "interface:eth1"));
        assertTrue(emitted.hasMetric("container.memory.page_faults", "container_name:dd-agent"));
        for (Metric metric : emitted.metrics()) {
            if (metric.name().startsWith("container.")) {
                assertTrue(metric.tags().contains("runtime:ecsfargate"), metric.toString());
                assertEquals(CheckOrigins.CONTAINER, metric.origin(), metric.name());
            } else {
                assertFalse(metric.tags().contains("runtime:ecsfargate"), metric.toString());
                assertEquals(CheckOrigins.ECS_FARGATE, metric.origin(), metric.name());
            }
        }
    }

    @Test
    void aRestartShowsOnTheNextScrapeFromTheTasksRestartCount() {
        Scraper scraper = against(EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()));
        assertFalse(scrape(scraper).hasMetric("container.restarts"), "no restart yet, nothing sent");

        context.advance(Duration.ofSeconds(10));
        ecs.restartContainer("app");
        CollectingEmitter emitted = scrape(scraper);

        Metric restarts = emitted.metric("container.restarts", "container_name:app");
        assertEquals(1, restarts.value());
        assertTrue(restarts.tags().contains("runtime:ecsfargate"));
        assertEquals(1, emitted.metrics("container.restarts").size(), "only the container that restarted");
    }
}
