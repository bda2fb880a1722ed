package io.pilotfish.testkit;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.core.plugin.DefaultPluginContext;
import io.pilotfish.core.plugin.PluginState;
import io.pilotfish.core.plugin.RateLimitedLog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginHealth;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real {@link PluginContext} for plugin tests, made of core's own pieces: {@link DefaultPluginContext},
 * {@link TelemetryRegistry} and {@link RateLimitedLog}. It adds what a test needs to steer and observe:
 * <ul>
 *   <li>a {@link ManualClock} (or the simulator's clock, see {@link #against});</li>
 *   <li>a real single-thread scheduler and a real {@link HttpClient}, both shut down by {@link #close()};</li>
 *   <li>task metadata from a {@link TestMetadataSource} (default: available, nothing scripted), or from core's
 *       real {@link EcsMetadataClient} pointed at an {@link EcsMetadataSimulator} or at any environment;</li>
 *   <li>agent settings from the builder, with the global tags and API key changeable while running;</li>
 *   <li>{@link #log()} keeping every line ({@link CapturedLog}; printed too unless {@link Builder#quietLog()}) and
 *       {@link #counter} reading telemetry totals.</li>
 * </ul>
 * Close it after each test (try-with-resources or {@code @AfterEach}).
 */
public final class TestPluginContext implements PluginContext, AutoCloseable {

    public static final Instant DEFAULT_START = Instant.parse("2025-01-01T00:00:00Z");

    /** Short timeouts and backoffs: a test against a failing endpoint should not wait long for its verdict. */
    public static final EcsMetadataClient.Options FAST_METADATA_OPTIONS = new EcsMetadataClient.Options(
            Duration.ofSeconds(2), 2, Duration.ofMillis(10), Duration.ofMillis(50));

    private final Clock clock;
    private final ManualClock manualClock;
    private final EcsMetadataSimulator simulator;
    private final ScheduledExecutorService scheduler;
    private final HttpClient httpClient;
    private final TaskMetadataSource metadata;
    private final TelemetryRegistry telemetry = new TelemetryRegistry();
    private final CapturedLog log;
    private final AtomicReference<Optional<Secret>> apiKey;
    private final PluginState health;
    /** Replaced when agent settings change; the platform hands out a context whose settings may change too. */
    private volatile DefaultPluginContext delegate;

    private TestPluginContext(Builder b) {
        this.simulator = b.simulator;
        if (b.clock != null) {
            this.clock = b.clock;
        } else if (b.simulator != null) {
            // The simulator's own clock, so stats samples and plugin timestamps agree.
            this.clock = b.simulator.clock();
        } else {
            this.clock = new ManualClock(b.start);
        }
        this.manualClock = clock instanceof ManualClock manual ? manual : null;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pilotfish-test-scheduler-" + b.instanceName);
            thread.setDaemon(true);
            return thread;
        });
        this.httpClient = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        if (b.metadata != null) {
            this.metadata = b.metadata;
        } else if (b.metadataEnvironment != null) {
            this.metadata = new EcsMetadataClient(b.metadataEnvironment, httpClient, scheduler, clock,
                    b.metadataOptions, telemetry.scoped(TagSet.EMPTY));
        } else {
            TestMetadataSource fake = new TestMetadataSource(clock);
            if (b.taskJson != null) {
                fake.task(b.taskJson);
            }
            this.metadata = fake;
        }
        this.apiKey = new AtomicReference<>(secret(b.apiKey));
        this.log = new CapturedLog(b.quietLog ? null : new RateLimitedLog("io.pilotfish.test." + b.instanceName,
                b.instanceName + ": ", clock, Duration.ofSeconds(60)));
        AgentSettings agent = new AgentSettings(b.version, b.hostname, b.globalTags, b.site,
                Optional.ofNullable(b.ddUrl), apiKey::get, b.logs);
        this.health = new PluginState("plugin", b.instanceName, "test");
        this.delegate = new DefaultPluginContext(b.instanceName, clock, scheduler, metadata, agent, httpClient,
                telemetry.scoped(TagSet.EMPTY), log, health);
    }

    /** Defaults: instance {@code test}, a manual clock at {@link #DEFAULT_START}, a {@link TestMetadataSource}. */
    public static Builder builder() {
        return new Builder();
    }

    public static TestPluginContext create() {
        return builder().build();
    }

    /**
     * Core's real metadata client pointed at the simulator (its v4 endpoint), and the simulator's clock: a
     * simulator built with {@code manualClock(..)} moves both with {@link #advance}.
     */
    public static TestPluginContext against(EcsMetadataSimulator simulator) {
        return builder().against(simulator).build();
    }

    // ---------------------------------------------------------------- PluginContext

    @Override
    public String instanceName() {
        return delegate.instanceName();
    }

    @Override
    public Clock clock() {
        return delegate.clock();
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return delegate.scheduler();
    }

    @Override
    public TaskMetadataSource metadata() {
        return delegate.metadata();
    }

    @Override
    public AgentSettings agent() {
        return delegate.agent();
    }

    @Override
    public HttpClient httpClient() {
        return delegate.httpClient();
    }

    @Override
    public SelfTelemetry telemetry() {
        return delegate.telemetry();
    }

    /** Where the plugin reports its sockets and degraded parts; {@link #healthView} reads it back. */
    @Override
    public PluginHealth health() {
        return health;
    }

    /** What the plugin has reported through {@link #health()} so far. */
    public PluginState.View healthView() {
        return health.view();
    }

    /** The log the plugin writes to; every line is kept for assertions. */
    @Override
    public CapturedLog log() {
        return log;
    }

    // ---------------------------------------------------------------- steering

    /** Moves the clock forward: the manual clock, or the simulator's (which must have been built with one). */
    public Instant advance(Duration step) {
        if (simulator != null && manualClock == null) {
            return simulator.advance(step);
        }
        return requireManualClock().advance(step);
    }

    /** Sets the manual clock to any instant. */
    public void setTime(Instant instant) {
        requireManualClock().set(instant);
    }

    /** The scripted metadata source; fails when this context uses the real client. */
    public TestMetadataSource fakeMetadata() {
        if (metadata instanceof TestMetadataSource fake) {
            return fake;
        }
        throw new IllegalStateException("this context uses " + metadata.getClass().getSimpleName()
                + ", not a TestMetadataSource; build it without against(..) or metadataEnvironment(..)");
    }

    /** Replaces the global tags, as a config reload would; plugins that read {@code agent()} per use see them. */
    public void setGlobalTags(String... tags) {
        DefaultPluginContext d = delegate;
        AgentSettings a = d.agent();
        AgentSettings changed = new AgentSettings(a.version(), a.hostname(), TagSet.of(tags), a.site(), a.ddUrl(),
                a.apiKey(), a.logs());
        delegate = new DefaultPluginContext(d.instanceName(), d.clock(), d.scheduler(), d.metadata(), changed,
                d.httpClient(), d.telemetry(), d.log(), d.health());
    }

    /** Rotates the API key; {@code null} or empty removes it. */
    public void setApiKey(String key) {
        apiKey.set(secret(key));
    }

    // ---------------------------------------------------------------- observing

    /** The total of counter {@code name} over every tag set holding all of {@code tags}; 0 if never created. */
    public long counter(String name, String... tags) {
        return telemetry.total(name, tags);
    }

    /** Every counter total and gauge value keyed {@code name{tags}}: handy as an assertion message. */
    public Map<String, Double> telemetrySnapshot() {
        return telemetry.snapshot();
    }

    public TelemetryRegistry telemetryRegistry() {
        return telemetry;
    }

    /** Stops the scheduler and the HTTP client. Safe to call more than once. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        httpClient.shutdownNow();
    }

    @Override
    public String toString() {
        return "TestPluginContext[" + instanceName() + ", clock=" + clock.instant() + ", metadata="
                + metadata.getClass().getSimpleName() + "]";
    }

    private ManualClock requireManualClock() {
        if (manualClock == null) {
            throw new IllegalStateException("this context's clock is not a ManualClock: " + clock);
        }
        return manualClock;
    }

    private static Optional<Secret> secret(String key) {
        return key == null || key.isEmpty() ? Optional.empty() : Optional.of(new Secret(key));
    }

    public static final class Builder {
        private String instanceName = "test";
        private Instant start = DEFAULT_START;
        private Clock clock;
        private TaskMetadataSource metadata;
        private byte[] taskJson;
        private Map<String, String> metadataEnvironment;
        private EcsMetadataClient.Options metadataOptions = FAST_METADATA_OPTIONS;
        private EcsMetadataSimulator simulator;
        private String version = "0.0.0-test";
        private String hostname = "";
        private TagSet globalTags = TagSet.EMPTY;
        private String site = "datadoghq.com";
        private URI ddUrl;
        private String apiKey;
        private boolean quietLog;
        private AgentSettings.Logs logs = AgentSettings.Logs.NONE;

        private Builder() {
        }

        public Builder instanceName(String value) {
            this.instanceName = Objects.requireNonNull(value, "instanceName");
            return this;
        }

        /** Where the manual clock starts; {@link #DEFAULT_START} by default. */
        public Builder startAt(Instant value) {
            this.start = Objects.requireNonNull(value, "start");
            return this;
        }

        /** Any clock instead of the manual one ({@link #advance} then needs a {@link ManualClock}). */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** The default {@link TestMetadataSource}, holding this task already and answering it on refresh. */
        public Builder task(byte[] json) {
            this.taskJson = json.clone();
            return this;
        }

        /** Any metadata source of the test's own. */
        public Builder metadata(TaskMetadataSource value) {
            this.metadata = Objects.requireNonNull(value, "metadata");
            return this;
        }

        /**
         * Core's real {@link EcsMetadataClient} reading these variables: an empty map means no endpoint is
         * configured, a closed port an endpoint that does not answer.
         */
        public Builder metadataEnvironment(Map<String, String> env) {
            this.metadataEnvironment = Map.copyOf(env);
            return this;
        }

        /** The real client against the simulator, on the simulator's clock (unless {@link #clock} is set). */
        public Builder against(EcsMetadataSimulator value) {
            this.simulator = Objects.requireNonNull(value, "simulator");
            return metadataEnvironment(Map.of(EcsMetadataClient.ENV_V4, value.v4Uri().toString()));
        }

        /** Timeouts and retries of the real client; {@link #FAST_METADATA_OPTIONS} by default. */
        public Builder metadataOptions(EcsMetadataClient.Options value) {
            this.metadataOptions = Objects.requireNonNull(value, "options");
            return this;
        }

        public Builder version(String value) {
            this.version = Objects.requireNonNull(value, "version");
            return this;
        }

        /** Empty by default, as on Fargate. */
        public Builder hostname(String value) {
            this.hostname = Objects.requireNonNull(value, "hostname");
            return this;
        }

        public Builder globalTags(String... tags) {
            this.globalTags = TagSet.of(tags);
            return this;
        }

        public Builder site(String value) {
            this.site = Objects.requireNonNull(value, "site");
            return this;
        }

        /** The agent-wide log settings ({@code DD_LOGS_CONFIG_PROCESSING_RULES}, ...). */
        public Builder logs(AgentSettings.Logs value) {
            this.logs = Objects.requireNonNull(value, "logs");
            return this;
        }

        /** {@code DD_DD_URL}: an explicit intake URL, e.g. an {@link IntakeRecorder}'s {@code uri()}. */
        public Builder ddUrl(URI value) {
            this.ddUrl = value;
            return this;
        }

        /** No key by default; {@link TestPluginContext#setApiKey} rotates it later. */
        public Builder apiKey(String value) {
            this.apiKey = value;
            return this;
        }

        /**
         * The log keeps every line for assertions but prints none: for a plugin that logs what must not reach the
         * test output, such as a sample that leaks the API key on purpose so a test can catch it.
         */
        public Builder quietLog() {
            this.quietLog = true;
            return this;
        }

        public TestPluginContext build() {
            return new TestPluginContext(this);
        }
    }
}
