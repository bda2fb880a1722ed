package io.pilotfish.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Every budget must fit the heap the agent has; sinks without one share what is left. */
class MemoryPlanTest {

    private static final long MIB = 1024 * 1024;
    /** What {@code Runtime.maxMemory()} reports under the launcher's -Xmx48m with the serial collector. */
    private static final long LAUNCHER_HEAP = 48_652_800;

    /** A collector that holds a ring and a table, as DogStatsD does: 19 MiB. */
    static final class BufferingCollectorFactory implements CollectorFactory<Long> {
        @Override
        public String type() {
            return "buffering";
        }

        @Override
        public Long configure(PluginConfig config) {
            return config.number("holds", 19 * MIB, 0, Long.MAX_VALUE);
        }

        @Override
        public long memoryBytes(Long config) {
            return config;
        }

        @Override
        public Collector create(Long config, PluginContext context) {
            return (Scraper) emitter -> CompletableFuture.completedFuture(null);
        }
    }

    /** A sink that keeps encoding buffers beside its queue, as datadog-traces does: {@code keeps} bytes. */
    static final class BufferingSinkFactory implements SinkFactory<Long> {
        @Override
        public String type() {
            return "buffering-sink";
        }

        @Override
        public Long configure(PluginConfig config) {
            return config.number("keeps", 0, 0, Long.MAX_VALUE);
        }

        @Override
        public Set<SignalKind> signals(Long config) {
            return Set.of(SignalKind.METRIC);
        }

        @Override
        public long memoryBytes(Long config) {
            return config;
        }

        @Override
        public Sink create(Long config, PluginContext context) {
            return batch -> CompletableFuture.completedFuture(ExportResult.SUCCESS);
        }
    }

    private static LoadedConfig load(long heap, String... keyValues) {
        Map<String, ConfigValue> values = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], new ConfigValue(keyValues[i + 1], "test.properties"));
        }
        return new ConfigLoader(PluginCatalog.of(List.of(new BufferingCollectorFactory()),
                List.of(new ConfigLoaderTest.NullSinkFactory(), new BufferingSinkFactory())), heap).load(values);
    }

    @Test
    void theDefaultSetOfSinksSharesWhatTheLauncherHeapLeaves() {
        LoadedConfig config = load(LAUNCHER_HEAP, "pilotfish.collectors.dogstatsd.type", "buffering",
                "pilotfish.sinks.metrics.type", "null", "pilotfish.sinks.sketches.type", "null",
                "pilotfish.sinks.events.type", "null", "pilotfish.sinks.console.type", "null");
        assertTrue(config.valid(), config.describeProblems());
        long share = config.sinks().get(0).options().queueMaxBytes();
        for (SinkSpec sink : config.sinks()) {
            assertEquals(share, sink.options().queueMaxBytes(), "an equal share for " + sink.name());
            assertTrue(sink.options().batch().maxBytes() <= share / 2, "a batch fits in the queue");
        }
        long total = MemoryPlan.RESERVED_BYTES + 19 * MIB + 4 * share;
        assertTrue(total <= LAUNCHER_HEAP, "together they fit the heap: " + total);
        assertTrue(share >= MemoryPlan.MIN_SHARED_QUEUE_BYTES);
        assertEquals(String.valueOf(share), config.effective().get("pilotfish.sinks.metrics.queue.max-bytes")
                .value(), "pilotfish config shows the budget in force");
    }

    @Test
    void aQueueBudgetLargerThanTheHeapIsRefusedWithTheNumbers() {
        LoadedConfig config = load(LAUNCHER_HEAP, "pilotfish.collectors.dogstatsd.type", "buffering",
                "pilotfish.sinks.metrics.type", "null", "pilotfish.sinks.metrics.queue.max-bytes", "4294967296",
                "pilotfish.sinks.events.type", "null");
        assertFalse(config.valid());
        String problem = config.describeProblems();
        assertTrue(problem.contains("pilotfish.sinks.metrics.queue.max-bytes=\"4294967296\""), problem);
        assertTrue(problem.contains("the heap is 46.4 MiB"), problem);
        assertTrue(problem.contains("pilotfish.collectors.dogstatsd 19.0 MiB"), problem);
        assertTrue(problem.contains("pilotfish.sinks.metrics.queue.max-bytes 4096.0 MiB"), problem);
        assertTrue(problem.contains("-Xmx"), "names the fix: " + problem);
        assertTrue(problem.contains("48m more with logs"), "gives the launcher's heap with logs: " + problem);
    }

    @Test
    void whatASinkKeepsBesideItsQueueIsReservedBeforeTheSharesAreMade() {
        LoadedConfig without = load(LAUNCHER_HEAP, "pilotfish.sinks.metrics.type", "buffering-sink",
                "pilotfish.sinks.events.type", "null");
        LoadedConfig with = load(LAUNCHER_HEAP, "pilotfish.sinks.metrics.type", "buffering-sink",
                "pilotfish.sinks.metrics.keeps", String.valueOf(4 * MIB), "pilotfish.sinks.events.type", "null");
        assertTrue(with.valid(), with.describeProblems());
        long shareWithout = without.sinks().get(0).options().queueMaxBytes();
        long shareWith = with.sinks().get(0).options().queueMaxBytes();
        assertEquals(2 * MIB, shareWithout - shareWith, "4 MiB kept by one sink: 2 MiB less for each of two queues");

        LoadedConfig tooMuch = load(LAUNCHER_HEAP, "pilotfish.sinks.metrics.type", "buffering-sink",
                "pilotfish.sinks.metrics.keeps", String.valueOf(40 * MIB));
        assertFalse(tooMuch.valid());
        assertTrue(tooMuch.describeProblems().contains("pilotfish.sinks.metrics 40.0 MiB"),
                tooMuch.describeProblems());
    }

    @Test
    void collectorsThatCannotFitWithTheMinimumSinkQueuesAreRefused() {
        LoadedConfig config = load(LAUNCHER_HEAP, "pilotfish.collectors.big.type", "buffering",
                "pilotfish.collectors.big.holds", String.valueOf(40 * MIB), "pilotfish.sinks.metrics.type", "null");
        assertFalse(config.valid());
        assertTrue(config.describeProblems().contains("pilotfish.heap"), config.describeProblems());
    }

    @Test
    void aLargerHeapGivesLargerSharesUpTo32MiB() {
        LoadedConfig small = load(40 * MIB, "pilotfish.sinks.metrics.type", "null");
        LoadedConfig large = load(4096 * MIB, "pilotfish.sinks.metrics.type", "null");
        assertTrue(small.sinks().get(0).options().queueMaxBytes() < large.sinks().get(0).options().queueMaxBytes());
        assertEquals(32 * MIB, large.sinks().get(0).options().queueMaxBytes());
    }

    @Test
    void intervalsHaveLowerBounds() {
        LoadedConfig config = load(4096 * MIB, "pilotfish.telemetry.interval", "1ms",
                "pilotfish.sinks.metrics.type", "null", "pilotfish.sinks.metrics.batch.timeout", "0s",
                "pilotfish.sinks.metrics.retry.initial-backoff", "0ms",
                "pilotfish.sinks.metrics.request-timeout", "1ms");
        String problems = config.describeProblems();
        assertTrue(problems.contains("pilotfish.telemetry.interval=\"1ms\""), problems);
        assertTrue(problems.contains("batch.timeout"), problems);
        assertTrue(problems.contains("retry.initial-backoff"), problems);
        assertTrue(problems.contains("request-timeout"), problems);
    }
}
