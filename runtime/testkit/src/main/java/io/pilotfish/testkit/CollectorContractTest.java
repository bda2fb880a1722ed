package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The contract every collector keeps, as tests a plugin module inherits: extend it in {@code src/test}, give the
 * factory and a valid config, and the tests below run against your plugin.
 *
 * <pre>{@code
 * class ContainerStatsContractTest extends CollectorContractTest<ContainerStatsConfig> {
 *     protected CollectorFactory<ContainerStatsConfig> factory() { return new ContainerStatsFactory(); }
 *     protected Map<String, String> validConfig() { return Map.of("include-internal", "true"); }
 * }
 * }</pre>
 *
 * Lifecycle tests create the collector from {@link #validConfig()} and run it through scrape, scrape, flush, close,
 * close (a {@link Scraper}) or start, stop, close, close (a {@link Receiver}) with task metadata that is missing,
 * unreachable, failing, broken, and healthy: every call returns a stage, every stage completes normally (the
 * collector logs and counts failures instead of failing the stage), close is safe twice, and whatever is emitted is
 * well-formed. A receiver's valid config should listen on port 0 so tests never collide. Each lifecycle test sets the
 * metadata of the context {@link #contextBuilder()} gives.
 *
 * @param <C> the plugin's typed config
 */
public abstract class CollectorContractTest<C> extends PluginContractTest<CollectorFactory<C>, C> {

    protected CollectorContractTest() {
        super(CollectorFactory.class, Map.of("interval", "10s"));
    }

    /**
     * Metric names the collector emits within two scrapes against a healthy endpoint (the simulator's demo Fargate
     * task, 10 s apart). Empty (the default) checks only that the run is clean.
     */
    protected Set<String> metricsWithHealthyMetadata() {
        return Set.of();
    }

    // ---------------------------------------------------------------- the collector's lifecycle

    @Test
    public void runsWithNoMetadataEndpointConfigured() {
        try (TestPluginContext context = contextBuilder().metadataEnvironment(Map.of()).build()) {
            runLifecycle(context, "with no metadata endpoint configured");
        }
    }

    @Test
    public void runsWithAnUnreachableMetadataEndpoint() {
        int port = FactoryChecks.closedPort();
        try (TestPluginContext context = contextBuilder().metadataEnvironment(Map.of(EcsMetadataClient.ENV_V4,
                "http://127.0.0.1:" + port + "/v4/contract-test")).build()) {
            runLifecycle(context, "with the metadata endpoint unreachable (closed port " + port + ")");
        }
    }

    @Test
    public void runsWithTheMetadataEndpointDown() {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(TestPluginContext.DEFAULT_START).start();
             TestPluginContext context = contextBuilder().against(ecs).build()) {
            ecs.down();
            runLifecycle(context, "with the metadata endpoint answering 503");
        }
    }

    @Test
    public void runsWithTheMetadataEndpointAnsweringGarbage() {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(TestPluginContext.DEFAULT_START).start();
             TestPluginContext context = contextBuilder().against(ecs).build()) {
            ecs.malformedNext(1_000, "", Malformation.NOT_JSON);
            runLifecycle(context, "with the metadata endpoint answering HTML instead of JSON");
        }
    }

    @Test
    public void runsWithAMetadataSourceThatThrows() {
        TestMetadataSource.Answer broken = TestMetadataSource.Answer.thrown(
                new MetadataException("contract test: this metadata source throws from every call"));
        try (TestPluginContext context = contextBuilder().build()) {
            context.fakeMetadata().unscripted(broken);
            runLifecycle(context, "with a metadata source that throws instead of returning stages");
        }
    }

    @Test
    public void runsWithHealthyMetadata() {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(TestPluginContext.DEFAULT_START).start();
             TestPluginContext context = contextBuilder().against(ecs).build()) {
            CollectingEmitter emitted = runLifecycle(context, "with a healthy metadata endpoint");
            Set<String> missing = new TreeSet<>(metricsWithHealthyMetadata());
            missing.removeAll(emitted.metricNames());
            assertTrue(missing.isEmpty(), "with a healthy metadata endpoint, expected metrics " + missing
                    + " were not emitted; emitted: " + emitted.metricNames() + "; log:\n" + context.log().dump());
        }
    }

    @Test
    public void closeRightAfterCreateIsSafeTwice() {
        try (TestPluginContext context = contextBuilder().metadataEnvironment(Map.of()).build()) {
            Collector collector = create(context, "right after create");
            close(collector, "the first close right after create");
            close(collector, "a second close right after create");
        }
    }

    /** Create, run, close twice; every stage completes normally. Returns what was emitted. */
    private CollectingEmitter runLifecycle(TestPluginContext context, String situation) {
        CollectingEmitter emitter = new CollectingEmitter();
        Collector collector = create(context, situation);
        try {
            switch (collector) {
                case Scraper scraper -> {
                    FactoryChecks.completesNormally(() -> scraper.scrape(emitter), "scrape " + situation);
                    context.advance(Duration.ofSeconds(10));
                    FactoryChecks.completesNormally(() -> scraper.scrape(emitter), "a second scrape " + situation);
                    FactoryChecks.completesNormally(() -> scraper.flush(emitter), "flush " + situation);
                }
                case Receiver receiver -> {
                    FactoryChecks.completesNormally(() -> receiver.start(emitter), "start " + situation);
                    FactoryChecks.completesNormally(receiver::stop, "stop " + situation);
                }
            }
        } finally {
            close(collector, "close " + situation);
        }
        close(collector, "a second close " + situation);
        wellFormed(emitter, situation);
        return emitter;
    }

    private Collector create(TestPluginContext context, String situation) {
        C config = configured(validConfig());
        Collector collector;
        try {
            collector = factory().create(config, context);
        } catch (RuntimeException e) {
            return fail("create threw " + situation + "; it must not need the metadata endpoint: " + e, e);
        }
        assertNotNull(collector, "create returned null");
        return collector;
    }

    private static void close(Collector collector, String what) {
        try {
            collector.close();
        } catch (Exception e) {
            fail(what + " threw: " + e, e);
        }
    }

    private static void wellFormed(CollectingEmitter emitted, String situation) {
        long earliest = Instant.parse("2000-01-01T00:00:00Z").getEpochSecond();
        for (Signal signal : emitted.all()) {
            switch (signal) {
                case Metric m -> {
                    assertFalse(m.name().isBlank(), "a metric without a name " + situation + ": " + m);
                    assertTrue(Double.isFinite(m.value()), "a metric value that is not finite " + situation + ": "
                            + m);
                    assertTrue(m.timestamp() > earliest, "a metric timestamp not in epoch seconds " + situation
                            + ": " + m);
                }
                case Event e -> assertFalse(e.title().isBlank(), "an event without a title " + situation + ": " + e);
                case ServiceCheck c -> assertFalse(c.name().isBlank(), "a service check without a name "
                        + situation + ": " + c);
                default -> {
                }
            }
        }
    }
}
