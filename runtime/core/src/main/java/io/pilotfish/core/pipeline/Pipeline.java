package io.pilotfish.core.pipeline;

import io.pilotfish.core.config.CollectorSpec;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.config.SinkSpec;
import io.pilotfish.core.plugin.DefaultPluginContext;
import io.pilotfish.core.plugin.RateLimitedLog;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Collectors, sinks and the routes between them: each signal goes to every sink that takes its kind. Built from a
 * validated {@link LoadedConfig}; started once; shut down once within a deadline (collectors stop and flush first,
 * then sinks drain).
 */
public final class Pipeline {

    private static final System.Logger LOG = System.getLogger(Pipeline.class.getName());
    static final String INTERNAL_COLLECTOR = "pilotfish-internal";

    private final LoadedConfig config;
    private final PipelineServices services;
    private final List<SinkRunner> sinks = new ArrayList<>();
    private final Map<SignalKind, SinkRunner[]> routes = new EnumMap<>(SignalKind.class);
    private final List<CollectorRunner> collectors = new ArrayList<>();
    private final Map<SignalKind, SelfTelemetry.Counter> unrouted = new EnumMap<>(SignalKind.class);
    private final PluginLog log;
    private boolean started;
    private boolean stopped;

    public Pipeline(LoadedConfig config, PipelineServices services) {
        if (!config.valid()) {
            throw new IllegalArgumentException(config.describeProblems());
        }
        this.config = config;
        this.services = services;
        this.log = new RateLimitedLog(Pipeline.class.getName(), "", services.clock(), Duration.ofSeconds(60));
        for (SignalKind kind : SignalKind.values()) {
            unrouted.put(kind, services.telemetry().counter("pipeline.dropped",
                    TagSet.of(DropReason.NO_SINK.tag(), "signal:" + kind.name().toLowerCase(java.util.Locale.ROOT))));
        }
    }

    /** Creates and starts every sink, then every collector. A plugin that fails to start is logged and skipped. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("pipeline already started");
        }
        started = true;
        Map<SignalKind, List<SinkRunner>> byKind = new EnumMap<>(SignalKind.class);
        for (SinkSpec spec : config.sinks()) {
            PluginContext context = context(spec.name(), "sink", spec.factory().type());
            try {
                Sink sink = spec.factory().create(spec.config(), context);
                SinkRunner runner = new SinkRunner(spec.name(), sink, spec.options(), services.scheduler(),
                        services.exportExecutor(), services.clock(), context.telemetry(), context.log());
                sinks.add(runner);
                for (SignalKind kind : spec.signals()) {
                    byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(runner);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "sink " + spec.name() + " (" + spec.factory().type()
                        + ") could not be created and is not running: " + e.getMessage());
            }
        }
        byKind.forEach((kind, runners) -> routes.put(kind, runners.toArray(new SinkRunner[0])));

        for (CollectorSpec spec : config.collectors()) {
            PluginContext context = context(spec.name(), "collector", spec.factory().type());
            try {
                Collector collector = spec.factory().create(spec.config(), context);
                startCollector(spec.name(), collector, spec.interval(), context);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "collector " + spec.name() + " (" + spec.factory().type()
                        + ") could not be created and is not running: " + e.getMessage());
            }
        }
        if (config.agent().telemetryEnabled()) {
            PluginContext context = context(INTERNAL_COLLECTOR, "collector", "self-telemetry");
            startCollector(INTERNAL_COLLECTOR, selfTelemetry(), config.agent().telemetryInterval(), context);
        }
        LOG.log(System.Logger.Level.INFO, "pipeline started: collectors " + collectorNames() + ", sinks "
                + sinkNames());
    }

    private void startCollector(String name, Collector collector, Duration interval, PluginContext context) {
        SelfTelemetry.Counter emitted = context.telemetry().counter("collector.signals");
        SelfTelemetry.Counter failures = context.telemetry().counter("collector.errors", "reason:scrape_failed");
        Emitter emitter = signal -> {
            emitted.increment();
            route(signal);
        };
        CollectorRunner runner = new CollectorRunner(name, collector, interval, emitter, services.scheduler(),
                context.log(), failures::increment);
        collectors.add(runner);
        runner.start().whenComplete((ok, error) -> {
            if (error != null) {
                LOG.log(System.Logger.Level.ERROR, "collector " + name + " failed to start: " + error.getMessage());
            }
        });
    }

    private void route(Signal signal) {
        SinkRunner[] targets = routes.get(signal.kind());
        if (targets == null) {
            unrouted.get(signal.kind()).increment();
            log.warn("no_sink_" + signal.kind(), "no sink takes " + signal.kind().name().toLowerCase(
                    java.util.Locale.ROOT) + " signals; they are dropped and counted (pilotfish.pipeline.dropped)");
            return;
        }
        for (SinkRunner target : targets) {
            target.offer(signal);
        }
    }

    /** An internal scraper reporting the agent's own figures, tagged like the task. */
    private Scraper selfTelemetry() {
        return new Scraper() {
            @Override
            public CompletionStage<Void> scrape(Emitter emitter) {
                emitter.emitAll(report());
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Void> flush(Emitter emitter) {
                return scrape(emitter);
            }
        };
    }

    private List<io.pilotfish.spi.signal.Metric> report() {
        TagSet tags = services.metadata().current().map(s -> s.taskTags(Cardinality.LOW)).orElse(TagSet.EMPTY);
        long now = services.clock().instant().getEpochSecond();
        return services.telemetry().report(now, config.agent().telemetryInterval().toSeconds(), tags);
    }

    private PluginContext context(String name, String role, String type) {
        TagSet scope = TagSet.of(role + ":" + name, role + "_type:" + type);
        return new DefaultPluginContext(name, services.clock(), services.scheduler(), services.metadata(),
                services.agent(), services.httpClient(), services.telemetry().scoped(scope),
                new RateLimitedLog("io.pilotfish." + role + "." + name, role + " " + name + ": ", services.clock(),
                        Duration.ofSeconds(60)));
    }

    public List<String> collectorNames() {
        return collectors.stream().map(CollectorRunner::name).toList();
    }

    public List<String> sinkNames() {
        return sinks.stream().map(SinkRunner::name).toList();
    }

    public List<SinkRunner> sinkRunners() {
        return List.copyOf(sinks);
    }

    /**
     * Stops collectors (each flushes what it holds), then drains every sink until the deadline. What cannot be sent
     * in time is dropped, counted and reported in the log. Safe to call twice.
     *
     * @return items dropped at the deadline, over all sinks
     */
    public synchronized long shutdown(Duration deadline) {
        if (stopped || !started) {
            return 0;
        }
        stopped = true;
        long start = System.currentTimeMillis();
        long deadlineMillis = services.clock().millis() + deadline.toMillis();
        // Collectors get at most a third of the budget: what they flush still has to be sent.
        Duration collectorBudget = deadline.dividedBy(3);
        for (CollectorRunner collector : collectors) {
            if (!collector.name().equals(INTERNAL_COLLECTOR)) {
                collector.stop(collectorBudget);
            }
        }
        // Last, so the final report includes what the collectors' flush produced.
        collectors.stream().filter(c -> c.name().equals(INTERNAL_COLLECTOR)).forEach(c -> c.stop(collectorBudget));
        long dropped = 0;
        for (SinkRunner sink : sinks) {
            long lost = sink.drain(deadlineMillis);
            dropped += lost;
            if (lost > 0) {
                LOG.log(System.Logger.Level.WARNING, "sink " + sink.name() + ": " + lost
                        + " items could not be sent before the shutdown deadline and were dropped"
                        + (sink.lastFailure().isEmpty() ? "" : " (last failure: " + sink.lastFailure() + ")"));
            }
            sink.close();
        }
        LOG.log(System.Logger.Level.INFO, "pipeline stopped in " + (System.currentTimeMillis() - start) + " ms; "
                + dropped + " items dropped at shutdown");
        return dropped;
    }
}
