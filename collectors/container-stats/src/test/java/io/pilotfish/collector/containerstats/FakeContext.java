package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.TagSet;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/** A plugin context whose metadata, clock, telemetry and log are in the test's hands. Everything completes at once. */
final class FakeContext implements PluginContext {

    final Metadata metadata = new Metadata();
    final Telemetry telemetry = new Telemetry();
    final Log log = new Log();
    volatile Instant now = Instant.parse("2025-03-01T10:00:25Z");

    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @Override
    public String instanceName() {
        return "container-stats";
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public ScheduledExecutorService scheduler() {
        throw new UnsupportedOperationException("container-stats does not schedule anything");
    }

    @Override
    public TaskMetadataSource metadata() {
        return metadata;
    }

    @Override
    public AgentSettings agent() {
        return new AgentSettings("test", "", TagSet.of("env:test"), "datadoghq.com", Optional.empty(),
                Optional::empty);
    }

    @Override
    public HttpClient httpClient() {
        throw new UnsupportedOperationException("container-stats goes through the metadata source");
    }

    @Override
    public SelfTelemetry telemetry() {
        return telemetry;
    }

    @Override
    public PluginLog log() {
        return log;
    }

    static final class Metadata implements TaskMetadataSource {
        volatile TaskSnapshot current;
        /** What refresh() completes with; null makes it fail. */
        volatile TaskSnapshot afterRefresh;
        volatile Supplier<CompletionStage<byte[]>> stats =
                () -> CompletableFuture.failedFuture(new MetadataException("no stats configured in the test"));
        final AtomicLong refreshes = new AtomicLong();
        final List<String> paths = new ArrayList<>();

        void statsBody(byte[] body) {
            stats = () -> CompletableFuture.completedFuture(body);
        }

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public Optional<TaskSnapshot> current() {
            return Optional.ofNullable(current);
        }

        @Override
        public CompletionStage<TaskSnapshot> refresh() {
            refreshes.incrementAndGet();
            if (afterRefresh == null) {
                return CompletableFuture.failedFuture(new MetadataException("refresh failed in the test"));
            }
            current = afterRefresh;
            return CompletableFuture.completedFuture(afterRefresh);
        }

        @Override
        public CompletionStage<byte[]> get(String path) {
            paths.add(path);
            return stats.get();
        }

        @Override
        public void onChange(Consumer<TaskSnapshot> listener) {
        }
    }

    static final class Telemetry implements SelfTelemetry {
        final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

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

        long total(String name, String... tags) {
            AtomicLong value = counters.get(key(name, tags));
            return value == null ? 0 : value.get();
        }

        private static String key(String name, String... tags) {
            return name + Arrays.toString(tags);
        }
    }

    record Line(String kind, String message) {
    }

    static final class Log implements PluginLog {
        final List<Line> warnings = new ArrayList<>();
        final List<Line> errors = new ArrayList<>();

        @Override
        public void info(String message) {
        }

        @Override
        public void warn(String kind, String message) {
            warnings.add(new Line(kind, message));
        }

        @Override
        public void error(String kind, String message, Throwable cause) {
            errors.add(new Line(kind, message + ": " + cause));
        }
    }
}
