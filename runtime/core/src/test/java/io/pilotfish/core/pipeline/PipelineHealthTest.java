package io.pilotfish.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.ecs.EcsTaskSnapshot;
import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.core.plugin.PluginState;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What status and health learn from the pipeline: every configured part with its state (a listener that could not
 * bind, a sink that could not be created, a degraded part), the Agent's own liveness signals, and the agent's own
 * figures staying local unless the user ships them.
 */
class PipelineHealthTest {

    /** A receiver whose start binds nothing and fails (as a DogStatsD port already in use), or reports a socket. */
    record ListenerConfig(boolean bindFails, String degraded, String warning) {
    }

    static final class ListenerFactory implements CollectorFactory<ListenerConfig> {
        @Override
        public String type() {
            return "listener";
        }

        @Override
        public ListenerConfig configure(PluginConfig config) {
            return new ListenerConfig(config.bool("bind-fails", false), config.string("degraded", ""),
                    config.string("warning", ""));
        }

        @Override
        public Collector create(ListenerConfig config, PluginContext context) {
            return new Receiver() {
                @Override
                public CompletionStage<Void> start(Emitter emitter) {
                    if (config.bindFails()) {
                        return CompletableFuture.failedFuture(new IllegalStateException(
                                "udp 127.0.0.1:8125 is already in use"));
                    }
                    context.health().listening("udp", "127.0.0.1:8125");
                    if (!config.degraded().isEmpty()) {
                        context.health().degraded(config.degraded());
                    }
                    for (int i = 0; !config.warning().isEmpty() && i < 3; i++) {
                        context.log().warn("bad_input", config.warning()); // logged once, counted three times
                    }
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletionStage<Void> stop() {
                    return CompletableFuture.completedFuture(null);
                }
            };
        }
    }

    record MemoryConfig(boolean broken) {
    }

    static final class MemorySinkFactory implements SinkFactory<MemoryConfig> {
        final List<Signal> received = Collections.synchronizedList(new ArrayList<>());

        @Override
        public String type() {
            return "memory";
        }

        @Override
        public MemoryConfig configure(PluginConfig config) {
            return new MemoryConfig(config.bool("broken", false));
        }

        @Override
        public Set<SignalKind> signals(MemoryConfig config) {
            return Set.of(SignalKind.METRIC, SignalKind.SERVICE_CHECK);
        }

        @Override
        public Sink create(MemoryConfig config, PluginContext context) {
            if (config.broken()) {
                throw new IllegalStateException("cannot open the destination");
            }
            return batch -> {
                received.addAll(batch);
                return CompletableFuture.completedFuture(ExportResult.SUCCESS);
            };
        }
    }

    private static final String TASK_JSON = """
            {"Cluster":"arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
             "TaskARN":"arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
             "Family":"shop","Revision":"7","DesiredStatus":"RUNNING","KnownStatus":"RUNNING",
             "LaunchType":"FARGATE","AvailabilityZone":"eu-west-1a","Containers":[]}""";

    private final ListenerFactory listeners = new ListenerFactory();
    private final MemorySinkFactory memory = new MemorySinkFactory();
    private final PipelineHarness harness = new PipelineHarness(PluginCatalog.of(List.of(listeners), List.of(memory)));
    private final TelemetryRegistry telemetry = harness.telemetry;
    private Pipeline pipeline;

    @AfterEach
    void stop() {
        harness.close();
    }

    private LoadedConfig config(String... keyValues) {
        return harness.config(keyValues);
    }

    private Pipeline start(LoadedConfig config, Optional<TaskSnapshot> task) {
        TaskMetadataSource source = task.map(FixedTaskSource::of).orElseGet(FixedTaskSource::none);
        AgentSettings settings = new AgentSettings("1.2.3", "", TagSet.EMPTY, "datadoghq.com", Optional.empty(),
                Optional::empty);
        pipeline = harness.start(config, source, settings);
        return pipeline;
    }

    private static Optional<TaskSnapshot> fargateTask() {
        return Optional.of(new EcsTaskSnapshot(TaskMetadataParser.parseTask(
                TASK_JSON.getBytes(StandardCharsets.UTF_8), "v4"), Instant.now()));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    private PluginState.View plugin(String name) {
        return pipeline.plugins().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no plugin " + name + " in " + pipeline.plugins()));
    }

    @Test
    void aListenerThatCannotBindIsADeadPartNamedWithItsReason() throws Exception {
        start(config("pilotfish.collectors.dogstatsd.type", "listener",
                "pilotfish.collectors.dogstatsd.bind-fails", "true",
                "pilotfish.sinks.out.type", "memory"), Optional.empty());
        await("the failed start is recorded", () -> plugin("dogstatsd").phase() == PluginState.Phase.FAILED);
        assertEquals(List.of("collector dogstatsd is not running: failed to start: udp 127.0.0.1:8125 is already "
                + "in use"), pipeline.deadParts());
        assertEquals(List.of(), plugin("dogstatsd").listening());
        assertTrue(plugin("out").ok(), "the sink runs");
    }

    @Test
    void aSinkThatCouldNotBeCreatedStaysListedAsFailed() throws Exception {
        start(config("pilotfish.collectors.dogstatsd.type", "listener",
                "pilotfish.sinks.out.type", "memory", "pilotfish.sinks.out.broken", "true"), Optional.empty());
        PluginState.View out = plugin("out");
        assertEquals(PluginState.Phase.FAILED, out.phase());
        assertTrue(pipeline.deadParts().contains("sink out is not running: could not be created: cannot open the "
                + "destination"), pipeline.deadParts().toString());
        assertEquals(List.of(), pipeline.sinkNames(), "nothing runs behind the failed sink");
    }

    @Test
    void aRunningListenerShowsItsSocketAndADegradedPartIsAProblem() throws Exception {
        start(config("pilotfish.collectors.dogstatsd.type", "listener",
                "pilotfish.collectors.dogstatsd.degraded", "unix socket /var/run/datadog/dsd.socket not bound",
                "pilotfish.sinks.out.type", "memory"), Optional.empty());
        await("started", () -> plugin("dogstatsd").phase() == PluginState.Phase.RUNNING);
        PluginState.View dogstatsd = plugin("dogstatsd");
        assertEquals(List.of(new PluginState.Endpoint("udp", "127.0.0.1:8125")), dogstatsd.listening());
        assertEquals(8125, dogstatsd.listening().get(0).port());
        assertEquals(List.of("collector dogstatsd is degraded: unix socket /var/run/datadog/dsd.socket not bound"),
                pipeline.deadParts());
    }

    @Test
    void aReloadThatKeepsEverythingKeepsItHealthyAndARemovedPluginLeavesStatus() throws Exception {
        LoadedConfig two = config("pilotfish.collectors.dogstatsd.type", "listener",
                "pilotfish.collectors.extra.type", "listener", "pilotfish.sinks.out.type", "memory");
        start(two, Optional.empty());
        await("started", () -> pipeline.plugins().stream().allMatch(p -> p.phase() == PluginState.Phase.RUNNING));
        pipeline.apply(two, pipeline.settings());
        assertEquals(List.of(), pipeline.deadParts());
        pipeline.apply(config("pilotfish.collectors.dogstatsd.type", "listener", "pilotfish.sinks.out.type",
                "memory"), pipeline.settings());
        assertEquals(List.of("dogstatsd", "out"), pipeline.plugins().stream().map(PluginState.View::name).toList());
        assertEquals(List.of(), pipeline.deadParts());
    }

    @Test
    void theAgentsLivenessSignalsGoOutAsTheDatadogAgentSendsThem() throws Exception {
        start(config("pilotfish.sinks.out.type", "memory"), fargateTask());
        await("heartbeat", () -> memory.received.size() >= 2);
        Metric running = (Metric) memory.received.stream().filter(s -> s instanceof Metric m
                && m.name().equals("datadog.agent.running")).findFirst().orElseThrow();
        assertEquals(1.0, running.value());
        assertEquals(TagSet.of("version:1.2.3"), running.tags());
        ServiceCheck up = (ServiceCheck) memory.received.stream().filter(s -> s instanceof ServiceCheck c
                && c.name().equals("datadog.agent.up")).findFirst().orElseThrow();
        assertEquals(ServiceCheck.Status.OK, up.status());
        assertTrue(up.tags().contains("task_family:shop") && up.tags().contains("cluster_name:prod"),
                up.tags().toString());
        assertFalse(up.tags().contains("task_arn:arn:aws:ecs:eu-west-1:123456789012:task/prod/"
                + "0123456789abcdef0123456789abcdef"), "low cardinality, as the Agent's global tags");
    }

    @Test
    void theAgentsOwnFiguresStayLocalUnlessShipped() throws Exception {
        start(config("pilotfish.sinks.out.type", "memory", "pilotfish.sinks.out.batch.timeout", "20ms",
                "pilotfish.telemetry.interval", "1s"), fargateTask());
        await("heartbeat", () -> memory.received.size() >= 2);
        pipeline.apply(config("pilotfish.sinks.out.type", "memory", "pilotfish.sinks.out.batch.timeout", "20ms",
                "pilotfish.telemetry.interval", "1s"), pipeline.settings());
        assertTrue(memory.received.stream().noneMatch(s -> s instanceof Metric m && m.name().startsWith("pilotfish.")),
                "nothing of the agent's own is shipped by default");

        pipeline.apply(config("pilotfish.sinks.out.type", "memory", "pilotfish.sinks.out.batch.timeout", "20ms",
                "pilotfish.telemetry.interval", "1s", "pilotfish.telemetry.ship", "true"), pipeline.settings());
        await("shipped telemetry", () -> memory.received.stream().anyMatch(s -> s instanceof Metric m
                && m.name().equals("pilotfish.sink.sent")));
        Metric sent = (Metric) memory.received.stream().filter(s -> s instanceof Metric m
                && m.name().equals("pilotfish.sink.sent")).findFirst().orElseThrow();
        assertTrue(sent.tags().contains("task_arn:arn:aws:ecs:eu-west-1:123456789012:task/prod/"
                + "0123456789abcdef0123456789abcdef"), "each task's figures are a series of their own: " + sent.tags());
    }

    @Test
    void whatARunningPartLogsIsKeptForStatusButIsNoDeadPart() throws Exception {
        start(config("pilotfish.collectors.dogstatsd.type", "listener",
                "pilotfish.collectors.dogstatsd.warning", "bad line \"x:y|q\": unknown metric type q",
                "pilotfish.sinks.out.type", "memory"), Optional.empty());
        await("started", () -> plugin("dogstatsd").phase() == PluginState.Phase.RUNNING);
        PluginState.Warning warning = plugin("dogstatsd").lastWarning().orElseThrow();
        assertEquals("bad line \"x:y|q\": unknown metric type q", warning.message());
        assertEquals(3, warning.count(), "every warning counts, also those the log suppressed");
        assertEquals(List.of(), pipeline.deadParts());
    }
}
