package io.pilotfish.sink.datadog.common.testing;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

/**
 * A small PluginContext for Datadog sink tests: settable agent settings and API key, recorded telemetry and log
 * lines. Agent version {@code 1.2.3}, no host name.
 */
public final class TestContext implements PluginContext {

    public static final String API_KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run

    public final AtomicReference<AgentSettings> agent;
    public final AtomicReference<Optional<Secret>> apiKey = new AtomicReference<>(Optional.of(new Secret(API_KEY)));
    public final RecordingTelemetry telemetry = new RecordingTelemetry();
    public final RecordingLog log = new RecordingLog();
    private final String instanceName;
    private final HttpClient http;
    private final Clock clock;

    public TestContext(HttpClient http, Clock clock, String site, Optional<URI> ddUrl, TagSet globalTags) {
        this("datadog-metrics", http, clock, site, ddUrl, globalTags);
    }

    public TestContext(String instanceName, HttpClient http, Clock clock, String site, Optional<URI> ddUrl,
                       TagSet globalTags) {
        this.instanceName = instanceName;
        this.http = http;
        this.clock = clock;
        this.agent = new AtomicReference<>(settings(site, ddUrl, globalTags));
    }

    /** Settings that read the key from {@link #apiKey}, so a test can rotate or remove it. */
    public AgentSettings settings(String site, Optional<URI> ddUrl, TagSet globalTags) {
        return new AgentSettings("1.2.3", "", globalTags, site, ddUrl, apiKey::get);
    }

    /** The total of a counter, 0 if it was never created. */
    public long counter(String name, String... tags) {
        return telemetry.total(name, tags);
    }

    @Override
    public String instanceName() {
        return instanceName;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public ScheduledExecutorService scheduler() {
        throw new UnsupportedOperationException("the sink under test must not schedule anything");
    }

    @Override
    public TaskMetadataSource metadata() {
        throw new UnsupportedOperationException("a sink has no use for task metadata");
    }

    @Override
    public AgentSettings agent() {
        return agent.get();
    }

    @Override
    public HttpClient httpClient() {
        return http;
    }

    @Override
    public SelfTelemetry telemetry() {
        return telemetry;
    }

    @Override
    public PluginLog log() {
        return log;
    }

    public static final class RecordingTelemetry implements SelfTelemetry {
        private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

        private static String key(String name, String... tags) {
            return name + TagSet.of(tags);
        }

        public long total(String name, String... tags) {
            AtomicLong value = counters.get(key(name, tags));
            return value == null ? 0 : value.get();
        }

        @Override
        public Counter counter(String name, String... tags) {
            AtomicLong value = counters.computeIfAbsent(key(name, tags), k -> new AtomicLong());
            return new Counter() {
                @Override
                public void add(long amount) {
                    value.addAndGet(amount);
                }

                @Override
                public long total() {
                    return value.get();
                }
            };
        }

        @Override
        public void gauge(String name, DoubleSupplier value, String... tags) {
        }
    }

    public static final class RecordingLog implements PluginLog {
        public final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public void info(String message) {
            lines.add("INFO " + message);
        }

        @Override
        public void warn(String kind, String message) {
            lines.add("WARN " + kind + " " + message);
        }

        @Override
        public void error(String kind, String message, Throwable cause) {
            lines.add("ERROR " + kind + " " + message + " " + cause);
        }
    }
}
