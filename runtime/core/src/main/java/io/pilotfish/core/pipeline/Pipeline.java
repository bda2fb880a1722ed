package io.pilotfish.core.pipeline;

import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.core.config.CollectorSpec;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.config.SinkSpec;
import io.pilotfish.core.plugin.PluginState;
import io.pilotfish.core.plugin.RateLimitedLog;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginHealth;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.TagSet;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Collectors, sinks and the routes between them: each signal goes to every sink that takes its kind. Built from a
 * validated {@link LoadedConfig}; started once; changed while running by {@link #apply} (a configuration reload);
 * shut down once within a deadline (collectors stop and flush first, then sinks drain).
 */
public final class Pipeline {

    private static final System.Logger LOG = System.getLogger(Pipeline.class.getName());
    static final String INTERNAL_COLLECTOR = "pilotfish-internal";

    private record RunningCollector(CollectorSpec spec, CollectorRunner runner) {
    }

    private record RunningSink(SinkSpec spec, SinkRunner runner) {
    }

    private final PipelineServices services;
    private final PluginLog log;
    private final Map<SignalKind, SelfTelemetry.Counter> unrouted = new EnumMap<>(SignalKind.class);

    // Written under this; read without it (status on an event loop, the telemetry scrape on the timer thread must
    // never wait for a reload that is stopping collectors).
    private volatile LoadedConfig config;
    private volatile List<SinkRunner> sinkView = List.of();
    private volatile List<String> collectorView = List.of();

    // Guarded by this.
    private final Map<String, RunningSink> sinks = new LinkedHashMap<>();
    private final Map<String, RunningCollector> collectors = new LinkedHashMap<>();
    private final List<SinkRunner> retiring = new ArrayList<>();
    /** Every configured instance, running or not, in configuration order: what status and health report. */
    private final Map<String, PluginState> sinkStates = new LinkedHashMap<>();
    private final Map<String, PluginState> collectorStates = new LinkedHashMap<>();
    private volatile List<PluginState> stateView = List.of();
    private CollectorRunner internal;
    private CollectorRunner heartbeat;
    private boolean started;
    private boolean stopped;

    /** Read on every signal and by plugins at every use; replaced whole. */
    private volatile Map<SignalKind, SinkRunner[]> routes = Map.of();
    private volatile AgentSettings settings;

    public Pipeline(LoadedConfig config, PipelineServices services) {
        if (!config.valid()) {
            throw new IllegalArgumentException(config.describeProblems());
        }
        this.config = config;
        this.services = services;
        this.settings = services.agent();
        this.log = new RateLimitedLog(Pipeline.class.getName(), "", services.clock(), Duration.ofSeconds(60), null,
                () -> settings.apiKey().get());
        for (SignalKind kind : SignalKind.values()) {
            unrouted.put(kind, services.telemetry().counter("pipeline.dropped",
                    TagSet.of(DropReason.NO_SINK.tag(), "signal:" + kind.name().toLowerCase(Locale.ROOT))));
        }
    }

    /** Creates and starts every sink, then every collector. A plugin that fails to start is logged and skipped. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("pipeline already started");
        }
        started = true;
        for (SinkSpec spec : config.sinks()) {
            PluginState state = newState("sink", spec.name(), spec.factory().type(), sinkStates);
            try {
                sinks.put(spec.name(), new RunningSink(spec, newSinkRunner(spec, createSink(spec, state))));
                state.running();
            } catch (RuntimeException e) {
                notCreated(state, e);
            }
        }
        rebuildRoutes();
        for (CollectorSpec spec : config.collectors()) {
            PluginState state = newState("collector", spec.name(), spec.factory().type(), collectorStates);
            try {
                startCollector(spec, createCollector(spec, state), state);
            } catch (RuntimeException e) {
                notCreated(state, e);
            }
        }
        startInternal(config.agent());
        PluginContext heartbeatContext = context(AgentHeartbeat.NAME, "collector", "agent-heartbeat",
                PluginHealth.NONE);
        heartbeat = launch(AgentHeartbeat.NAME, new AgentHeartbeat(heartbeatContext), AgentHeartbeat.INTERVAL,
                heartbeatContext, null);
        refreshViews();
        LOG.log(System.Logger.Level.INFO, "pipeline started: collectors " + collectorNames() + ", sinks "
                + sinkNames());
    }

    /**
     * What a reload changed. {@code refused} is non-empty when nothing was changed because a new or changed plugin
     * could not be created; the running pipeline then stays as it was.
     */
    public record Changes(List<String> started, List<String> stopped, List<String> restarted, List<String> settings,
                          List<String> refused) {

        public boolean any() {
            return !started.isEmpty() || !stopped.isEmpty() || !restarted.isEmpty() || !settings.isEmpty();
        }

        public boolean applied() {
            return refused.isEmpty();
        }

        /** One line for the log: {@code started [collector a], restarted [sink b], settings [tags]}. */
        public String describe() {
            List<String> parts = new ArrayList<>();
            if (!started.isEmpty()) {
                parts.add("started " + started);
            }
            if (!stopped.isEmpty()) {
                parts.add("stopped " + stopped);
            }
            if (!restarted.isEmpty()) {
                parts.add("restarted " + restarted);
            }
            if (!settings.isEmpty()) {
                parts.add("agent settings " + settings);
            }
            return parts.isEmpty() ? "no change" : String.join("; ", parts);
        }
    }

    /**
     * Moves the running pipeline to a new validated configuration without losing data. Agent-wide settings (tags,
     * site, API key) apply at every plugin's next use. A sink whose settings changed gets a new instance behind the
     * same queue, so what is queued is sent with the new settings; a removed sink drains in the background. A
     * collector that was removed or changed stops and flushes (into the new routes); a changed one is then created
     * anew; unchanged instances keep running untouched. New and changed plugins are created before anything is
     * touched: if one cannot be created the whole change is refused and the pipeline stays as it was.
     *
     * <p>Blocks the calling thread while stopping collectors (at most a third of the shutdown deadline each); never
     * call it from the scheduler or an event loop.
     */
    public synchronized Changes apply(LoadedConfig next, AgentSettings nextSettings) {
        if (!next.valid()) {
            throw new IllegalArgumentException(next.describeProblems());
        }
        if (!started || stopped) {
            return new Changes(List.of(), List.of(), List.of(), List.of(),
                    List.of("the pipeline is not running"));
        }
        // 1. Create every new or changed plugin first, so a failure changes nothing.
        Map<String, Sink> newSinks = new LinkedHashMap<>();
        Map<String, Collector> newCollectors = new LinkedHashMap<>();
        List<String> refused = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        // A new or changed instance reports to a fresh state, which replaces the old one only if the change applies.
        Map<String, PluginState> newSinkStates = new LinkedHashMap<>();
        Map<String, PluginState> newCollectorStates = new LinkedHashMap<>();
        for (SinkSpec spec : next.sinks()) {
            RunningSink running = sinks.get(spec.name());
            if (running != null && running.spec().equals(spec)) {
                continue;
            }
            PluginState state = new PluginState("sink", spec.name(), spec.factory().type());
            try {
                newSinks.put(spec.name(), createSink(spec, state));
                newSinkStates.put(spec.name(), state);
            } catch (RuntimeException e) {
                (unchangedButNotRunning(spec, this.config.sinks()) ? skipped : refused)
                        .add(notCreated("sink", spec.name(), spec.factory().type(), e));
            }
        }
        for (CollectorSpec spec : next.collectors()) {
            RunningCollector running = collectors.get(spec.name());
            if (running != null && running.spec().equals(spec)) {
                continue;
            }
            PluginState state = new PluginState("collector", spec.name(), spec.factory().type());
            try {
                newCollectors.put(spec.name(), createCollector(spec, state));
                newCollectorStates.put(spec.name(), state);
            } catch (RuntimeException e) {
                (unchangedButNotRunning(spec, this.config.collectors()) ? skipped : refused)
                        .add(notCreated("collector", spec.name(), spec.factory().type(), e));
            }
        }
        if (!refused.isEmpty()) {
            newSinks.values().forEach(Pipeline::closeQuietly);
            newCollectors.values().forEach(Pipeline::closeQuietly);
            return new Changes(List.of(), List.of(), List.of(), List.of(), refused);
        }
        skipped.forEach(message -> LOG.log(System.Logger.Level.ERROR, message));

        List<String> startedNow = new ArrayList<>();
        List<String> stoppedNow = new ArrayList<>();
        List<String> restartedNow = new ArrayList<>();
        List<String> settingsChanged = settingsChanges(settings, nextSettings);
        AgentConfig previousAgent = this.config.agent();
        this.settings = nextSettings;
        this.config = next;

        // 2. Sinks: replace behind their queues, add, then route, then retire the removed ones.
        Map<String, SinkSpec> wanted = new LinkedHashMap<>();
        next.sinks().forEach(spec -> wanted.put(spec.name(), spec));
        newSinks.forEach((name, sink) -> {
            SinkSpec spec = wanted.get(name);
            RunningSink running = sinks.get(name);
            if (running == null) {
                sinks.put(name, new RunningSink(spec, newSinkRunner(spec, sink)));
                startedNow.add("sink " + name);
            } else {
                running.runner().replace(sink, spec.options());
                sinks.put(name, new RunningSink(spec, running.runner()));
                restartedNow.add("sink " + name);
            }
            PluginState state = newSinkStates.get(name);
            state.running();
            sinkStates.put(name, state);
        });
        List<SinkRunner> removed = new ArrayList<>();
        sinks.entrySet().removeIf(entry -> {
            if (wanted.containsKey(entry.getKey())) {
                return false;
            }
            removed.add(entry.getValue().runner());
            stoppedNow.add("sink " + entry.getKey());
            return true;
        });
        rebuildRoutes();
        removed.forEach(this::retireInBackground);
        if (!settingsChanged.isEmpty()) {
            // A new key or site may be what the failing exports were waiting for.
            sinks.values().forEach(running -> running.runner().retryNow());
        }

        // 3. Collectors: stop the removed and changed ones (they flush into the new routes), start the new ones.
        Duration stopBudget = next.agent().shutdownDeadline().dividedBy(3);
        Map<String, CollectorSpec> wantedCollectors = new LinkedHashMap<>();
        next.collectors().forEach(spec -> wantedCollectors.put(spec.name(), spec));
        java.util.Set<String> wasRunning = new java.util.HashSet<>(collectors.keySet());
        for (var iterator = collectors.entrySet().iterator(); iterator.hasNext(); ) {
            var entry = iterator.next();
            boolean keep = wantedCollectors.containsKey(entry.getKey()) && !newCollectors.containsKey(entry.getKey());
            if (!keep) {
                entry.getValue().runner().stop(stopBudget);
                iterator.remove();
                if (!wantedCollectors.containsKey(entry.getKey())) {
                    stoppedNow.add("collector " + entry.getKey());
                }
            }
        }
        newCollectors.forEach((name, collector) -> {
            PluginState state = newCollectorStates.get(name);
            collectorStates.put(name, state);
            startCollector(wantedCollectors.get(name), collector, state);
            (wasRunning.contains(name) ? restartedNow : startedNow).add("collector " + name);
        });
        // Instances no longer configured leave status; the others keep their order of the configuration.
        reorderStates(sinkStates, next.sinks().stream().map(SinkSpec::name).toList());
        reorderStates(collectorStates, next.collectors().stream().map(CollectorSpec::name).toList());
        if (previousAgent.shipTelemetry() != next.agent().shipTelemetry()
                || !previousAgent.telemetryInterval().equals(next.agent().telemetryInterval())) {
            if (internal != null) {
                internal.stop(stopBudget);
                internal = null;
            }
            startInternal(next.agent());
            settingsChanged.add("telemetry");
        }
        refreshViews();
        return new Changes(List.copyOf(startedNow), List.copyOf(stoppedNow), List.copyOf(restartedNow),
                List.copyOf(settingsChanged), List.of());
    }

    private static <S> boolean unchangedButNotRunning(S spec, List<S> runningSpecs) {
        return runningSpecs.contains(spec);
    }

    /** Which agent-wide settings differ, by name only: values may be secret. */
    private static List<String> settingsChanges(AgentSettings before, AgentSettings after) {
        List<String> changed = new ArrayList<>();
        if (!before.globalTags().equals(after.globalTags())) {
            changed.add("tags");
        }
        if (!before.site().equals(after.site()) || !before.ddUrl().equals(after.ddUrl())) {
            changed.add("site");
        }
        if (!before.hostname().equals(after.hostname())) {
            changed.add("hostname");
        }
        if (!before.apiKey().get().equals(after.apiKey().get())) {
            changed.add("api key");
        }
        return changed;
    }

    private Sink createSink(SinkSpec spec, PluginState state) {
        return spec.factory().create(spec.config(), context(spec.name(), "sink", spec.factory().type(), state));
    }

    private Collector createCollector(CollectorSpec spec, PluginState state) {
        return spec.factory().create(spec.config(), context(spec.name(), "collector", spec.factory().type(), state));
    }

    private static PluginState newState(String role, String name, String type, Map<String, PluginState> states) {
        PluginState state = new PluginState(role, name, type);
        states.put(name, state);
        return state;
    }

    private static void reorderStates(Map<String, PluginState> states, List<String> order) {
        Map<String, PluginState> kept = new LinkedHashMap<>();
        for (String name : order) {
            PluginState state = states.get(name);
            if (state != null) {
                kept.put(name, state);
            }
        }
        states.clear();
        states.putAll(kept);
    }

    private static void notCreated(PluginState state, RuntimeException e) {
        PluginState.View view = state.view();
        String message = notCreated(view.role(), view.name(), view.type(), e);
        state.failed("could not be created: " + e.getMessage());
        LOG.log(System.Logger.Level.ERROR, message);
    }

    private SinkRunner newSinkRunner(SinkSpec spec, Sink sink) {
        PluginContext context = context(spec.name(), "sink", spec.factory().type(), PluginHealth.NONE);
        return new SinkRunner(spec.name(), sink, spec.options(), services.scheduler(), services.exportExecutor(),
                services.clock(), context.telemetry(), context.log(), services.credentialsRejected());
    }

    private static String notCreated(String role, String name, String type, RuntimeException e) {
        return role + " " + name + " (" + type + ") could not be created and is not running: " + e.getMessage();
    }

    private void rebuildRoutes() {
        Map<SignalKind, List<SinkRunner>> byKind = new EnumMap<>(SignalKind.class);
        for (RunningSink running : sinks.values()) {
            for (SignalKind kind : running.spec().signals()) {
                byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(running.runner());
            }
        }
        Map<SignalKind, SinkRunner[]> next = new EnumMap<>(SignalKind.class);
        byKind.forEach((kind, runners) -> next.put(kind, runners.toArray(new SinkRunner[0])));
        routes = Collections.unmodifiableMap(next);
    }

    /** A sink no longer configured sends what it holds (within the shutdown deadline) on a thread of its own. */
    private void retireInBackground(SinkRunner runner) {
        retiring.add(runner);
        long deadline = services.clock().millis() + config.agent().shutdownDeadline().toMillis();
        Thread thread = new Thread(() -> {
            long lost = runner.drain(deadline);
            runner.close();
            if (lost > 0) {
                LOG.log(System.Logger.Level.WARNING, "sink " + runner.name() + " was removed by a reload; " + lost
                        + " items could not be sent before its deadline and were dropped"
                        + (runner.lastFailure().isEmpty() ? "" : " (last failure: " + runner.lastFailure() + ")"));
            }
            synchronized (Pipeline.this) {
                retiring.remove(runner);
            }
        }, "pilotfish-retire-" + runner.name());
        thread.setDaemon(true);
        thread.start();
    }

    private void startCollector(CollectorSpec spec, Collector collector, PluginState state) {
        PluginContext context = context(spec.name(), "collector", spec.factory().type(), state);
        collectors.put(spec.name(), new RunningCollector(spec, launch(spec.name(), collector, spec.interval(),
                context, state)));
    }

    /** The agent's own {@code pilotfish.*} figures go to the sinks only when the user chose to ship them. */
    private void startInternal(AgentConfig agent) {
        if (agent.shipTelemetry()) {
            PluginContext context = context(INTERNAL_COLLECTOR, "collector", "self-telemetry", PluginHealth.NONE);
            internal = launch(INTERNAL_COLLECTOR, selfTelemetry(), agent.telemetryInterval(), context, null);
        }
    }

    /** @param state where the start's outcome is recorded; null for the platform's own collectors */
    private CollectorRunner launch(String name, Collector collector, Duration interval, PluginContext context,
                                   PluginState state) {
        SelfTelemetry.Counter emitted = context.telemetry().counter("collector.signals");
        SelfTelemetry.Counter failures = context.telemetry().counter("collector.errors", "reason:scrape_failed");
        Emitter emitter = new Emitter() {
            @Override
            public void emit(Signal signal) {
                emitted.increment();
                route(signal);
            }

            @Override
            public void emitAll(Collection<? extends Signal> signals) {
                emitted.add(signals.size());
                routeAll(signals);
            }

            @Override
            public void awaitCapacity(Duration max) {
                awaitSinkRoom(max);
            }
        };
        CollectorRunner runner = new CollectorRunner(name, collector, interval, emitter, services.scheduler(),
                context.log(), failures::increment);
        runner.start().whenComplete((ok, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
                LOG.log(System.Logger.Level.ERROR, "collector " + name + " failed to start: " + why);
                if (state != null) {
                    state.failed("failed to start: " + why);
                }
            } else if (state != null) {
                state.running();
            }
        });
        return runner;
    }

    private void awaitSinkRoom(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        Set<SinkRunner> seen = new HashSet<>();
        for (SinkRunner[] targets : routes.values()) {
            for (SinkRunner target : targets) {
                if (seen.add(target)) {
                    target.awaitRoom(deadline);
                }
            }
        }
    }

    private void route(Signal signal) {
        SinkRunner[] targets = routes.get(signal.kind());
        if (targets == null) {
            unrouted.get(signal.kind()).increment();
            log.warn("no_sink_" + signal.kind(), "no sink takes " + signal.kind().name().toLowerCase(Locale.ROOT)
                    + " signals; they are dropped and counted (pilotfish.pipeline.dropped)");
            return;
        }
        for (SinkRunner target : targets) {
            target.offer(signal);
        }
    }

    /** Signals of one kind go to their sinks in one hand-over each; a mix goes one by one. */
    private void routeAll(Collection<? extends Signal> signals) {
        if (signals.isEmpty()) {
            return;
        }
        SignalKind kind = null;
        for (Signal signal : signals) {
            if (kind == null) {
                kind = signal.kind();
            } else if (signal.kind() != kind) {
                signals.forEach(this::route);
                return;
            }
        }
        SinkRunner[] targets = routes.get(kind);
        if (targets == null) {
            signals.forEach(this::route); // counted and reported there
            return;
        }
        List<? extends Signal> list = signals instanceof List<? extends Signal> l ? l : List.copyOf(signals);
        for (SinkRunner target : targets) {
            target.offerAll(list);
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
        // Tagged per task (its ARN): the figures of many tasks would otherwise overwrite each other in one series.
        TagSet tags = services.metadata().current().map(s -> s.taskTags(Cardinality.ORCHESTRATOR))
                .orElse(TagSet.EMPTY);
        long now = services.clock().instant().getEpochSecond();
        return services.telemetry().report(now, config.agent().telemetryInterval().toSeconds(), tags);
    }

    private PluginContext context(String name, String role, String type, PluginHealth health) {
        TagSet scope = TagSet.of(role + ":" + name, role + "_type:" + type);
        // A configured instance's warnings are also kept for status, however the log rate-limits them.
        return new LiveContext(name, services, services.telemetry().scoped(scope),
                new RateLimitedLog("io.pilotfish." + role + "." + name, role + " " + name + ": ", services.clock(),
                        Duration.ofSeconds(60), health instanceof PluginState state ? state : null,
                        () -> settings.apiKey().get()), health);
    }

    /** A plugin's context; {@link #agent} is read at every call, so a reload reaches plugins that keep running. */
    private final class LiveContext implements PluginContext {
        private final String instanceName;
        private final PipelineServices shared;
        private final SelfTelemetry telemetry;
        private final PluginLog pluginLog;
        private final PluginHealth health;

        LiveContext(String instanceName, PipelineServices shared, SelfTelemetry telemetry, PluginLog pluginLog,
                    PluginHealth health) {
            this.instanceName = instanceName;
            this.shared = shared;
            this.telemetry = telemetry;
            this.pluginLog = pluginLog;
            this.health = health;
        }

        @Override
        public PluginHealth health() {
            return health;
        }

        @Override
        public String instanceName() {
            return instanceName;
        }

        @Override
        public Clock clock() {
            return shared.clock();
        }

        @Override
        public ScheduledExecutorService scheduler() {
            return shared.scheduler();
        }

        @Override
        public TaskMetadataSource metadata() {
            return shared.metadata();
        }

        @Override
        public AgentSettings agent() {
            return settings;
        }

        @Override
        public HttpClient httpClient() {
            return shared.httpClient();
        }

        @Override
        public SelfTelemetry telemetry() {
            return telemetry;
        }

        @Override
        public PluginLog log() {
            return pluginLog;
        }
    }

    /** The settings plugins see now. */
    public AgentSettings settings() {
        return settings;
    }

    public LoadedConfig config() {
        return config;
    }

    /** Under the lock, after every change: what the accessors below return without taking it. */
    private void refreshViews() {
        List<String> names = new ArrayList<>(collectors.keySet());
        if (internal != null) {
            names.add(INTERNAL_COLLECTOR);
        }
        collectorView = List.copyOf(names);
        sinkView = sinks.values().stream().map(RunningSink::runner).toList();
        List<PluginState> states = new ArrayList<>(collectorStates.values());
        states.addAll(sinkStates.values());
        stateView = List.copyOf(states);
    }

    /** Every configured collector, then every configured sink, running or not, as status shows them. */
    public List<PluginState.View> plugins() {
        return stateView.stream().map(PluginState::view).toList();
    }

    /** One line per configured part that does not work (failed, stopped, degraded): what fails the health check. */
    public List<String> deadParts() {
        List<String> problems = new ArrayList<>();
        for (PluginState state : stateView) {
            state.view().problem().ifPresent(problems::add);
        }
        return problems;
    }

    public List<String> collectorNames() {
        return collectorView;
    }

    public List<String> sinkNames() {
        return sinkView.stream().map(SinkRunner::name).toList();
    }

    public List<SinkRunner> sinkRunners() {
        return sinkView;
    }

    private static void closeQuietly(AutoCloseable plugin) {
        try {
            plugin.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "closing an unused plugin instance failed: " + e.getMessage());
        }
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
        for (RunningCollector collector : collectors.values()) {
            collector.runner().stop(collectorBudget);
        }
        // Last, so the final report includes what the collectors' flush produced.
        if (internal != null) {
            internal.stop(collectorBudget);
        }
        if (heartbeat != null) {
            heartbeat.stop(collectorBudget);
        }
        long dropped = 0;
        List<SinkRunner> all = new ArrayList<>(sinkRunners());
        all.addAll(retiring);
        for (SinkRunner sink : all) {
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

    @Override
    public String toString() {
        return "Pipeline[collectors=" + collectorNames() + ", sinks=" + sinkNames() + "]";
    }
}
