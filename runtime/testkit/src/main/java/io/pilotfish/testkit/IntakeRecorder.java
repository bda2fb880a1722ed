package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.airlift.compress.zstd.ZstdInputStream;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * A Datadog intake on 127.0.0.1 that records every request. POST on any path is accepted (202
 * {@code {"errors":[]}}); {@code /api/v2/series} JSON bodies are decoded into {@link RecordedSeries} and
 * {@code /api/beta/sketches} protobuf bodies into {@link RecordedSketch}; {@code /api/v1/events} and
 * {@code /api/v1/check_run} bodies are read on demand ({@link #events()}, {@link #serviceChecks()}); gzip, deflate
 * (zlib) and zstd bodies are decompressed. Answers can be scripted. Thread-safe.
 *
 * <pre>{@code
 * try (var intake = IntakeRecorder.builder().acceptKeys("test-key").start()) {
 *     env.put("DD_DD_URL", intake.uri().toString());
 *     intake.respondNext(ScriptedResponse.status(503).withRetryAfter("2"));
 *     intake.awaitSeries("ecs.fargate.cpu.percent", s -> s.hasTags("ecs_container_name:app"), Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class IntakeRecorder extends LoopbackServer<IntakeRecorder> {

    public static final String SERIES_PATH = "/api/v2/series";
    /** The Agent's distribution intake: protobuf {@code SketchPayload}. */
    public static final String SKETCHES_PATH = "/api/beta/sketches";
    public static final String VALIDATE_PATH = "/api/v1/validate";
    /** Datadog's event intake: one JSON {@code EventCreateRequest} per request. */
    public static final String EVENTS_PATH = "/api/v1/events";
    /** Datadog's service check intake: a JSON array of checks per request. */
    public static final String CHECK_RUN_PATH = "/api/v1/check_run";
    public static final int DEFAULT_MAX_REQUESTS = 100_000;
    /** Datadog's limits for {@code /api/v2/series}: 512 000 bytes sent, 5 242 880 bytes decompressed. */
    public static final long SERIES_MAX_WIRE_BYTES = 512_000;
    public static final long SERIES_MAX_DECOMPRESSED_BYTES = 5_242_880;
    /**
     * The Agent's limits for sketch payloads ({@code serializer_max_payload_size} 2 621 440 bytes compressed,
     * {@code serializer_max_uncompressed_payload_size} 4 194 304), beyond which it says Datadog drops them.
     */
    public static final long SKETCHES_MAX_WIRE_BYTES = 2_621_440;
    public static final long SKETCHES_MAX_DECOMPRESSED_BYTES = 4_194_304;
    /** Bodies beyond this are never held in memory, whatever the path (answered 413). */
    static final long HARD_BODY_CAP = 64L * 1024 * 1024;
    private static final Set<String> SECRET_HEADERS = Set.of("dd-api-key", "dd-application-key");

    private final int maxRequests;
    private final boolean datadogLimits;
    private final Object lock = new Object();
    private final ArrayDeque<RecordedRequest> recorded = new ArrayDeque<>();
    private long sequence;
    private long dropped;
    private volatile Set<String> acceptedKeys;
    private final ConcurrentLinkedQueue<ScriptedResponse> script = new ConcurrentLinkedQueue<>();
    private volatile ScriptedResponse always;
    private volatile long bodyLimit;
    private volatile boolean outage;
    private volatile Consumer<RecordedRequest> listener;

    private IntakeRecorder(Builder b) {
        super(b, "intake recorder");
        if (b.maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests must be >= 1, got " + b.maxRequests);
        }
        this.maxRequests = b.maxRequests;
        this.datadogLimits = b.datadogLimits;
        this.acceptedKeys = Set.copyOf(b.keys);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts a recorder with defaults (any port, its own Vert.x, any API key). */
    public static IntakeRecorder startDefault() {
        return builder().start();
    }

    public static final class Builder extends LoopbackServer.ServerBuilder<Builder> {
        private int maxRequests = DEFAULT_MAX_REQUESTS;
        private boolean datadogLimits = true;
        private List<String> keys = List.of();

        private Builder() {
        }

        /** How many requests are kept; beyond it the oldest are dropped and counted ({@link #droppedRequests()}). */
        public Builder maxRequests(int value) {
            this.maxRequests = value;
            return this;
        }

        /** Whether series and sketch bodies over Datadog's size limits get 413 (default true). */
        public Builder datadogLimits(boolean value) {
            this.datadogLimits = value;
            return this;
        }

        /** Only these {@code DD-API-KEY}s are accepted (default: any). */
        public Builder acceptKeys(String... keys) {
            this.keys = List.of(keys);
            return this;
        }

        public IntakeRecorder build() {
            return new IntakeRecorder(this);
        }

        public IntakeRecorder start() {
            return build().start();
        }
    }

    // ---------------------------------------------------------------- address (lifecycle: LoopbackServer)

    /** {@code http://127.0.0.1:<port>}: the value for {@code DD_DD_URL} (or a sink's {@code url}). */
    public URI uri() {
        return baseUri();
    }

    // ---------------------------------------------------------------- behaviour

    /** From now on only these keys are accepted; no keys means any key. */
    public void acceptKeys(String... keys) {
        this.acceptedKeys = Set.of(keys);
    }

    /** Queues answers for the next POSTs that pass the key, size and encoding checks, in order. */
    public void respondNext(ScriptedResponse... responses) {
        script.addAll(Arrays.asList(responses));
    }

    public void respondNext(int status) {
        respondNext(ScriptedResponse.status(status));
    }

    public void respondNext(int status, String retryAfter) {
        respondNext(ScriptedResponse.status(status).withRetryAfter(retryAfter));
    }

    /** Every POST gets this status until {@link #reset()} (queued answers go first). */
    public void alwaysRespond(int status) {
        this.always = ScriptedResponse.status(status);
    }

    public void alwaysRespond(ScriptedResponse response) {
        this.always = Objects.requireNonNull(response, "response");
    }

    /** Bodies over this many bytes as sent get 413, on every path. */
    public void rejectBodiesOver(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("rejectBodiesOver needs bytes >= 0, got " + bytes);
        }
        this.bodyLimit = bytes;
    }

    /** Every request (validate included) gets 503 until {@link #recover()}. */
    public void outage() {
        this.outage = true;
    }

    public void recover() {
        this.outage = false;
    }

    /** Forgets queued answers, {@code alwaysRespond}, the body limit and any outage. Keys and recordings stay. */
    public void reset() {
        script.clear();
        always = null;
        bodyLimit = 0;
        outage = false;
    }

    /** Called (on the event loop, keep it short) after each request is recorded. */
    public void onRequest(Consumer<RecordedRequest> value) {
        this.listener = value;
    }

    // ---------------------------------------------------------------- queries

    public List<RecordedRequest> requests() {
        synchronized (lock) {
            return List.copyOf(recorded);
        }
    }

    public List<RecordedRequest> requests(String pathPrefix) {
        return requests().stream().filter(r -> r.path().startsWith(pathPrefix)).toList();
    }

    /** Requests received since start or {@link #clear()}, dropped ones included. */
    public long requestCount() {
        synchronized (lock) {
            return recorded.size() + dropped;
        }
    }

    /** Requests dropped because more than {@code maxRequests} arrived. */
    public long droppedRequests() {
        synchronized (lock) {
            return dropped;
        }
    }

    /** Forgets every recorded request and the dropped count. */
    public void clear() {
        synchronized (lock) {
            recorded.clear();
            dropped = 0;
        }
    }

    /** Every series of accepted (2xx) requests, in arrival order. */
    public List<RecordedSeries> series() {
        synchronized (lock) {
            return acceptedSeries().toList();
        }
    }

    public List<RecordedSeries> series(String metric) {
        synchronized (lock) {
            return acceptedSeries().filter(s -> s.metric().equals(metric)).toList();
        }
    }

    public SortedSet<String> seriesNames() {
        synchronized (lock) {
            return acceptedSeries().map(RecordedSeries::metric).collect(TreeSet::new, TreeSet::add, TreeSet::addAll);
        }
    }

    /** Every sketch of accepted (2xx) requests, in arrival order. */
    public List<RecordedSketch> sketches() {
        synchronized (lock) {
            return acceptedSketches().toList();
        }
    }

    public List<RecordedSketch> sketches(String metric) {
        synchronized (lock) {
            return acceptedSketches().filter(s -> s.metric().equals(metric)).toList();
        }
    }

    public SortedSet<String> sketchNames() {
        synchronized (lock) {
            return acceptedSketches().map(RecordedSketch::metric)
                    .collect(TreeSet::new, TreeSet::add, TreeSet::addAll);
        }
    }

    /**
     * Every event of accepted (2xx) {@value #EVENTS_PATH} requests, in arrival order.
     *
     * @throws IllegalArgumentException when an accepted body is not an event (the recorder accepts any body there)
     */
    public List<RecordedEvent> events() {
        return requests().stream().filter(RecordedRequest::accepted).flatMap(r -> eventsOf(r).stream()).toList();
    }

    /**
     * Every service check of accepted (2xx) {@value #CHECK_RUN_PATH} requests, in arrival order.
     *
     * @throws IllegalArgumentException when an accepted body is not an array of service checks
     */
    public List<RecordedServiceCheck> serviceChecks() {
        return requests().stream().filter(RecordedRequest::accepted).flatMap(r -> serviceChecksOf(r).stream())
                .toList();
    }

    /**
     * The event a {@value #EVENTS_PATH} request carries, whatever the answer; empty for other paths.
     *
     * @throws IllegalArgumentException naming the request and the field when the body is not an event
     */
    public static List<RecordedEvent> eventsOf(RecordedRequest request) {
        if (!EVENTS_PATH.equals(request.path())) {
            return List.of();
        }
        String where = "request #" + request.sequence() + " event";
        JsonNode event = Json.parse(request.body(), where);
        if (!event.isObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object");
        }
        return List.of(new RecordedEvent(requiredText(event, "title", where), optionalText(event, "text", where),
                optionalLong(event, "date_happened", where), optionalText(event, "priority", where),
                optionalText(event, "alert_type", where), optionalText(event, "host", where),
                textArray(event, "tags", where), optionalText(event, "aggregation_key", where),
                optionalText(event, "source_type_name", where)));
    }

    /**
     * The service checks a {@value #CHECK_RUN_PATH} request carries, whatever the answer; empty for other paths.
     *
     * @throws IllegalArgumentException naming the request and the field when the body is not an array of checks
     */
    public static List<RecordedServiceCheck> serviceChecksOf(RecordedRequest request) {
        if (!CHECK_RUN_PATH.equals(request.path())) {
            return List.of();
        }
        String where = "request #" + request.sequence() + " check_run";
        JsonNode checks = Json.parse(request.body(), where);
        if (!checks.isArray()) {
            throw new IllegalArgumentException(where + ": expected a JSON array");
        }
        List<RecordedServiceCheck> decoded = new ArrayList<>(checks.size());
        for (int i = 0; i < checks.size(); i++) {
            JsonNode check = checks.get(i);
            String at = where + "[" + i + "]";
            if (!check.isObject()) {
                throw new IllegalArgumentException(at + ": expected a JSON object");
            }
            JsonNode status = check.get("status");
            if (status == null || !status.isIntegralNumber() || status.asLong() < 0 || status.asLong() > 3) {
                throw new IllegalArgumentException(at + ".status: expected 0, 1, 2 or 3");
            }
            decoded.add(new RecordedServiceCheck(requiredText(check, "check", at), status.asInt(),
                    optionalLong(check, "timestamp", at), optionalText(check, "message", at),
                    optionalText(check, "host_name", at), textArray(check, "tags", at)));
        }
        return decoded;
    }

    private static String requiredText(JsonNode node, String field, String where) {
        String text = optionalText(node, field, where);
        if (text.isEmpty()) {
            throw new IllegalArgumentException(where + "." + field + ": expected a non-empty string");
        }
        return text;
    }

    private static String optionalText(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + ": expected a string");
        }
        return value.textValue();
    }

    private static long optionalLong(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(where + "." + field + ": expected an integer");
        }
        return value.longValue();
    }

    private static List<String> textArray(JsonNode node, String field, String where) {
        JsonNode array = node.get(field);
        if (array == null || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw new IllegalArgumentException(where + "." + field + ": expected an array of strings");
        }
        List<String> texts = new ArrayList<>(array.size());
        for (JsonNode element : array) {
            if (!element.isTextual()) {
                throw new IllegalArgumentException(where + "." + field + ": expected an array of strings");
            }
            texts.add(element.textValue());
        }
        return texts;
    }

    /**
     * One event as Datadog's v1 API takes it ({@code EventCreateRequest}); absent strings are empty, an absent
     * {@code date_happened} is 0.
     *
     * @param dateHappened epoch seconds, 0 when absent (Datadog then uses the time of receipt)
     * @param priority     {@code normal} or {@code low}
     * @param alertType    {@code info}, {@code warning}, {@code error} or {@code success}
     */
    public record RecordedEvent(String title, String text, long dateHappened, String priority, String alertType,
                                String host, List<String> tags, String aggregationKey, String sourceTypeName) {

        public RecordedEvent {
            Objects.requireNonNull(title, "title");
            tags = List.copyOf(tags);
        }

        /** Whether every given {@code key:value} tag is present. */
        public boolean hasTags(String... required) {
            return tags.containsAll(List.of(required));
        }

        /** The value of the first {@code key:value} tag with this key. */
        public Optional<String> tag(String key) {
            return firstTag(tags, key);
        }
    }

    /**
     * One service check as Datadog's {@code /api/v1/check_run} takes it; absent strings are empty.
     *
     * @param status    0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
     * @param timestamp epoch seconds, 0 when absent
     */
    public record RecordedServiceCheck(String check, int status, long timestamp, String message, String hostName,
                                       List<String> tags) {

        public static final int OK = 0;
        public static final int WARNING = 1;
        public static final int CRITICAL = 2;
        public static final int UNKNOWN = 3;

        public RecordedServiceCheck {
            Objects.requireNonNull(check, "check");
            tags = List.copyOf(tags);
        }

        /** {@code OK}, {@code WARNING}, {@code CRITICAL} or {@code UNKNOWN}. */
        public String statusName() {
            return switch (status) {
                case OK -> "OK";
                case WARNING -> "WARNING";
                case CRITICAL -> "CRITICAL";
                default -> "UNKNOWN";
            };
        }

        /** Whether every given {@code key:value} tag is present. */
        public boolean hasTags(String... required) {
            return tags.containsAll(List.of(required));
        }

        /** The value of the first {@code key:value} tag with this key. */
        public Optional<String> tag(String key) {
            return firstTag(tags, key);
        }
    }

    private static Optional<String> firstTag(List<String> tags, String key) {
        String prefix = key + ":";
        return tags.stream().filter(t -> t.startsWith(prefix)).map(t -> t.substring(prefix.length())).findFirst();
    }

    /** Points of accepted series with this name that carry all the given {@code key:value} tags. */
    public List<RecordedSeries.Point> points(String metric, String... requiredTags) {
        return series(metric).stream().filter(s -> s.hasTags(requiredTags))
                .flatMap(s -> s.points().stream()).toList();
    }

    /** Waits (without polling) for an accepted series with this name. */
    public RecordedSeries awaitSeries(String metric, Duration timeout) {
        return awaitSeries(metric, s -> true, timeout);
    }

    /**
     * Waits for an accepted series with this name that matches; returns the first such series. Throws
     * {@link AssertionError} listing the names seen when none arrives in time.
     */
    public RecordedSeries awaitSeries(String metric, Predicate<RecordedSeries> condition, Duration timeout) {
        Optional<RecordedSeries> found = awaitFound(() -> acceptedSeries()
                .filter(s -> s.metric().equals(metric) && condition.test(s)).findFirst(), timeout);
        return found.orElseThrow(() -> new AssertionError("no accepted series '" + metric
                + "' matching the condition within " + timeout + "; series seen: " + seriesNames()
                + "; requests: " + requestCount()));
    }

    /** Waits (without polling) for an accepted sketch with this name. */
    public RecordedSketch awaitSketch(String metric, Duration timeout) {
        return awaitSketch(metric, s -> true, timeout);
    }

    /**
     * Waits for an accepted sketch with this name that matches; returns the first such sketch. Throws
     * {@link AssertionError} listing the names seen when none arrives in time.
     */
    public RecordedSketch awaitSketch(String metric, Predicate<RecordedSketch> condition, Duration timeout) {
        Optional<RecordedSketch> found = awaitFound(() -> acceptedSketches()
                .filter(s -> s.metric().equals(metric) && condition.test(s)).findFirst(), timeout);
        return found.orElseThrow(() -> new AssertionError("no accepted sketch '" + metric
                + "' matching the condition within " + timeout + "; sketches seen: " + sketchNames()
                + "; requests: " + requestCount()));
    }

    /** Waits for a recorded request (accepted or not) that matches. */
    public RecordedRequest awaitRequest(Predicate<RecordedRequest> condition, Duration timeout) {
        Optional<RecordedRequest> found = awaitFound(() -> recorded.stream().filter(condition).findFirst(),
                timeout);
        return found.orElseThrow(() -> new AssertionError("no request matching the condition within " + timeout
                + "; requests: " + requestCount()));
    }

    private <T> Optional<T> awaitFound(Supplier<Optional<T>> search, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                Optional<T> found = search.get();
                long remaining = deadline - System.nanoTime();
                if (found.isPresent() || remaining <= 0) {
                    return found;
                }
                try {
                    lock.wait(Math.max(1, remaining / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the intake", e);
                }
            }
        }
    }

    private Stream<RecordedSeries> acceptedSeries() {
        return recorded.stream().filter(RecordedRequest::accepted).flatMap(r -> r.series().stream());
    }

    private Stream<RecordedSketch> acceptedSketches() {
        return recorded.stream().filter(RecordedRequest::accepted).flatMap(r -> r.sketches().stream());
    }

    // ---------------------------------------------------------------- HTTP

    @Override
    void handle(HttpServerRequest request) {
        Instant receivedAt = Instant.now();
        long limit = Math.min(HARD_BODY_CAP, bodyLimit > 0 ? bodyLimit : Long.MAX_VALUE);
        BodyCollector body = new BodyCollector(limit);
        request.handler(body::append);
        request.exceptionHandler(error -> {
            // The client went away mid-body: nothing to answer or record.
        });
        request.endHandler(ignored -> {
            try {
                finish(request, receivedAt, body);
            } catch (RuntimeException e) {
                answer(request, 500, Optional.empty(), "{\"errors\":[\"recorder error: " + e.getClass().getName()
                        + "\"]}");
            }
        });
    }

    private static final class BodyCollector {
        private final long keepUpTo;
        private final Buffer buffer = Buffer.buffer();
        private long size;

        BodyCollector(long keepUpTo) {
            this.keepUpTo = keepUpTo;
        }

        void append(Buffer chunk) {
            size += chunk.length();
            if (size <= keepUpTo) {
                buffer.appendBuffer(chunk);
            }
        }

        boolean overLimit() {
            return size > keepUpTo;
        }
    }

    private record Outcome(int status, String rejection, Optional<String> retryAfter, String body, Duration delay) {
        Outcome(int status, String rejection, Optional<String> retryAfter, String body) {
            this(status, rejection, retryAfter, body, Duration.ZERO);
        }

        static Outcome reject(int status, String rejection) {
            return new Outcome(status, rejection, Optional.empty(), ScriptedResponse.defaultBody(status));
        }
    }

    private void finish(HttpServerRequest request, Instant receivedAt, BodyCollector collected) {
        String path = request.path();
        String apiKey = request.getHeader("DD-API-KEY");
        String encoding = Optional.ofNullable(request.getHeader("Content-Encoding")).map(String::trim)
                .filter(e -> !e.isEmpty()).orElse("identity").toLowerCase(Locale.ROOT);
        boolean seriesPath = SERIES_PATH.equals(path);
        boolean sketchesPath = SKETCHES_PATH.equals(path);
        byte[] raw = collected.overLimit() ? new byte[0] : collected.buffer.getBytes();
        byte[] body = raw;
        List<RecordedSeries> series = List.of();
        List<RecordedSketch> sketches = List.of();
        Outcome outcome;
        Set<String> keys = acceptedKeys;
        boolean hasKey = apiKey != null && !apiKey.isEmpty();
        // Without configured keys any key passes; validating still needs one.
        boolean keyOk = keys.isEmpty() ? hasKey || !VALIDATE_PATH.equals(path) : hasKey && keys.contains(apiKey);
        if (outage) {
            outcome = Outcome.reject(503, "outage");
        } else if (!keyOk) {
            outcome = Outcome.reject(403, apiKey == null ? "no DD-API-KEY" : "DD-API-KEY not accepted");
        } else if (VALIDATE_PATH.equals(path) && request.method() == HttpMethod.GET) {
            outcome = new Outcome(200, null, Optional.empty(), "{\"valid\":true}");
        } else if (request.method() != HttpMethod.POST) {
            outcome = Outcome.reject(405, "method " + request.method() + " not allowed");
        } else if (collected.overLimit() || bodyLimit > 0 && collected.size > bodyLimit) {
            outcome = Outcome.reject(413, "body of " + collected.size + " bytes is over the limit");
        } else if (datadogLimits && seriesPath && collected.size > SERIES_MAX_WIRE_BYTES) {
            outcome = Outcome.reject(413, "series body of " + collected.size + " bytes is over Datadog's "
                    + SERIES_MAX_WIRE_BYTES);
        } else if (datadogLimits && sketchesPath && collected.size > SKETCHES_MAX_WIRE_BYTES) {
            outcome = Outcome.reject(413, "sketch body of " + collected.size + " bytes is over Datadog's "
                    + SKETCHES_MAX_WIRE_BYTES);
        } else {
            long maxDecompressed = !datadogLimits ? HARD_BODY_CAP : seriesPath ? SERIES_MAX_DECOMPRESSED_BYTES
                    : sketchesPath ? SKETCHES_MAX_DECOMPRESSED_BYTES : HARD_BODY_CAP;
            Decoded decoded = decompress(encoding, raw, maxDecompressed);
            if (decoded.failure() != null) {
                outcome = decoded.failure();
            } else {
                body = decoded.body();
                Outcome invalid = null;
                String contentType = request.getHeader("Content-Type");
                if (seriesPath && !isProtobuf(contentType)) {
                    try {
                        series = SeriesDecoder.decode(body);
                    } catch (IllegalArgumentException e) {
                        invalid = invalidPayload("invalid series payload: ", e.getMessage());
                    }
                } else if (sketchesPath && !isProtobuf(contentType)) {
                    // The sketch intake only speaks protobuf; a JSON or untyped body is a sender's mistake.
                    invalid = new Outcome(415, "sketches need Content-Type: application/x-protobuf, got "
                            + (contentType == null ? "none" : contentType), Optional.empty(),
                            ScriptedResponse.defaultBody(415));
                } else if (sketchesPath) {
                    try {
                        sketches = SketchDecoder.decode(body);
                    } catch (IllegalArgumentException e) {
                        invalid = invalidPayload("invalid sketch payload: ", e.getMessage());
                    }
                }
                ScriptedResponse scripted = script.poll();
                ScriptedResponse fixed = always;
                if (scripted != null || fixed != null) {
                    ScriptedResponse answer = scripted != null ? scripted : fixed;
                    boolean ok = answer.status() >= 200 && answer.status() < 300;
                    outcome = new Outcome(answer.status(), ok ? null : "scripted " + answer.status(),
                            answer.retryAfter(), answer.body(), answer.delay());
                } else if (invalid != null) {
                    outcome = invalid;
                } else {
                    outcome = new Outcome(202, null, Optional.empty(), "{\"errors\":[]}");
                }
            }
        }
        if (outcome.delay().isPositive()) {
            // A hanging intake: the answer is held; a client that gives up first never gets one.
            byte[] held = body;
            List<RecordedSeries> heldSeries = series;
            List<RecordedSketch> heldSketches = sketches;
            Outcome answer = outcome;
            vertx().setTimer(Math.max(1, outcome.delay().toMillis()), id -> {
                HttpServerResponse response = request.response();
                Outcome given = response.closed() || response.ended()
                        ? Outcome.reject(ScriptedResponse.CLIENT_CLOSED, "the client closed the connection while "
                        + "the answer (" + answer.status() + ") was held for " + answer.delay().toMillis() + " ms")
                        : answer;
                respond(request, receivedAt, path, encoding, collected.size, held, given, heldSeries, heldSketches,
                        apiKey);
            });
            return;
        }
        respond(request, receivedAt, path, encoding, collected.size, body, outcome, series, sketches, apiKey);
    }

    private void respond(HttpServerRequest request, Instant receivedAt, String path, String encoding, long wireBytes,
                         byte[] body, Outcome outcome, List<RecordedSeries> series, List<RecordedSketch> sketches,
                         String apiKey) {
        RecordedRequest record = record(receivedAt, request, path, encoding, wireBytes, body, outcome, series,
                sketches, apiKey);
        answer(request, outcome.status(), outcome.retryAfter(), outcome.body());
        Consumer<RecordedRequest> callback = listener;
        if (callback != null) {
            try {
                callback.accept(record);
            } catch (RuntimeException ignored) {
                // A listener's bug must not break the recorder.
            }
        }
    }

    private static Outcome invalidPayload(String what, String message) {
        return new Outcome(400, what + message, Optional.empty(), Json.string(errors(message)));
    }

    private static JsonNode errors(String message) {
        ObjectNode node = Json.object();
        node.putArray("errors").add(message);
        return node;
    }

    private RecordedRequest record(Instant receivedAt, HttpServerRequest request, String path, String encoding,
                                   long wireBytes, byte[] body, Outcome outcome, List<RecordedSeries> series,
                                   List<RecordedSketch> sketches, String apiKey) {
        synchronized (lock) {
            RecordedRequest record = new RecordedRequest(++sequence, receivedAt, request.method().name(), path,
                    request.query(), headers(request.headers()), encoding, wireBytes, body, outcome.status(),
                    outcome.rejection(), series, sketches, apiKey);
            if (recorded.size() >= maxRequests) {
                recorded.pollFirst();
                dropped++;
            }
            recorded.addLast(record);
            lock.notifyAll();
            return record;
        }
    }

    private static Map<String, List<String>> headers(MultiMap multiMap) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : multiMap.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!SECRET_HEADERS.contains(lower)) {
                headers.computeIfAbsent(lower, n -> new ArrayList<>()).addAll(multiMap.getAll(name));
            }
        }
        headers.replaceAll((name, values) -> List.copyOf(values));
        return headers;
    }

    private static void answer(HttpServerRequest request, int status, Optional<String> retryAfter, String body) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json");
        retryAfter.ifPresent(value -> response.putHeader("Retry-After", value));
        response.end(body);
    }

    private static boolean isProtobuf(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).contains("protobuf");
    }

    private record Decoded(byte[] body, Outcome failure) {
    }

    private static Decoded decompress(String encoding, byte[] raw, long maxBytes) {
        if (!Set.of("identity", "gzip", "x-gzip", "deflate", "zstd").contains(encoding)) {
            return new Decoded(null, Outcome.reject(415, "unsupported Content-Encoding: " + encoding));
        }
        if ("identity".equals(encoding)) {
            return raw.length > maxBytes
                    ? new Decoded(null, Outcome.reject(413, "body of " + raw.length + " bytes is over " + maxBytes))
                    : new Decoded(raw, null);
        }
        // "deflate" is zlib-wrapped (RFC 1950), as the Datadog Agent and most HTTP clients send it.
        try (InputStream in = switch (encoding) {
            case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(raw));
            case "zstd" -> new ZstdInputStream(new ByteArrayInputStream(raw));
            default -> new GZIPInputStream(new ByteArrayInputStream(raw));
        }) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (body.length > maxBytes) {
                return new Decoded(null, Outcome.reject(413, "decompressed body is over " + maxBytes + " bytes"));
            }
            return new Decoded(body, null);
        } catch (IOException | RuntimeException e) {
            // The zstd reader reports a malformed frame with an unchecked exception.
            return new Decoded(null, Outcome.reject(400, "body is not valid " + encoding + " data: "
                    + e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- command line

    /**
     * {@code IntakeRecorder [--port N] [--key K]...}: records until killed, printing one line per request (never
     * the key).
     */
    public static void main(String[] args) throws InterruptedException {
        Builder builder = builder();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> builder.port(Integer.parseInt(Objects.requireNonNull(value, "--port needs a number")));
                case "--key" -> keys.add(Objects.requireNonNull(value, "--key needs a value"));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--port N] [--key K]...");
            }
        }
        IntakeRecorder recorder = builder.acceptKeys(keys.toArray(String[]::new)).start();
        recorder.onRequest(request -> System.out.println(request));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            recorder.close();
            stopped.countDown();
        }));
        System.out.println("intake recorder listening on " + recorder.uri());
        stopped.await();
    }
}
