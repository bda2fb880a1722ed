package io.pilotfish.core.ecs;

import io.pilotfish.core.http.BodyTooLargeException;
import io.pilotfish.core.http.LimitedBody;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The ECS task metadata endpoint (TMDE) client shared by every plugin: v4 when {@code ECS_CONTAINER_METADATA_URI_V4}
 * is set, else v3 ({@code ECS_CONTAINER_METADATA_URI}).
 *
 * <p>Every call is asynchronous and never blocks the caller. Each request has a deadline and is retried on
 * connection errors, timeouts and 5xx with exponential backoff and jitter; a 404 fails at once (the path is not
 * served by this endpoint version, so retrying cannot help). Concurrent {@link #refresh()} calls share one request.
 *
 * <p>No body longer than {@link Options#maxBodyBytes()} is read: a larger answer is refused (counted as
 * {@code metadata.answers_dropped{route,reason:body_too_large}}, logged once per route) and not retried, and the last
 * good snapshot stays, so the tagger and the collectors go on with it.
 */
public final class EcsMetadataClient implements TaskMetadataSource {

    public static final String ENV_V4 = "ECS_CONTAINER_METADATA_URI_V4";
    public static final String ENV_V3 = "ECS_CONTAINER_METADATA_URI";

    private static final System.Logger LOG = System.getLogger(EcsMetadataClient.class.getName());
    private static final int BODY_EXCERPT_CHARS = 200;

    /**
     * @param requestTimeout  deadline of one request, until the whole body is read
     * @param retries         further attempts after the first one fails with a retryable error
     * @param initialBackoff  delay before the first retry; doubles per retry, with jitter
     * @param maxBackoff      cap of the delay between attempts
     * @param maxBodyBytes    the longest body read from any route; a longer one is refused
     */
    public record Options(Duration requestTimeout, int retries, Duration initialBackoff, Duration maxBackoff,
                          long maxBodyBytes) {

        /**
         * The default body limit: a 32nd of the heap, from 1 MiB to 4 MiB (1.5 MiB with the launcher's 48 MiB). The
         * largest recorded answers are 12 KB for a two-container task (6 KB of stats per container), so even ten
         * containers on a 192-CPU host stay near 200 KB; parsed into a tree, a body takes several times its size.
         */
        public static final long DEFAULT_MAX_BODY_BYTES =
                Math.clamp(Runtime.getRuntime().maxMemory() / 32, 1L << 20, 4L << 20);

        public static final Options DEFAULTS =
                new Options(Duration.ofSeconds(2), 3, Duration.ofMillis(100), Duration.ofSeconds(2));

        public Options(Duration requestTimeout, int retries, Duration initialBackoff, Duration maxBackoff) {
            this(requestTimeout, retries, initialBackoff, maxBackoff, DEFAULT_MAX_BODY_BYTES);
        }

        public Options {
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            Objects.requireNonNull(initialBackoff, "initialBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
            }
            if (retries < 0 || retries > 10) {
                throw new IllegalArgumentException("retries must be from 0 to 10, was " + retries);
            }
            if (initialBackoff.isNegative() || initialBackoff.isZero()) {
                throw new IllegalArgumentException("initialBackoff must be positive, was " + initialBackoff);
            }
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff (" + maxBackoff + ") must not be below initialBackoff ("
                        + initialBackoff + ")");
            }
            if (maxBodyBytes < 1024 || maxBodyBytes > (1L << 30)) {
                throw new IllegalArgumentException("maxBodyBytes must be from 1024 to 1073741824, was " + maxBodyBytes);
            }
        }
    }

    /** Where the endpoint is, from which variable. */
    private record Endpoint(URI base, String version, String envVar) {
    }

    /** What a change listener compares: which containers exist and the states that events are made of. */
    private record TaskState(String taskArn, String knownStatus, Map<String, ContainerState> containers) {
    }

    private record ContainerState(String knownStatus, OptionalInt exitCode, OptionalInt restartCount) {
    }

    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final Options options;
    private final Endpoint endpoint;
    private final String unavailableReason;
    private final AtomicReference<CompletableFuture<TaskSnapshot>> inFlight = new AtomicReference<>();
    private final AtomicReference<TaskSnapshot> cached = new AtomicReference<>();
    private final List<Consumer<TaskSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private final SelfTelemetry telemetry;
    /** Routes whose oversized answer was logged: once each, the counter says how often since. */
    private final Set<String> refusalLogged = ConcurrentHashMap.newKeySet();

    /**
     * @param env        the process environment ({@code System.getenv()}); a parameter so tests can point it anywhere
     * @param http       used for every request; its executor runs the parsing
     * @param scheduler  runs retry delays, deadlines and change listeners
     * @param clock      stamps {@link TaskSnapshot#fetchedAt()}
     * @param telemetry  where refused answers are counted ({@code metadata.answers_dropped})
     */
    public EcsMetadataClient(Map<String, String> env, HttpClient http, ScheduledExecutorService scheduler, Clock clock,
                             Options options, SelfTelemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.http = Objects.requireNonNull(http, "http");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.options = Objects.requireNonNull(options, "options");
        StringBuilder problems = new StringBuilder();
        Endpoint found = endpointFrom(env, ENV_V4, "v4", problems);
        if (found == null) {
            found = endpointFrom(env, ENV_V3, "v3", problems);
        }
        this.endpoint = found;
        this.unavailableReason = problems.isEmpty()
                ? "The ECS task metadata endpoint is not configured: neither " + ENV_V4 + " nor " + ENV_V3
                        + " is set. Run inside an ECS task (ECS sets them), or set " + ENV_V4
                        + " to the endpoint's URL."
                : "The ECS task metadata endpoint is not usable: " + problems
                        + " Run inside an ECS task (ECS sets the variable), or set " + ENV_V4
                        + " to an http URL such as http://169.254.170.2/v4/<id>.";
    }

    /** A client whose refusals are counted nowhere (one-shot commands: they are in the failure's message). */
    public EcsMetadataClient(Map<String, String> env, HttpClient http, ScheduledExecutorService scheduler, Clock clock,
                             Options options) {
        this(env, http, scheduler, clock, options, UNCOUNTED);
    }

    public EcsMetadataClient(Map<String, String> env, HttpClient http, ScheduledExecutorService scheduler,
                             Clock clock) {
        this(env, http, scheduler, clock, Options.DEFAULTS);
    }

    /** Counts kept by nobody: the one-shot commands report a refusal through the failure's message. */
    private static final SelfTelemetry UNCOUNTED =
            new io.pilotfish.core.telemetry.TelemetryRegistry().scoped(io.pilotfish.spi.signal.TagSet.EMPTY);

    private static Endpoint endpointFrom(Map<String, String> env, String variable, String version,
                                         StringBuilder problems) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        String value = raw.trim();
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                while (value.endsWith("/")) {
                    value = value.substring(0, value.length() - 1);
                }
                return new Endpoint(URI.create(value), version, variable);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.append(variable).append(" is set to \"").append(value).append("\", which is not an http URL.");
        return null;
    }

    @Override
    public boolean available() {
        return endpoint != null;
    }

    /** {@code v4} or {@code v3}: the endpoint version in use; empty when none is configured. */
    public Optional<String> metadataVersion() {
        return Optional.ofNullable(endpoint).map(Endpoint::version);
    }

    /** The endpoint's base URL, without a trailing slash; empty when none is configured. */
    public Optional<URI> baseUri() {
        return Optional.ofNullable(endpoint).map(Endpoint::base);
    }

    /** The environment variable the endpoint came from; empty when none is configured. */
    public Optional<String> sourceVariable() {
        return Optional.ofNullable(endpoint).map(Endpoint::envVar);
    }

    /** Why {@link #available()} is false: what is missing or wrong and how to fix it. Empty when available. */
    public Optional<String> unavailableReason() {
        return endpoint == null ? Optional.of(unavailableReason) : Optional.empty();
    }

    @Override
    public Optional<TaskSnapshot> current() {
        return Optional.ofNullable(cached.get());
    }

    @Override
    public void onChange(Consumer<TaskSnapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public CompletionStage<TaskSnapshot> refresh() {
        if (endpoint == null) {
            return CompletableFuture.failedFuture(new MetadataException(unavailableReason));
        }
        CompletableFuture<TaskSnapshot> mine = new CompletableFuture<>();
        CompletableFuture<TaskSnapshot> running = inFlight.compareAndExchange(null, mine);
        if (running != null) {
            return running.copy();
        }
        get("/task")
                .thenApply(body -> (TaskSnapshot) new EcsTaskSnapshot(
                        TaskMetadataParser.parseTask(body, endpoint.version()), clock.instant()))
                .whenComplete((snapshot, error) -> {
                    // Cache first and clear the in-flight marker before completing, so a caller reacting to the
                    // result sees the new snapshot and starts a fresh request if it refreshes again.
                    if (error == null) {
                        TaskSnapshot previous = cached.getAndSet(snapshot);
                        if (previous == null || !stateOf(previous.task()).equals(stateOf(snapshot.task()))) {
                            notifyListeners(snapshot);
                        }
                    }
                    inFlight.set(null);
                    if (error == null) {
                        mine.complete(snapshot);
                    } else {
                        mine.completeExceptionally(asMetadataException(error, "Could not refresh task metadata"));
                    }
                });
        return mine.copy();
    }

    /** The body of the container endpoint (the base URL itself), parsed: the container this process runs in. */
    public CompletionStage<ContainerMetadata> ownContainer() {
        return get("").thenApply(TaskMetadataParser::parseContainer);
    }

    @Override
    public CompletableFuture<byte[]> get(String path) {
        if (endpoint == null) {
            return CompletableFuture.failedFuture(new MetadataException(unavailableReason));
        }
        if (path == null || !(path.isEmpty() || path.startsWith("/")) || path.contains("://")) {
            return CompletableFuture.failedFuture(new MetadataException("Task metadata path \"" + path
                    + "\" is not a path below the endpoint; use \"\" or one starting with \"/\", such as /task/stats"));
        }
        URI uri;
        try {
            uri = URI.create(endpoint.base() + path);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new MetadataException("Task metadata path \"" + path
                    + "\" does not form a valid URL: " + e.getMessage(), e));
        }
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        attempt(uri, path, 0, result);
        return result;
    }

    private void attempt(URI uri, String path, int attempt, CompletableFuture<byte[]> result) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(options.requestTimeout())
                .header("Accept", "application/json")
                .GET()
                .build();
        CompletableFuture<HttpResponse<byte[]>> send;
        try {
            send = http.sendAsync(request, LimitedBody.handler("GET " + uri, options.maxBodyBytes(), true));
        } catch (RuntimeException e) {
            result.completeExceptionally(new MetadataException("GET " + uri + " could not be sent: " + describe(e), e));
            return;
        }
        withDeadline(send, uri).whenComplete((response, error) -> {
            int attempts = attempt + 1;
            if (error != null) {
                Throwable cause = unwrap(error);
                Optional<BodyTooLargeException> tooLarge = BodyTooLargeException.in(cause);
                if (tooLarge.isPresent()) {
                    // The endpoint would answer the same again: no retry, and the cached snapshot stays.
                    refused(path, tooLarge.get());
                    result.completeExceptionally(new MetadataException(tooLarge.get().getMessage()
                            + "; the last good task metadata stays in use", tooLarge.get()));
                } else if (isRetryable(cause) && attempt < options.retries()) {
                    retryLater(uri, path, attempt, result);
                } else {
                    result.completeExceptionally(new MetadataException("GET " + uri + " failed after " + attempts
                            + (attempts == 1 ? " attempt: " : " attempts: ") + describe(cause), cause));
                }
                return;
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                result.complete(response.body() == null ? new byte[0] : response.body());
            } else if (status == 404) {
                result.completeExceptionally(new MetadataException("GET " + uri + " returned HTTP 404: the path \""
                        + path + "\" is not served by this task metadata endpoint version (" + endpoint.version()
                        + ", from " + endpoint.envVar() + ")"));
            } else if (status >= 500 && attempt < options.retries()) {
                retryLater(uri, path, attempt, result);
            } else {
                result.completeExceptionally(new MetadataException("GET " + uri + " returned HTTP " + status
                        + (status >= 500 ? " after " + attempts + (attempts == 1 ? " attempt" : " attempts") : "")
                        + excerpt(response.body())));
            }
        });
    }

    /** The HTTP client's own timeout stops at the response headers; this one also covers a body that stalls. */
    private CompletableFuture<HttpResponse<byte[]>> withDeadline(CompletableFuture<HttpResponse<byte[]>> send,
                                                                 URI uri) {
        CompletableFuture<HttpResponse<byte[]>> bounded = new CompletableFuture<>();
        ScheduledFuture<?> deadline;
        try {
            deadline = scheduler.schedule(() -> {
                if (bounded.completeExceptionally(new HttpTimeoutException("no complete response within "
                        + options.requestTimeout().toMillis() + " ms"))) {
                    send.cancel(true);
                }
            }, options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            deadline = null; // shutting down: the client's own timeout still applies
        }
        ScheduledFuture<?> timer = deadline;
        send.whenComplete((response, error) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            if (error != null) {
                bounded.completeExceptionally(error);
            } else {
                bounded.complete(response);
            }
        });
        return bounded;
    }

    private void retryLater(URI uri, String path, int attempt, CompletableFuture<byte[]> result) {
        try {
            scheduler.schedule(() -> attempt(uri, path, attempt + 1, result), backoff(attempt).toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new MetadataException("GET " + uri + " was not retried: the agent is shutting"
                    + " down", e));
        }
    }

    private void refused(String path, BodyTooLargeException refusal) {
        String route = path.isEmpty() ? "/" : path;
        telemetry.counter("metadata.answers_dropped", "route:" + route, "reason:body_too_large").increment();
        if (refusalLogged.add(route)) {
            LOG.log(System.Logger.Level.WARNING, refusal.getMessage() + "; the last good task metadata stays in use. "
                    + "Further refusals of " + route + " are only counted (pilotfish.metadata.answers_dropped)");
        }
    }

    /** Exponential backoff capped at {@code maxBackoff}, with jitter over its upper half so retries spread out. */
    Duration backoff(int attempt) {
        long initial = options.initialBackoff().toNanos();
        long cap = options.maxBackoff().toNanos();
        long base = attempt >= 62 ? cap : Math.min(cap, initial << Math.min(attempt, 30));
        if (base <= 0 || base > cap) {
            base = cap;
        }
        long half = base / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(base - half + 1));
    }

    private void notifyListeners(TaskSnapshot snapshot) {
        if (listeners.isEmpty()) {
            return;
        }
        try {
            scheduler.execute(() -> {
                for (Consumer<TaskSnapshot> listener : listeners) {
                    try {
                        listener.accept(snapshot);
                    } catch (RuntimeException | Error e) {
                        // One broken listener must not keep the others from hearing of the change.
                        LOG.log(System.Logger.Level.WARNING, "A task metadata change listener failed: " + e, e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "Task metadata change not delivered: the scheduler is shut down");
        }
    }

    private static TaskState stateOf(TaskMetadata task) {
        Map<String, ContainerState> containers = new HashMap<>();
        for (ContainerMetadata c : task.containers()) {
            containers.put(c.dockerId(), new ContainerState(c.knownStatus(), c.exitCode(), c.restartCount()));
        }
        return new TaskState(task.taskArn(), task.knownStatus(), containers);
    }

    private static boolean isRetryable(Throwable cause) {
        // HttpTimeoutException and ConnectException are IOExceptions; a reset connection is one too.
        return cause instanceof IOException || cause instanceof TimeoutException;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static MetadataException asMetadataException(Throwable error, String context) {
        Throwable cause = unwrap(error);
        if (cause instanceof MetadataException metadata) {
            return metadata;
        }
        return new MetadataException(context + ": " + describe(cause), cause);
    }

    private static String describe(Throwable cause) {
        if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
            return "timed out (" + cause.getMessage() + ")";
        }
        if (cause instanceof ConnectException) {
            return "could not connect (" + (cause.getMessage() == null ? "connection refused" : cause.getMessage())
                    + "); the endpoint only answers inside an ECS task";
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static String excerpt(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, BODY_EXCERPT_CHARS * 4), StandardCharsets.UTF_8)
                .replaceAll("\\s+", " ").trim();
        // Control characters escaped: the answer is quoted in logs and status, and must not forge or break lines.
        return text.isEmpty() ? "" : ": " + SafeText.excerpt(text, BODY_EXCERPT_CHARS);
    }
}
