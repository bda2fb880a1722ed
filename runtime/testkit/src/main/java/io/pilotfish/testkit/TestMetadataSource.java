package io.pilotfish.testkit;

import io.pilotfish.core.ecs.EcsTaskSnapshot;
import io.pilotfish.core.ecs.TaskMetadataParser;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link TaskMetadataSource} that answers from canned bodies instead of an endpoint, for unit tests that want
 * every answer in hand. Each path has a script of {@link Answer}s used in order; the last one keeps being given (as
 * with a stub's last return value). {@link #refresh()} is a GET of {@value #TASK_PATH} parsed by core's
 * {@link TaskMetadataParser} into an {@link EcsTaskSnapshot} stamped with the clock, exactly as the real client does,
 * so tags come from the real tagger. Everything completes at once, on the caller's thread; change listeners too.
 *
 * <p>Paths nobody scripted fail like a 404 of the real client. {@link #available(boolean) available(false)} makes
 * every call fail as when no endpoint is configured. Thread-safe.
 */
public final class TestMetadataSource implements TaskMetadataSource {

    public static final String TASK_PATH = "/task";

    /** One canned outcome of a GET (or of a refresh, for {@value #TASK_PATH}). */
    public sealed interface Answer {

        /** A 2xx body. */
        record Body(byte[] bytes) implements Answer {
            public Body {
                bytes = bytes.clone();
            }
        }

        /** The returned stage fails with this. */
        record Failure(RuntimeException error) implements Answer {
        }

        /** The call itself throws this instead of returning a stage (a broken source; plugins must cope). */
        record Thrown(RuntimeException error) implements Answer {
        }

        static Answer body(byte[] bytes) {
            return new Body(bytes);
        }

        static Answer body(String json) {
            return new Body(json.getBytes(StandardCharsets.UTF_8));
        }

        static Answer failure(RuntimeException error) {
            return new Failure(Objects.requireNonNull(error, "error"));
        }

        /** A failed stage with a {@link MetadataException} carrying {@code message}. */
        static Answer failure(String message) {
            return failure(new MetadataException(message));
        }

        static Answer thrown(RuntimeException error) {
            return new Thrown(Objects.requireNonNull(error, "error"));
        }
    }

    private final Clock clock;
    private final Map<String, Deque<Answer>> scripts = new HashMap<>();
    private final List<String> requests = new ArrayList<>();
    private final List<Consumer<TaskSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private Answer unscripted;
    private boolean available = true;
    private String metadataVersion = "v4";
    private TaskSnapshot current;
    private int refreshes;

    /** @param clock  stamps {@link TaskSnapshot#fetchedAt()} of refreshed snapshots */
    public TestMetadataSource(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // ---------------------------------------------------------------- scripting

    /** Replaces the script of {@code path} with these answers, in order; the last one repeats. */
    public synchronized TestMetadataSource answer(String path, Answer... answers) {
        if (answers.length == 0) {
            throw new IllegalArgumentException("give at least one answer for " + path);
        }
        scripts.put(path, new ArrayDeque<>(Arrays.asList(answers)));
        return this;
    }

    public TestMetadataSource answer(String path, byte[] body) {
        return answer(path, Answer.body(body));
    }

    /** Appends to the script of {@code path}: given after the answers already queued. */
    public synchronized TestMetadataSource then(String path, Answer... answers) {
        scripts.computeIfAbsent(path, p -> new ArrayDeque<>()).addAll(Arrays.asList(answers));
        return this;
    }

    /** Appends a refresh outcome: the task JSON a coming refresh reads (the last one keeps being read). */
    public TestMetadataSource thenTask(byte[] taskJson) {
        return then(TASK_PATH, Answer.body(taskJson));
    }

    /** Appends a refresh that fails with {@code error}. */
    public TestMetadataSource thenFail(RuntimeException error) {
        return then(TASK_PATH, Answer.failure(error));
    }

    /** The answer for paths with no script; by default a {@link MetadataException} like the real client's 404. */
    public synchronized TestMetadataSource unscripted(Answer answer) {
        this.unscripted = Objects.requireNonNull(answer, "answer");
        return this;
    }

    /**
     * The task: {@link #current()} becomes this task at once (as if the platform had fetched it already) and
     * {@value #TASK_PATH} answers it from now on.
     */
    public TestMetadataSource task(byte[] taskJson) {
        current(taskJson);
        return answer(TASK_PATH, taskJson);
    }

    /** Sets the cached snapshot without a request (no listener is told). */
    public synchronized TestMetadataSource current(byte[] taskJson) {
        this.current = parse(taskJson);
        return this;
    }

    public synchronized TestMetadataSource current(TaskSnapshot snapshot) {
        this.current = snapshot;
        return this;
    }

    /** {@code false}: no endpoint is configured; every call fails and nothing is cached. */
    public synchronized TestMetadataSource available(boolean value) {
        this.available = value;
        if (!value) {
            current = null;
        }
        return this;
    }

    /** {@code v4} (default) or {@code v3}: how {@value #TASK_PATH} bodies are parsed. */
    public synchronized TestMetadataSource metadataVersion(String version) {
        this.metadataVersion = Objects.requireNonNull(version, "version");
        return this;
    }

    // ---------------------------------------------------------------- what happened

    /** How many times {@link #refresh()} was called. */
    public synchronized int refreshes() {
        return refreshes;
    }

    /** The path of every GET, refreshes' {@value #TASK_PATH} included, in order. */
    public synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    public synchronized long requests(String path) {
        return requests.stream().filter(path::equals).count();
    }

    // ---------------------------------------------------------------- TaskMetadataSource

    @Override
    public synchronized boolean available() {
        return available;
    }

    @Override
    public synchronized Optional<TaskSnapshot> current() {
        return Optional.ofNullable(current);
    }

    @Override
    public CompletionStage<TaskSnapshot> refresh() {
        TaskSnapshot previous;
        TaskSnapshot fresh;
        synchronized (this) {
            refreshes++;
            if (!available) {
                return CompletableFuture.failedFuture(notConfigured());
            }
            Answer answer = next(TASK_PATH);
            switch (answer) {
                case Answer.Thrown thrown -> throw thrown.error();
                case Answer.Failure failure -> {
                    return CompletableFuture.failedFuture(failure.error());
                }
                case Answer.Body body -> {
                    try {
                        fresh = parse(body.bytes());
                    } catch (RuntimeException e) {
                        return CompletableFuture.failedFuture(e instanceof MetadataException ? e
                                : new MetadataException("The /task response could not be read: " + e, e));
                    }
                }
            }
            previous = current;
            current = fresh;
        }
        if (previous == null || !previous.task().equals(fresh.task())) {
            listeners.forEach(listener -> listener.accept(fresh));
        }
        return CompletableFuture.completedFuture(fresh);
    }

    @Override
    public synchronized CompletionStage<byte[]> get(String path) {
        if (!available) {
            return CompletableFuture.failedFuture(notConfigured());
        }
        return switch (next(path)) {
            case Answer.Thrown thrown -> throw thrown.error();
            case Answer.Failure failure -> CompletableFuture.failedFuture(failure.error());
            case Answer.Body body -> CompletableFuture.completedFuture(body.bytes().clone());
        };
    }

    @Override
    public void onChange(Consumer<TaskSnapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public synchronized String toString() {
        return "TestMetadataSource[available=" + available + ", scripted=" + scripts.keySet() + ", requests="
                + requests.size() + "]";
    }

    private Answer next(String path) {
        requests.add(path);
        Deque<Answer> script = scripts.get(path);
        if (script == null || script.isEmpty()) {
            return unscripted != null ? unscripted : Answer.failure("GET " + path + " returned HTTP 404: the test "
                    + "scripted no answer for this path (TestMetadataSource.answer)");
        }
        return script.size() > 1 ? script.poll() : script.peek();
    }

    private TaskSnapshot parse(byte[] taskJson) {
        return new EcsTaskSnapshot(TaskMetadataParser.parseTask(taskJson, metadataVersion), clock.instant());
    }

    private static MetadataException notConfigured() {
        return new MetadataException("The ECS task metadata endpoint is not configured: neither "
                + "ECS_CONTAINER_METADATA_URI_V4 nor ECS_CONTAINER_METADATA_URI is set (TestMetadataSource "
                + "unavailable)");
    }
}
