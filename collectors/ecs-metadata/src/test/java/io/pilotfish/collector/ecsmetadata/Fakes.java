package io.pilotfish.collector.ecsmetadata;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.ecs.EcsTaskSnapshot;
import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
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

/** Small stand-ins for what the platform gives a plugin. */
final class Fakes {

    private Fakes() {
    }

    /** A snapshot of a recorded {@code /task} payload, with edits applied to containers by name. */
    static TaskSnapshot snapshot(String file, Instant fetchedAt, Map<String, Consumer<ObjectNode>> containerEdits) {
        return snapshot(file, fetchedAt, root -> { }, containerEdits);
    }

    static TaskSnapshot snapshot(String file, Instant fetchedAt, Consumer<ObjectNode> taskEdit,
                                 Map<String, Consumer<ObjectNode>> containerEdits) {
        Path dir = Path.of(System.getProperty("pilotfish.shared.dir", "/work/shared"), "testdata", "ecs");
        assumeTrue(Files.isDirectory(dir), "shared test data not found at " + dir);
        try {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = (ObjectNode) mapper.readTree(Files.readAllBytes(dir.resolve(file)));
            taskEdit.accept(root);
            root.get("Containers").forEach(container -> {
                Consumer<ObjectNode> edit = containerEdits.get(container.get("Name").asText());
                if (edit != null) {
                    edit.accept((ObjectNode) container);
                }
            });
            return new EcsTaskSnapshot(TaskMetadataParser.parseTask(mapper.writeValueAsBytes(root), "v4"), fetchedAt);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

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
    }

    /** Answers each refresh with the next scripted snapshot or failure. */
    static final class ScriptedMetadata implements TaskMetadataSource {
        final Deque<Object> script = new ArrayDeque<>();
        boolean available = true;
        RuntimeException throwOnRefresh;
        int refreshes;
        private TaskSnapshot current;

        ScriptedMetadata then(Object snapshotOrException) {
            script.add(snapshotOrException);
            return this;
        }

        @Override
        public boolean available() {
            return available;
        }

        @Override
        public Optional<TaskSnapshot> current() {
            return Optional.ofNullable(current);
        }

        @Override
        public CompletionStage<TaskSnapshot> refresh() {
            refreshes++;
            if (throwOnRefresh != null) {
                throw throwOnRefresh;
            }
            if (!available) {
                return CompletableFuture.failedFuture(new MetadataException("not configured"));
            }
            Object next = script.poll();
            if (next == null) {
                throw new AssertionError("the test scripted no more refreshes");
            }
            if (next instanceof RuntimeException failure) {
                return CompletableFuture.failedFuture(failure);
            }
            current = (TaskSnapshot) next;
            return CompletableFuture.completedFuture(current);
        }

        @Override
        public CompletionStage<byte[]> get(String path) {
            return CompletableFuture.failedFuture(new MetadataException("not used by this collector"));
        }

        @Override
        public void onChange(Consumer<TaskSnapshot> listener) {
        }
    }

    static final class Telemetry implements SelfTelemetry {
        final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

        @Override
        public Counter counter(String name, String... tags) {
            AtomicLong value = counts.computeIfAbsent(name + TagSet.of(tags).toString().transform(t ->
                    t.isEmpty() ? "" : "{" + t + "}"), k -> new AtomicLong());
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

        long count(String key) {
            AtomicLong value = counts.get(key);
            return value == null ? 0 : value.get();
        }
    }

    static final class RecordingLog implements PluginLog {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

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

    static final class Context implements PluginContext {
        final MutableClock clock;
        final ScriptedMetadata metadata = new ScriptedMetadata();
        final Telemetry telemetry = new Telemetry();
        final RecordingLog log = new RecordingLog();

        Context(Instant now) {
            this.clock = new MutableClock(now);
        }

        @Override
        public String instanceName() {
            return "ecs-metadata";
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public ScheduledExecutorService scheduler() {
            throw new UnsupportedOperationException("the ecs-metadata collector needs no timers");
        }

        @Override
        public TaskMetadataSource metadata() {
            return metadata;
        }

        @Override
        public AgentSettings agent() {
            return new AgentSettings("test", "", TagSet.EMPTY, "datadoghq.com", Optional.empty(), Optional::empty);
        }

        @Override
        public HttpClient httpClient() {
            throw new UnsupportedOperationException("the ecs-metadata collector makes no HTTP calls of its own");
        }

        @Override
        public SelfTelemetry telemetry() {
            return telemetry;
        }

        @Override
        public PluginLog log() {
            return log;
        }
    }

    static final class Recorder implements Emitter {
        final List<Signal> signals = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void emit(Signal signal) {
            signals.add(signal);
        }

        List<Event> events() {
            return signals.stream().filter(Event.class::isInstance).map(Event.class::cast).toList();
        }

        List<Metric> metrics(String name) {
            return signals.stream().filter(Metric.class::isInstance).map(Metric.class::cast)
                    .filter(m -> m.name().equals(name)).toList();
        }

        /** The one point of {@code name} whose tags contain every tag given. */
        Metric metric(String name, String... tags) {
            List<Metric> matching = metrics(name).stream()
                    .filter(m -> List.of(tags).stream().allMatch(m.tags()::contains)).toList();
            if (matching.size() != 1) {
                throw new AssertionError("expected one " + name + " with " + List.of(tags) + ", found " + matching
                        + " among " + signals);
            }
            return matching.get(0);
        }

        void clear() {
            signals.clear();
        }
    }
}
