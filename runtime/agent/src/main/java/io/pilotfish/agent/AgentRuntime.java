package io.pilotfish.agent;

import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.core.pipeline.Pipeline;
import io.pilotfish.core.pipeline.PipelineServices;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Secret;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One running agent: the metadata client, the pipeline and the threads they share. Built from validated config;
 * {@link #shutdown} flushes within the configured deadline.
 */
public final class AgentRuntime {

    private static final System.Logger LOG = System.getLogger(AgentRuntime.class.getName());

    private static final Duration METADATA_REFRESH = Duration.ofSeconds(60);

    private volatile LoadedConfig config;
    private volatile boolean started;
    private volatile boolean stopping;
    /** Set by the reloader: an intake refused the API key. Called on an export thread; must not block. */
    private final java.util.concurrent.atomic.AtomicReference<Runnable> keyRejected =
            new java.util.concurrent.atomic.AtomicReference<>(() -> { });
    private final ScheduledExecutorService scheduler;
    private final ExecutorService exportExecutor;
    private final HttpClient httpClient;
    private final EcsMetadataClient metadata;
    private final TelemetryRegistry telemetry = new TelemetryRegistry();
    private final Pipeline pipeline;

    /**
     * @param config validated config ({@link LoadedConfig#valid()})
     * @param env    the environment the metadata endpoint is read from
     */
    public AgentRuntime(LoadedConfig config, Map<String, String> env) {
        this.config = config;
        Clock clock = Clock.systemUTC();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("pilotfish-timer"));
        this.exportExecutor = Executors.newFixedThreadPool(2, daemon("pilotfish-export"));
        HttpClient.Builder http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER);
        // Through the proxy, with its credentials on every request routed to it (see ProxyAuthorizingClient).
        this.httpClient = config.agent().httpsProxy()
                .map(proxy -> io.pilotfish.agent.net.ProxyAuthorizingClient.build(http, proxy))
                .orElseGet(http::build);
        this.metadata = new EcsMetadataClient(env, httpClient, scheduler, clock, EcsMetadataClient.Options.DEFAULTS,
                telemetry.scoped(io.pilotfish.spi.signal.TagSet.EMPTY));
        // SSM and credentials answers refused for their size since the process started, start-up reads included.
        io.pilotfish.config.ssm.ResponseLimits.countIn(telemetry);
        this.pipeline = new Pipeline(config, new PipelineServices(clock, scheduler, exportExecutor, metadata,
                settingsOf(config.agent()), httpClient, telemetry, () -> keyRejected.get().run()));
    }

    private static AgentSettings settingsOf(AgentConfig agent) {
        Optional<Secret> apiKey = agent.apiKey();
        return new AgentSettings(Version.VALUE, agent.hostname(), agent.tags(), agent.site(), agent.ddUrl(),
                () -> apiKey, agent.logs());
    }

    /**
     * Moves the running agent to a new validated configuration (a reload): see {@link Pipeline#apply}. Blocks while
     * changed collectors flush; call it from the reload thread.
     */
    public Pipeline.Changes apply(LoadedConfig next) {
        Pipeline.Changes changes = pipeline.apply(next, settingsOf(next.agent()));
        if (changes.applied()) {
            config = next;
        }
        return changes;
    }

    /** What to do when an intake refuses the API key (re-read it); called on an export thread. */
    public void onKeyRejected(Runnable action) {
        keyRejected.set(action);
    }

    /** Loads config from the given keys; throws {@link InvalidConfigException} listing every problem. */
    public static LoadedConfig load(Map<String, ConfigValue> values, PluginCatalog catalog) {
        return load(values, Map.of(), catalog);
    }

    /** The same, with {@code PILOTFISH_*} variables ({@link io.pilotfish.agent.config.ConfigKeys#environment}). */
    public static LoadedConfig load(Map<String, ConfigValue> values, Map<String, ConfigValue> environment,
                                    PluginCatalog catalog) {
        LoadedConfig loaded = new ConfigLoader(catalog).load(values, environment);
        if (!loaded.valid()) {
            throw new InvalidConfigException(loaded.describeProblems());
        }
        return loaded;
    }

    public void start() {
        if (!metadata.available()) {
            LOG.log(System.Logger.Level.WARNING, metadata.unavailableReason().orElse(""));
        } else {
            LOG.log(System.Logger.Level.INFO, "ECS task metadata endpoint " + metadata.metadataVersion().orElse("?"));
        }
        config.agent().httpsProxy().ifPresent(proxy -> {
            boolean credentials = io.pilotfish.agent.net.IntakeProxy.basicCredentials(proxy).isPresent();
            LOG.log(System.Logger.Level.INFO, "intake traffic goes through the proxy at "
                    + io.pilotfish.agent.net.IntakeProxy.of(proxy).describe()
                    + (credentials ? ", with the user and password of DD_PROXY_HTTPS" : ""));
            if (credentials && !io.pilotfish.agent.net.IntakeProxy.basicAllowedOnTunnels()) {
                LOG.log(System.Logger.Level.WARNING, "-Djdk.http.auth.tunneling.disabledSchemes="
                        + System.getProperty("jdk.http.auth.tunneling.disabledSchemes") + " keeps the JDK from "
                        + "sending the proxy's Basic credentials to it: every HTTPS request through it will be "
                        + "refused (HTTP 407). Remove Basic from that option");
            }
        });
        if (config.agent().apiKey().isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "No Datadog API key (set DD_API_KEY): data is collected and kept "
                    + "within the queue budget until a key is configured");
        }
        refreshMetadata(0);
        pipeline.start();
        started = true;
    }

    /**
     * Keeps one view of the task fresh even when no collector asks (the ecs-metadata collector refreshes more often;
     * concurrent refreshes are coalesced). On failure retries sooner, backing off to the normal period.
     */
    private void refreshMetadata(int failures) {
        if (!metadata.available() || scheduler.isShutdown()) {
            return;
        }
        // The collectors usually refresh far more often (every scrape); fetch only when nobody did for a period.
        long ageMillis = metadata.current().map(snapshot -> Duration.between(snapshot.fetchedAt(),
                Clock.systemUTC().instant()).toMillis()).orElse(Long.MAX_VALUE);
        if (failures == 0 && ageMillis < METADATA_REFRESH.toMillis()) {
            try {
                scheduler.schedule(() -> refreshMetadata(0), METADATA_REFRESH.toMillis() - ageMillis,
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                // shutting down
            }
            return;
        }
        metadata.refresh().whenComplete((snapshot, error) -> {
            long delaySeconds = error == null ? METADATA_REFRESH.toSeconds()
                    : Math.min(METADATA_REFRESH.toSeconds(), 1L << Math.min(failures, 6));
            try {
                scheduler.schedule(() -> refreshMetadata(error == null ? 0 : failures + 1), delaySeconds,
                        TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                // shutting down
            }
        });
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public TelemetryRegistry telemetry() {
        return telemetry;
    }

    public EcsMetadataClient metadata() {
        return metadata;
    }

    public LoadedConfig config() {
        return config;
    }

    /** True from start until shutdown begins. */
    public boolean running() {
        return started && !stopping;
    }

    /**
     * What {@code pilotfish health} reports: stopping once shutdown begins, else whether every configured listener,
     * collector and sink works. Reads only figures in memory; safe on an event loop.
     */
    public io.pilotfish.agent.status.Health health() {
        return io.pilotfish.agent.status.Health.of(running(), pipeline.deadParts(), config.agent().degradedIsHealthy());
    }

    /**
     * Keeps accepting while the task's other containers run ({@link ShutdownLinger}, at most
     * {@code shutdown.linger} and half the deadline), then flushes within what is left of the configured deadline and
     * stops the threads. Returns items dropped at the deadline.
     */
    public long shutdown() {
        stopping = true;
        Duration deadline = config.agent().shutdownDeadline();
        // Half the deadline at most, so what arrives while waiting still has time to be sent.
        Duration lingerCap = deadline.dividedBy(2);
        Duration linger = config.agent().shutdownLinger().compareTo(lingerCap) > 0 ? lingerCap
                : config.agent().shutdownLinger();
        Duration waited = new ShutdownLinger(metadata).await(linger);
        long dropped = pipeline.shutdown(deadline.minus(waited).compareTo(Duration.ofMillis(100)) < 0
                ? Duration.ofMillis(100) : deadline.minus(waited));
        scheduler.shutdownNow();
        exportExecutor.shutdown();
        try {
            exportExecutor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return dropped;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Config that cannot run; the message lists every problem. */
    public static final class InvalidConfigException extends RuntimeException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }
}
