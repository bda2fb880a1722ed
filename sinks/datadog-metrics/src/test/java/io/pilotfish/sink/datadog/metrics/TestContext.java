package io.pilotfish.sink.datadog.metrics;

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

/** A small PluginContext for sink tests: settable agent settings, recorded telemetry and log lines. */
final class TestContext implements PluginContext {

    static final String API_KEY = "0123456789abcdef0123456789abcdef";

    final AtomicReference<AgentSettings> agent;
    final AtomicReference<Optional<Secret>> apiKey = new AtomicReference<>(Optional.of(new Secret(API_KEY)));
    final RecordingTelemetry telemetry = new RecordingTelemetry();
    final RecordingLog log = new RecordingLog();
    private final HttpClient http;
    private final Clock clock;

    TestContext(HttpClient http, Clock clock, String site, Optional<URI> ddUrl, TagSet globalTags) {
        this.http = http;
        this.clock = clock;
        this.agent = new AtomicReference<>(settings(site, ddUrl, globalTags));
    }

    AgentSettings settings(String site, Optional<URI> ddUrl, TagSet globalTags) {
        return new AgentSettings("1.2.3", "", globalTags, site, ddUrl, apiKey::get);
    }

    long counter(String name, String... tags) {
        return telemetry.total(name, tags);
    }

    @Override
    public String instanceName() {
        return "datadog-metrics";
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

    static final class RecordingTelemetry implements SelfTelemetry {
        private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

        private static String key(String name, String... tags) {
            return name + TagSet.of(tags);
        }

        long total(String name, String... tags) {
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

    static final class RecordingLog implements PluginLog {
        final List<String> lines = new CopyOnWriteArrayList<>();

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
