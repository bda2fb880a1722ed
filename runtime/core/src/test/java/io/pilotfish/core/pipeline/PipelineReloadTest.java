package io.pilotfish.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A running pipeline moved to new configuration: what changes, what keeps running, and that nothing is lost. */
class PipelineReloadTest {

    /** Counts up from 1 on its interval; flushes a final marker point when stopped. */
    record CounterConfig(String label) {
    }

    static final class CounterFactory implements CollectorFactory<CounterConfig> {
        final Map<String, Integer> created = new ConcurrentHashMap<>();

        @Override
        public String type() {
            return "counter";
        }

        @Override
        public CounterConfig configure(PluginConfig config) {
            return new CounterConfig(config.string("label", "a"));
        }

        @Override
        public Collector create(CounterConfig config, PluginContext context) {
            created.merge(context.instanceName(), 1, Integer::sum);
            AtomicLong next = new AtomicLong();
            return new Scraper() {
                @Override
                public CompletionStage<Void> scrape(io.pilotfish.spi.Emitter emitter) {
                    emitter.emit(Metric.gauge("counter." + config.label(), next.incrementAndGet(),
                            1_700_000_000L, TagSet.EMPTY));
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletionStage<Void> flush(io.pilotfish.spi.Emitter emitter) {
                    emitter.emit(Metric.gauge("counter." + config.label() + ".final", 1, 1_700_000_000L,
                            TagSet.EMPTY));
                    return CompletableFuture.completedFuture(null);
                }
            };
        }
    }

    record TargetConfig(String destination, boolean broken) {
    }

    /** Sinks write into named in-memory destinations; "broken" ones cannot be created. */
    static final class TargetFactory implements SinkFactory<TargetConfig> {
        final Map<String, List<Signal>> destinations = new ConcurrentHashMap<>();
        final List<String> keysSeen = Collections.synchronizedList(new ArrayList<>());
        volatile boolean failing;

        @Override
        public String type() {
            return "target";
        }

        @Override
        public TargetConfig configure(PluginConfig config) {
            return new TargetConfig(config.string("destination", "one"), config.bool("broken", false));
        }

        @Override
        public Set<SignalKind> signals(TargetConfig config) {
            return Set.of(SignalKind.METRIC);
        }

        @Override
        public Sink create(TargetConfig config, PluginContext context) {
            if (config.broken()) {
                throw new IllegalStateException("cannot open " + config.destination());
            }
            List<Signal> into = destinations.computeIfAbsent(config.destination(),
                    d -> Collections.synchronizedList(new ArrayList<>()));
            return batch -> {
                keysSeen.add(context.agent().apiKey().get().map(Secret::reveal).orElse(""));
                if (failing) {
                    return CompletableFuture.completedFuture(new ExportResult.Retryable("down"));
                }
                into.addAll(batch);
                return CompletableFuture.completedFuture(ExportResult.SUCCESS);
            };
        }
    }

    private final CounterFactory counters = new CounterFactory();
    private final TargetFactory targets = new TargetFactory();
    private final PipelineHarness harness = new PipelineHarness(PluginCatalog.of(List.of(counters), List.of(targets)));
    private final TelemetryRegistry telemetry = harness.telemetry;
    private Pipeline pipeline;

    @AfterEach
    void stop() {
        harness.close();
    }

    private LoadedConfig config(String... keyValues) {
        return harness.config(keyValues);
    }

    private static AgentSettings settings(String tags, String key) {
        return new AgentSettings("test", "", TagSet.of(tags), "datadoghq.com", Optional.empty(),
                () -> Optional.of(new Secret(key)));
    }

    private Pipeline start(LoadedConfig config, AgentSettings settings) {
        TaskMetadataSource noTask = FixedTaskSource.none();
        pipeline = harness.start(config, noTask, settings);
        return pipeline;
    }

    private List<Signal> at(String destination) {
        return targets.destinations.getOrDefault(destination, List.of());
    }

    private static List<String> names(List<Signal> signals) {
        synchronized (signals) {
            return signals.stream().map(s -> ((Metric) s).name()).toList();
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }

    private static final String[] BASE = {
            "pilotfish.collectors.a.type", "counter", "pilotfish.collectors.a.interval", "100ms",
            "pilotfish.sinks.out.type", "target", "pilotfish.sinks.out.batch.timeout", "20ms"};

    private static String[] with(String... more) {
        String[] all = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, all, 0, BASE.length);
        System.arraycopy(more, 0, all, BASE.length, more.length);
        return all;
    }

    @Test
    void anUnchangedConfigurationTouchesNothing() throws Exception {
        start(config(BASE), settings("team:a", "k1"));
        await(() -> !at("one").isEmpty());
        Pipeline.Changes changes = pipeline.apply(config(BASE), settings("team:a", "k1"));
        assertFalse(changes.any(), changes.describe());
        assertEquals(1, counters.created.get("a"), "the running collector was not recreated");
    }

    @Test
    void newSettingsReachRunningPluginsWithoutRestartingThem() throws Exception {
        start(config(BASE), settings("team:a", "old-key"));
        await(() -> targets.keysSeen.contains("old-key"));
        Pipeline.Changes changes = pipeline.apply(config(BASE), settings("team:b", "new-key"));
        assertEquals(List.of("tags", "api key"), changes.settings());
        await(() -> targets.keysSeen.contains("new-key"));
        assertEquals(TagSet.of("team:b"), pipeline.settings().globalTags());
        assertEquals(1, counters.created.get("a"));
        assertTrue(changes.describe().contains("api key") && !changes.describe().contains("new-key"),
                "the change names the key, never its value: " + changes.describe());
    }

    @Test
    void aChangedIntervalRestartsOnlyThatCollectorAndItFlushesFirst() throws Exception {
        start(config(with("pilotfish.collectors.b.type", "counter", "pilotfish.collectors.b.label", "b",
                "pilotfish.collectors.b.interval", "100ms")), settings("", "k"));
        await(() -> names(at("one")).contains("counter.b"));
        Pipeline.Changes changes = pipeline.apply(config(with("pilotfish.collectors.b.type", "counter",
                "pilotfish.collectors.b.label", "b", "pilotfish.collectors.b.interval", "200ms")), settings("", "k"));
        assertEquals(List.of("collector b"), changes.restarted());
        assertEquals(1, counters.created.get("a"));
        assertEquals(2, counters.created.get("b"));
        await(() -> names(at("one")).contains("counter.b.final"));
        assertFalse(names(at("one")).contains("counter.a.final"), "the unchanged collector kept running");
    }

    @Test
    void pluginsAreEnabledAndDisabledByAReload() throws Exception {
        start(config(BASE), settings("", "k"));
        Pipeline.Changes enabled = pipeline.apply(config(with("pilotfish.collectors.b.type", "counter",
                "pilotfish.collectors.b.label", "b", "pilotfish.collectors.b.interval", "100ms")), settings("", "k"));
        assertEquals(List.of("collector b"), enabled.started());
        await(() -> names(at("one")).contains("counter.b"));
        Pipeline.Changes disabled = pipeline.apply(config(with("pilotfish.collectors.b.type", "counter",
                "pilotfish.collectors.b.enabled", "false")), settings("", "k"));
        assertEquals(List.of("collector b"), disabled.stopped());
        await(() -> names(at("one")).contains("counter.b.final"));
        assertEquals(List.of("a"), pipeline.collectorNames());
    }

    @Test
    void aChangedSinkSendsWhatWasQueuedToItsNewDestination() throws Exception {
        targets.failing = true;
        start(config(BASE), settings("", "k"));
        await(() -> telemetry.total("sink.retried") > 0);
        long queued = pipeline.sinkRunners().get(0).queuedItems();
        assertTrue(queued > 0);
        targets.failing = false;
        Pipeline.Changes changes = pipeline.apply(config(with("pilotfish.sinks.out.destination", "two")),
                settings("", "k"));
        assertEquals(List.of("sink out"), changes.restarted());
        await(() -> at("two").size() >= queued);
        assertEquals(0, telemetry.total("sink.dropped"));
        assertEquals(List.of(), at("one"), "nothing went to the old destination");
    }

    @Test
    void aRemovedSinkDrainsAndNewDataGoesToTheOthers() throws Exception {
        start(config(with("pilotfish.sinks.spare.type", "target", "pilotfish.sinks.spare.destination", "spare",
                "pilotfish.sinks.spare.batch.timeout", "200ms")), settings("", "k"));
        await(() -> !at("spare").isEmpty());
        Pipeline.Changes changes = pipeline.apply(config(BASE), settings("", "k"));
        assertEquals(List.of("sink spare"), changes.stopped());
        assertEquals(List.of("out"), pipeline.sinkNames());
        int before = at("one").size();
        await(() -> at("one").size() > before + 2);
        assertEquals(0, telemetry.total("sink.dropped"));
    }

    @Test
    void aPluginThatCannotBeCreatedRefusesTheWholeChange() throws Exception {
        start(config(BASE), settings("team:a", "k"));
        Pipeline.Changes changes = pipeline.apply(config(with("pilotfish.collectors.b.type", "counter",
                "pilotfish.sinks.out.broken", "true")), settings("team:b", "k"));
        assertFalse(changes.applied());
        assertTrue(changes.refused().get(0).contains("sink out (target) could not be created"),
                changes.refused().toString());
        assertEquals(List.of("a"), pipeline.collectorNames(), "the new collector was not started");
        assertEquals(TagSet.of("team:a"), pipeline.settings().globalTags(), "the settings were not changed");
        int before = at("one").size();
        await(() -> at("one").size() > before);
    }
}
