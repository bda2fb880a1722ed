package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The ECS task metadata endpoint (v4 and v3) on 127.0.0.1: one task, its containers and their stats, which
 * advance with the clock; lifecycle changes and faults can be injected while it runs. Thread-safe.
 *
 * <pre>{@code
 * try (var ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).start()) {
 *     env.put("ECS_CONTAINER_METADATA_URI_V4", ecs.v4Uri().toString());
 *     ecs.failNext(2, 503, "/task/stats");
 * }
 * }</pre>
 */
public final class EcsMetadataSimulator extends LoopbackServer<EcsMetadataSimulator> {

    public static final String V4_ENV = "ECS_CONTAINER_METADATA_URI_V4";
    public static final String V3_ENV = "ECS_CONTAINER_METADATA_URI";
    public static final String CREDENTIALS_FULL_URI_ENV = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    public static final String CREDENTIALS_RELATIVE_URI_ENV = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    public static final String AUTHORIZATION_TOKEN_ENV = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    /** Obviously fake task-role values the credentials endpoint serves unless told otherwise. */
    public static final String DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/test-task-role";
    public static final String DEFAULT_ACCESS_KEY_ID = "ASIATESTACCESSKEYID0";
    public static final String DEFAULT_SECRET_ACCESS_KEY = "test-secret-access-key";
    public static final String DEFAULT_SESSION_TOKEN = "test-session-token";
    public static final String DEFAULT_AUTHORIZATION_TOKEN = "test-authorization-token";
    private static final byte[] HTML_PAGE = ("<html><head><title>502 Bad Gateway</title></head>"
            + "<body><h1>502 Bad Gateway</h1></body></html>").getBytes(StandardCharsets.UTF_8);

    private final Clock clock;
    private final Object lock = new Object();
    private final ObjectNode task;
    private final boolean fargate;
    private final Map<String, ContainerStats> stats = new LinkedHashMap<>();
    private final Map<String, String> dockerIdByEndpoint = new LinkedHashMap<>();
    private final Map<String, String> endpointByDockerId = new HashMap<>();
    private final Map<String, StatsDefect> defects = new HashMap<>();
    private final ObjectNode tagFields;
    private final String selfDockerId;
    private final int onlineCpus;
    private final String networkModeHint;
    private final Ids ids;
    private final Faults faults = new Faults();
    private final Oversized oversized = new Oversized();
    private final ConcurrentHashMap<String, LongAdder> requestCounts = new ConcurrentHashMap<>();
    private final String credentialsPath = "/v2/credentials/" + UUID.randomUUID();
    private final String authorizationToken;
    private final Duration credentialsValidity;
    private volatile RoleCredentials roleCredentials;
    private final LongAdder credentialRequests = new LongAdder();
    private final LongAdder rejectedCredentialRequests = new LongAdder();

    private EcsMetadataSimulator(Builder b) {
        super(b, "ECS metadata simulator");
        this.clock = b.clock;
        this.authorizationToken = b.authorizationToken;
        this.credentialsValidity = b.credentialsValidity;
        this.roleCredentials = b.roleCredentials;
        Instant start = clock.instant();
        List<ContainerSpec> specs;
        if (b.spec != null) {
            this.ids = new Ids(b.spec.cluster() + "/" + b.spec.family() + ":" + b.spec.revision());
            this.task = TaskRenderer.renderTask(b.spec, start, ids);
            this.onlineCpus = b.spec.onlineCpus();
            this.networkModeHint = b.spec.networkMode();
            specs = b.spec.containers();
        } else {
            this.task = Json.parseObject(b.recordedTask, "the recorded /task JSON");
            validateRecordedTask(task);
            this.ids = new Ids(Json.text(task, "TaskARN", "recorded"));
            this.networkModeHint = null;
            ObjectNode recordedStats = b.recordedStats == null ? null
                    : Json.parseObject(b.recordedStats, "the recorded /task/stats JSON");
            this.onlineCpus = recordedStats == null ? 2 : recordedOnlineCpus(recordedStats);
            specs = null;
            if (recordedStats != null) {
                for (Map.Entry<String, JsonNode> entry : recordedStats.properties()) {
                    stats.put(entry.getKey(), ContainerStats.recorded(entry.getKey(), entry.getValue(), start));
                }
            }
        }
        this.fargate = "FARGATE".equalsIgnoreCase(Json.text(task, "LaunchType", ""));
        TaskRenderer.TaskContext context = context();
        ArrayNode containers = containers();
        for (int i = 0; i < containers.size(); i++) {
            ObjectNode container = (ObjectNode) containers.get(i);
            String dockerId = Json.text(container, "DockerId", "");
            if (!stats.containsKey(dockerId) && (specs != null || b.recordedStats == null)) {
                ContainerLoad load = specs != null ? specs.get(i).load() : ContainerLoad.DEFAULT;
                stats.put(dockerId, freshStats(context, container, load, start));
            }
            String endpointId = ids.uuid();
            dockerIdByEndpoint.put(endpointId, dockerId);
            endpointByDockerId.put(dockerId, endpointId);
        }
        this.tagFields = tagFields(b);
        String self = b.selfContainer != null ? b.selfContainer
                : b.spec != null ? b.spec.selfContainer() : firstNormalContainer();
        this.selfDockerId = Json.text(container(self), "DockerId", "");
    }

    /** A simulator of a task built in code. */
    public static Builder builder(TaskSpec task) {
        return new Builder(Objects.requireNonNull(task, "task"), null, null);
    }

    /**
     * A simulator replaying a recorded {@code /task} and {@code /task/stats} (e.g. from
     * {@code shared/testdata/ecs/fargate/}). Without stats ({@code null}) every container gets fresh ones.
     */
    public static Builder recorded(byte[] taskJson, byte[] taskStatsJson) {
        return new Builder(null, Objects.requireNonNull(taskJson, "taskJson"), taskStatsJson);
    }

    public static Builder recorded(Path taskJson, Path taskStatsJson) {
        return recorded(read(taskJson), taskStatsJson == null ? null : read(taskStatsJson));
    }

    /** Starts {@link TaskSpec#fargateDemoTask()} on a free port with its own Vert.x. */
    public static EcsMetadataSimulator startDemo() {
        return builder(TaskSpec.fargateDemoTask()).start();
    }

    public static final class Builder extends LoopbackServer.ServerBuilder<Builder> {
        private final TaskSpec spec;
        private final byte[] recordedTask;
        private final byte[] recordedStats;
        private byte[] recordedTaskWithTags;
        private Clock clock = Clock.systemUTC();
        private String selfContainer;
        private String authorizationToken = DEFAULT_AUTHORIZATION_TOKEN;
        private Duration credentialsValidity = Duration.ofHours(6);
        private RoleCredentials roleCredentials = RoleCredentials.DEFAULT;

        private Builder(TaskSpec spec, byte[] recordedTask, byte[] recordedStats) {
            this.spec = spec;
            this.recordedTask = recordedTask;
            this.recordedStats = recordedStats;
        }

        /** The clock stats follow; real time by default. */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** A {@link ManualClock} starting at {@code start}: stats only move on {@link #advance(Duration)}. */
        public Builder manualClock(Instant start) {
            return clock(new ManualClock(start));
        }

        /** The container the base endpoint describes; defaults to the spec's, or the first NORMAL container. */
        public Builder selfContainer(String name) {
            this.selfContainer = name;
            return this;
        }

        /** Recorded tasks: take {@code TaskTags}, {@code ContainerInstanceTags} and {@code Errors} from this file. */
        public Builder taskWithTags(byte[] json) {
            this.recordedTaskWithTags = json;
            return this;
        }

        public Builder taskWithTags(Path json) {
            return taskWithTags(read(json));
        }

        /** What the task-role credentials endpoint serves; {@link RoleCredentials#DEFAULT} unless set. */
        public Builder roleCredentials(RoleCredentials value) {
            this.roleCredentials = Objects.requireNonNull(value, "roleCredentials");
            return this;
        }

        /**
         * The {@code Authorization} header the credentials endpoint requires (the value of
         * {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}); {@code null} for none, as the ECS agent's relative URI.
         * Default {@link #DEFAULT_AUTHORIZATION_TOKEN}.
         */
        public Builder credentialsToken(String value) {
            if (value != null && value.isBlank()) {
                throw new IllegalArgumentException("credentialsToken must be null (no token) or non-blank");
            }
            this.authorizationToken = value;
            return this;
        }

        /** How long served credentials are valid (their {@code Expiration}, from real time); default 6 h. */
        public Builder credentialsValidity(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("credentialsValidity must be positive, got " + value);
            }
            this.credentialsValidity = value;
            return this;
        }

        public EcsMetadataSimulator build() {
            return new EcsMetadataSimulator(this);
        }

        /** Builds and starts; blocks until it listens. */
        public EcsMetadataSimulator start() {
            return build().start();
        }
    }

    // ---------------------------------------------------------------- addresses (lifecycle: LoopbackServer)

    /** The value of {@code ECS_CONTAINER_METADATA_URI_V4} for the self container. */
    public URI v4Uri() {
        return uri("v4", selfDockerId);
    }

    /** The value of {@code ECS_CONTAINER_METADATA_URI} (v3) for the self container. */
    public URI v3Uri() {
        return uri("v3", selfDockerId);
    }

    /** The v4 endpoint as another container of the task sees it. */
    public URI v4Uri(String containerName) {
        return uri("v4", dockerId(containerName));
    }

    public URI v3Uri(String containerName) {
        return uri("v3", dockerId(containerName));
    }

    /** Both metadata variables, ready to pass to a child process. */
    public Map<String, String> environment() {
        return Map.of(V4_ENV, v4Uri().toString(), V3_ENV, v3Uri().toString());
    }

    /**
     * {@link #environment()} plus the task role: {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} (loopback, which the
     * AWS SDKs accept for a full URI) and, when a token is configured, {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}.
     */
    public Map<String, String> environmentWithCredentials() {
        Map<String, String> env = new LinkedHashMap<>(environment());
        env.put(CREDENTIALS_FULL_URI_ENV, credentialsFullUri().toString());
        authorizationToken().ifPresent(token -> env.put(AUTHORIZATION_TOKEN_ENV, token));
        return Map.copyOf(env);
    }

    /** The value of {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}: {@code /v2/credentials/<uuid>}. */
    public String credentialsRelativeUri() {
        return credentialsPath;
    }

    /** The value of {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}: this server plus the relative URI. */
    public URI credentialsFullUri() {
        return URI.create(baseUri() + credentialsPath);
    }

    /** The token the credentials endpoint requires in {@code Authorization}; empty when it requires none. */
    public Optional<String> credentialsToken() {
        return authorizationToken();
    }

    private Optional<String> authorizationToken() {
        return Optional.ofNullable(authorizationToken);
    }

    /** The credentials served from now on (a rotated task role). */
    public void roleCredentials(RoleCredentials value) {
        this.roleCredentials = Objects.requireNonNull(value, "roleCredentials");
    }

    public RoleCredentials roleCredentials() {
        return roleCredentials;
    }

    /** Requests to the credentials endpoint, rejected ones included. */
    public long credentialRequests() {
        return credentialRequests.sum();
    }

    /** Credentials requests refused for a missing or wrong {@code Authorization} header. */
    public long rejectedCredentialRequests() {
        return rejectedCredentialRequests.sum();
    }

    /**
     * The task role's temporary credentials, as the ECS agent serves them. Its {@code toString} masks the secret
     * parts.
     */
    public record RoleCredentials(String roleArn, String accessKeyId, String secretAccessKey, String sessionToken) {

        public static final RoleCredentials DEFAULT = new RoleCredentials(DEFAULT_ROLE_ARN, DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY, DEFAULT_SESSION_TOKEN);

        public RoleCredentials {
            Objects.requireNonNull(roleArn, "roleArn");
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(secretAccessKey, "secretAccessKey");
            Objects.requireNonNull(sessionToken, "sessionToken");
        }

        @Override
        public String toString() {
            return "RoleCredentials[roleArn=" + roleArn + ", accessKeyId=" + accessKeyId
                    + ", secretAccessKey=<masked>, sessionToken=<masked>]";
        }
    }

    private URI uri(String version, String dockerId) {
        String endpointId;
        synchronized (lock) {
            endpointId = endpointByDockerId.get(dockerId);
        }
        return URI.create(baseUri() + "/" + version + "/" + endpointId);
    }

    // ---------------------------------------------------------------- clock and task state

    public Instant now() {
        return clock.instant();
    }

    /** The clock stats follow: a {@link ManualClock} when built with {@link Builder#manualClock(Instant)}. */
    Clock clock() {
        return clock;
    }

    /** Moves a manual clock (see {@link Builder#manualClock(Instant)}) forward. */
    public Instant advance(Duration step) {
        if (!(clock instanceof ManualClock manual)) {
            throw new IllegalStateException("advance() needs a manual clock: build with manualClock(start)");
        }
        return manual.advance(step);
    }

    public List<String> containerNames() {
        synchronized (lock) {
            List<String> names = new ArrayList<>();
            containers().forEach(c -> names.add(Json.text(c, "Name", "")));
            return names;
        }
    }

    public String dockerId(String containerName) {
        synchronized (lock) {
            return Json.text(container(containerName), "DockerId", "");
        }
    }

    /** The current v4 {@code /task} document (no request is counted). */
    public byte[] taskJson() {
        synchronized (lock) {
            return Json.bytes(task);
        }
    }

    /** The container exits: {@code KnownStatus STOPPED}, {@code ExitCode}, {@code FinishedAt}; its stats go null/{}. */
    public void stopContainer(String name, int exitCode) {
        synchronized (lock) {
            ObjectNode container = container(name);
            container.put("KnownStatus", "STOPPED");
            container.put("ExitCode", exitCode);
            container.put("FinishedAt", Json.time(clock.instant()));
            ContainerStats containerStats = stats.get(Json.text(container, "DockerId", ""));
            if (containerStats != null) {
                containerStats.stop();
            }
        }
    }

    /**
     * The container restarts in place: {@code RestartCount} + 1, RUNNING again, counters from zero, and the next
     * stats sample has no previous one (zero {@code preread} and {@code precpu_stats}).
     */
    public void restartContainer(String name) {
        synchronized (lock) {
            ObjectNode container = container(name);
            Instant now = clock.instant();
            container.put("RestartCount", Json.longAt(container, "RestartCount", 0) + 1);
            container.put("KnownStatus", "RUNNING");
            container.put("StartedAt", Json.time(now));
            container.remove(List.of("ExitCode", "FinishedAt"));
            String dockerId = Json.text(container, "DockerId", "");
            ContainerStats existing = stats.get(dockerId);
            ObjectNode zero = TaskRenderer.zeroStats(context(), container, onlineCpus,
                    existing != null ? existing.load() : ContainerLoad.DEFAULT);
            if (existing == null) {
                existing = ContainerStats.recorded(dockerId, null, now);
                stats.put(dockerId, existing);
            }
            existing.restart(zero, now);
        }
    }

    /** Adds a container that has just started; returns its DockerId. */
    public String addContainer(ContainerSpec spec) {
        return addContainer(spec, null);
    }

    /**
     * Adds a container that has just started under a DockerId given by the caller: a real container's id, so that
     * what the container itself reads from {@code /proc/self/cgroup} (and sends as DogStatsD's {@code c:} field)
     * names it in the task metadata.
     */
    public String addContainer(ContainerSpec spec, String dockerId) {
        synchronized (lock) {
            boolean taken = containers().findValues("Name").stream().anyMatch(n -> n.asText().equals(spec.name()));
            if (taken) {
                throw new IllegalArgumentException("container name '" + spec.name() + "' is already in the task");
            }
            Instant now = clock.instant();
            TaskRenderer.TaskContext context = context();
            ObjectNode container = TaskRenderer.renderContainer(context, spec, now, containers().size(), ids);
            if (dockerId != null) {
                container.put("DockerId", dockerId);
            } else {
                dockerId = Json.text(container, "DockerId", "");
            }
            containers().add(container);
            ContainerStats fresh = ContainerStats.recorded(dockerId, null, now);
            fresh.restart(TaskRenderer.zeroStats(context, container, onlineCpus, spec.load()), now);
            fresh.setLoad(spec.load(), now);
            if ("STOPPED".equals(spec.knownStatus())) {
                fresh.stop();
            }
            stats.put(dockerId, fresh);
            String endpointId = ids.uuid();
            dockerIdByEndpoint.put(endpointId, dockerId);
            endpointByDockerId.put(dockerId, endpointId);
            return dockerId;
        }
    }

    /** Changes how fast a container's counters grow from now on. */
    public void setLoad(String containerName, ContainerLoad load) {
        Objects.requireNonNull(load, "load");
        synchronized (lock) {
            statsOf(containerName).setLoad(load, clock.instant());
        }
    }

    public ContainerLoad load(String containerName) {
        synchronized (lock) {
            return statsOf(containerName).load();
        }
    }

    // ---------------------------------------------------------------- faults

    /** Delays every response by {@code delay} (0 removes it). */
    public void latency(Duration delay) {
        latency("", delay);
    }

    /** Delays responses to paths ending with {@code pathSuffix} (the largest matching delay wins). */
    public void latency(String pathSuffix, Duration delay) {
        Objects.requireNonNull(pathSuffix, "pathSuffix");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0, got " + delay);
        }
        if (delay.isZero()) {
            faults.latency.remove(pathSuffix);
        } else {
            faults.latency.put(pathSuffix, delay);
        }
    }

    /** Answers the next {@code count} requests with {@code status} and a small JSON error body. */
    public void failNext(int count, int status) {
        failNext(count, status, "");
    }

    /** Like {@link #failNext(int, int)}, only for paths ending with {@code pathSuffix} (e.g. {@code /task/stats}). */
    public void failNext(int count, int status, String pathSuffix) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status (100-599), got " + status);
        }
        faults.add(Faults.Kind.STATUS, count, pathSuffix, status, null);
    }

    /** Closes the connection of the next {@code count} requests without any response. */
    public void resetNext(int count) {
        resetNext(count, "");
    }

    public void resetNext(int count, String pathSuffix) {
        faults.add(Faults.Kind.RESET, count, pathSuffix, 0, null);
    }

    /** Answers the next {@code count} requests with 200 and a truncated JSON body. */
    public void malformedNext(int count) {
        malformedNext(count, "", Malformation.TRUNCATED);
    }

    public void malformedNext(int count, String pathSuffix) {
        malformedNext(count, pathSuffix, Malformation.TRUNCATED);
    }

    public void malformedNext(int count, String pathSuffix, Malformation how) {
        faults.add(Faults.Kind.MALFORMED, count, pathSuffix, 200, Objects.requireNonNull(how, "how"));
    }

    /**
     * Answers the next {@code count} requests for paths ending with {@code pathSuffix} with 200 and a body of
     * {@code bytes} bytes: the real answer with a {@code "Padding"} string field in front, so it is valid JSON that
     * a client without a size limit would read and accept. With {@code declareLength} the response carries its
     * {@code Content-Length}; without, it is chunked and the client learns the size only by reading. The body is
     * written with back-pressure and writing stops as soon as the client closes the connection, so
     * {@link #oversizedBytesWritten()} tells how much the client let through. Works on the credentials URI too.
     */
    public void oversizedNext(int count, String pathSuffix, long bytes, boolean declareLength) {
        if (bytes < 64) {
            throw new IllegalArgumentException("bytes must be at least 64, got " + bytes);
        }
        faults.add(new Faults.Rule(Faults.Kind.OVERSIZED, Objects.requireNonNull(pathSuffix, "pathSuffix"), 200,
                null, bytes, declareLength, new AtomicInteger(requirePositive(count))));
    }

    /** Bytes of oversized bodies ({@link #oversizedNext}) the server handed to the connection, over all of them. */
    public long oversizedBytesWritten() {
        return oversized.written.sum();
    }

    /** Oversized bodies whose connection the client closed before the whole body was written. */
    public long oversizedBodiesCutShort() {
        return oversized.cutShort.sum();
    }

    /** Oversized bodies written to their end: the client read (or buffered) all of it. */
    public long oversizedBodiesCompleted() {
        return oversized.completed.sum();
    }

    /** Breaks one container's entry in {@code /task/stats} (and its {@code /stats}) until cleared. */
    public void corruptStats(String containerName, StatsDefect defect) {
        Objects.requireNonNull(defect, "defect");
        synchronized (lock) {
            defects.put(dockerId(containerName), defect);
        }
    }

    public void clearStatsDefect(String containerName) {
        synchronized (lock) {
            defects.remove(dockerId(containerName));
        }
    }

    /**
     * The endpoint goes down: every request gets 503 until {@link #up()}. (The port stays bound, so a test can
     * never lose it to another process; use {@link #resetNext} for connection-level failures.)
     */
    public void down() {
        faults.down = true;
    }

    public void up() {
        faults.down = false;
    }

    public boolean isDown() {
        return faults.down;
    }

    /** Removes every fault: latency, pending scripted failures, malformed bodies, stats defects, down. */
    public void clearFaults() {
        faults.rules.clear();
        faults.latency.clear();
        faults.down = false;
        synchronized (lock) {
            defects.clear();
        }
    }

    // ---------------------------------------------------------------- request counters

    /** Requests whose path ends with {@code pathSuffix} (faulted ones included), e.g. {@code "/task/stats"}. */
    public long requestCount(String pathSuffix) {
        return requestCounts.entrySet().stream().filter(e -> e.getKey().endsWith(pathSuffix))
                .mapToLong(e -> e.getValue().sum()).sum();
    }

    /** Requests per exact path. */
    public Map<String, Long> requestCounts() {
        Map<String, Long> counts = new TreeMap<>();
        requestCounts.forEach((path, count) -> counts.put(path, count.sum()));
        return counts;
    }

    public void resetRequestCounts() {
        requestCounts.clear();
    }

    // ---------------------------------------------------------------- HTTP

    @Override
    void handle(HttpServerRequest request) {
        String path = request.path();
        requestCounts.computeIfAbsent(path, p -> new LongAdder()).increment();
        long delay = faults.latencyMillis(path);
        if (delay > 0) {
            vertx().setTimer(delay, id -> respond(request, path));
        } else {
            respond(request, path);
        }
    }

    private void respond(HttpServerRequest request, String path) {
        try {
            if (faults.down) {
                send(request, 503, error("simulated outage: the metadata endpoint is down"));
                return;
            }
            Faults.Rule rule = faults.claim(path);
            if (rule != null && rule.kind() == Faults.Kind.RESET) {
                request.connection().close();
                return;
            }
            if (rule != null && rule.kind() == Faults.Kind.STATUS) {
                send(request, rule.status(), error("simulated failure (HTTP " + rule.status() + ")"));
                return;
            }
            Reply reply = request.method() != HttpMethod.GET ? new Reply(405, error("only GET is supported"))
                    : path.equals(credentialsPath) ? credentials(request)
                    : route(path);
            if (rule != null && rule.kind() == Faults.Kind.OVERSIZED) {
                oversized.stream(request, reply.body(), rule.bytes(), rule.declareLength());
                return;
            }
            if (rule != null) {
                reply = malformed(reply.body(), rule.malformation());
            }
            send(request, reply.status(), reply.body());
        } catch (RuntimeException e) {
            send(request, 500, error("simulator error: " + e));
        }
    }

    private record Reply(int status, byte[] body) {
    }

    private Reply credentials(HttpServerRequest request) {
        credentialRequests.increment();
        if (authorizationToken != null && !authorizationToken.equals(request.getHeader("Authorization"))) {
            rejectedCredentialRequests.increment();
            return new Reply(401, error("the Authorization header must hold the value of " + AUTHORIZATION_TOKEN_ENV));
        }
        RoleCredentials served = roleCredentials;
        ObjectNode body = Json.object();
        body.put("RoleArn", served.roleArn());
        body.put("AccessKeyId", served.accessKeyId());
        body.put("SecretAccessKey", served.secretAccessKey());
        body.put("Token", served.sessionToken());
        // Real time, not the simulator's clock: SDKs compare it with their own clock and refetch expired ones.
        body.put("Expiration", Instant.now().plus(credentialsValidity).truncatedTo(ChronoUnit.SECONDS).toString());
        return new Reply(200, Json.bytes(body));
    }

    private Reply route(String path) {
        String version;
        if (path.startsWith("/v4/")) {
            version = "v4";
        } else if (path.startsWith("/v3/")) {
            version = "v3";
        } else {
            return new Reply(404, error("unknown path " + path
                    + ": use /v4/<endpoint id>, /v3/<endpoint id> or the credentials URI"));
        }
        String rest = path.substring(4);
        int slash = rest.indexOf('/');
        String endpointId = slash < 0 ? rest : rest.substring(0, slash);
        String subPath = slash < 0 ? "" : rest.substring(slash);
        boolean v3 = "v3".equals(version);
        synchronized (lock) {
            String dockerId = dockerIdByEndpoint.get(endpointId);
            if (dockerId == null) {
                return new Reply(404, error("unknown endpoint id " + endpointId));
            }
            JsonNode body = switch (subPath) {
                case "", "/" -> v3 ? TaskRenderer.v3Container(containerById(dockerId)) : containerById(dockerId);
                case "/task" -> v3 ? TaskRenderer.v3Task(task) : task;
                case "/taskWithTags" -> withTags(v3 ? TaskRenderer.v3Task(task) : task.deepCopy());
                case "/stats" -> statsJson(dockerId, v3);
                case "/task/stats" -> taskStatsJson(v3);
                default -> null;
            };
            if (body == null) {
                return new Reply(404, error("unknown path " + path));
            }
            return new Reply(200, Json.bytes(body));
        }
    }

    private ObjectNode withTags(ObjectNode taskDocument) {
        taskDocument.setAll(tagFields.deepCopy());
        return taskDocument;
    }

    private JsonNode taskStatsJson(boolean v3) {
        ObjectNode all = Json.object();
        for (String dockerId : stats.keySet()) {
            all.set(dockerId, statsJson(dockerId, v3));
        }
        return all;
    }

    private JsonNode statsJson(String dockerId, boolean v3) {
        ContainerStats containerStats = stats.get(dockerId);
        JsonNode sample;
        if (containerStats == null || containerStats.stopped()) {
            // What a stopped container shows: null on Fargate, {} on EC2.
            sample = fargate ? NullNode.getInstance() : Json.object();
        } else {
            sample = containerStats.sample(clock.instant());
            if (v3) {
                sample = TaskRenderer.v3Stats(sample, TaskRenderer.networkMode(findContainer(dockerId)));
            }
        }
        StatsDefect defect = defects.get(dockerId);
        return defect == null ? sample : defective(sample, defect);
    }

    private static JsonNode defective(JsonNode sample, StatsDefect defect) {
        return switch (defect) {
            case NOT_AN_OBJECT -> TextNode.valueOf("stats unavailable");
            case MISSING_FIELDS -> {
                ObjectNode partial = Json.object();
                for (String field : List.of("read", "preread", "name", "id")) {
                    if (sample.has(field)) {
                        partial.set(field, sample.get(field));
                    }
                }
                yield partial;
            }
            case WRONG_TYPES -> {
                ObjectNode broken = sample instanceof ObjectNode object ? object.deepCopy() : Json.object();
                ObjectNode cpu = broken.get("cpu_stats") instanceof ObjectNode c ? c : broken.putObject("cpu_stats");
                ObjectNode usage = cpu.get("cpu_usage") instanceof ObjectNode u ? u : cpu.putObject("cpu_usage");
                usage.put("total_usage", usage.path("total_usage").asText("lots"));
                cpu.put("online_cpus", "two");
                ObjectNode memory = broken.get("memory_stats") instanceof ObjectNode m ? m
                        : broken.putObject("memory_stats");
                memory.put("usage", memory.path("usage").asText("plenty"));
                broken.putArray("networks");
                yield broken;
            }
        };
    }

    private static Reply malformed(byte[] body, Malformation how) {
        return switch (how) {
            case TRUNCATED -> new Reply(200, Arrays.copyOf(body, Math.max(1, body.length / 2)));
            case NOT_JSON -> new Reply(200, HTML_PAGE);
            case EMPTY -> new Reply(200, new byte[0]);
            case WRONG_SHAPE -> new Reply(200, "[\"unexpected\"]".getBytes(StandardCharsets.UTF_8));
        };
    }

    private static void send(HttpServerRequest request, int status, byte[] body) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Buffer.buffer(body));
    }

    private static byte[] error(String message) {
        ObjectNode node = Json.object();
        node.put("error", message);
        return Json.bytes(node);
    }

    // ---------------------------------------------------------------- helpers (callers hold the lock)

    private ArrayNode containers() {
        return (ArrayNode) task.get("Containers");
    }

    private ObjectNode container(String name) {
        for (JsonNode c : containers()) {
            if (name.equals(Json.text(c, "Name", null))) {
                return (ObjectNode) c;
            }
        }
        throw new IllegalArgumentException("no container named '" + name + "'; the task has " + containerNamesLocked());
    }

    private List<String> containerNamesLocked() {
        List<String> names = new ArrayList<>();
        containers().forEach(c -> names.add(Json.text(c, "Name", "")));
        return names;
    }

    private ObjectNode findContainer(String dockerId) {
        for (JsonNode c : containers()) {
            if (dockerId.equals(Json.text(c, "DockerId", null))) {
                return (ObjectNode) c;
            }
        }
        return null;
    }

    private ObjectNode containerById(String dockerId) {
        ObjectNode container = findContainer(dockerId);
        if (container == null) {
            throw new IllegalStateException("container " + dockerId + " is no longer in the task");
        }
        return container;
    }

    private ContainerStats statsOf(String containerName) {
        ContainerStats containerStats = stats.get(Json.text(container(containerName), "DockerId", ""));
        if (containerStats == null) {
            throw new IllegalArgumentException("container '" + containerName + "' has no stats in this task");
        }
        return containerStats;
    }

    private TaskRenderer.TaskContext context() {
        return TaskRenderer.TaskContext.of(task, networkModeHint, ids);
    }

    private ContainerStats freshStats(TaskRenderer.TaskContext context, ObjectNode container, ContainerLoad load,
                                      Instant start) {
        Instant startedAt = Json.instant(container, "StartedAt").orElse(start.minus(TaskRenderer.UPTIME));
        if (startedAt.isAfter(start)) {
            startedAt = start;
        }
        Duration gap = context.fargate() ? Duration.ofSeconds(10) : Duration.ofSeconds(1);
        return ContainerStats.fresh(Json.text(container, "DockerId", ""),
                TaskRenderer.zeroStats(context, container, onlineCpus, load), startedAt, start, gap, load,
                "STOPPED".equals(Json.text(container, "KnownStatus", "")));
    }

    private String firstNormalContainer() {
        for (JsonNode c : containers()) {
            if ("NORMAL".equals(Json.text(c, "Type", "NORMAL"))) {
                return Json.text(c, "Name", "");
            }
        }
        return Json.text(containers().get(0), "Name", "");
    }

    private ObjectNode tagFields(Builder b) {
        ObjectNode fields = Json.object();
        if (b.spec != null) {
            ObjectNode taskTags = fields.putObject("TaskTags");
            b.spec.taskTags().forEach(taskTags::put);
            if (!b.spec.isFargate()) {
                ObjectNode instanceTags = fields.putObject("ContainerInstanceTags");
                b.spec.containerInstanceTags().forEach(instanceTags::put);
            }
        } else if (b.recordedTaskWithTags != null) {
            ObjectNode recorded = Json.parseObject(b.recordedTaskWithTags, "the recorded /taskWithTags JSON");
            for (String field : List.of("TaskTags", "ContainerInstanceTags", "Errors")) {
                if (recorded.has(field)) {
                    fields.set(field, recorded.get(field));
                }
            }
        } else {
            fields.putObject("TaskTags");
            if (!"FARGATE".equalsIgnoreCase(Json.text(task, "LaunchType", ""))) {
                fields.putObject("ContainerInstanceTags");
            }
        }
        return fields;
    }

    private static void validateRecordedTask(ObjectNode task) {
        JsonNode containers = task.get("Containers");
        if (!(containers instanceof ArrayNode array) || array.isEmpty()) {
            throw new IllegalArgumentException("the recorded /task JSON needs a non-empty Containers array");
        }
        for (int i = 0; i < array.size(); i++) {
            JsonNode c = array.get(i);
            if (!(c instanceof ObjectNode) || Json.text(c, "DockerId", null) == null
                    || Json.text(c, "Name", null) == null) {
                throw new IllegalArgumentException("the recorded /task JSON: Containers[" + i
                        + "] needs string fields DockerId and Name");
            }
        }
    }

    private static int recordedOnlineCpus(ObjectNode recordedStats) {
        for (JsonNode sample : recordedStats) {
            long online = Json.longAt(sample.path("cpu_stats"), "online_cpus", 0);
            if (online > 0) {
                return (int) online;
            }
        }
        return 2;
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Scripted faults; lock-free so the event loop never waits for a test thread. */
    private static final class Faults {
        enum Kind { STATUS, RESET, MALFORMED, OVERSIZED }

        record Rule(Kind kind, String suffix, int status, Malformation malformation, long bytes,
                    boolean declareLength, AtomicInteger remaining) {
            boolean claim(String path) {
                return path.endsWith(suffix) && remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
            }
        }

        final CopyOnWriteArrayList<Rule> rules = new CopyOnWriteArrayList<>();
        final ConcurrentHashMap<String, Duration> latency = new ConcurrentHashMap<>();
        volatile boolean down;

        void add(Kind kind, int count, String suffix, int status, Malformation malformation) {
            add(new Rule(kind, Objects.requireNonNull(suffix, "pathSuffix"), status, malformation, 0, false,
                    new AtomicInteger(requirePositive(count))));
        }

        void add(Rule rule) {
            rules.add(rule);
        }

        /** The first pending rule for this path, in the order they were added. */
        Rule claim(String path) {
            for (Rule rule : rules) {
                if (rule.claim(path)) {
                    if (rule.remaining().get() == 0) {
                        rules.remove(rule);
                    }
                    return rule;
                }
            }
            return null;
        }

        long latencyMillis(String path) {
            long max = 0;
            for (Map.Entry<String, Duration> entry : latency.entrySet()) {
                if (path.endsWith(entry.getKey())) {
                    max = Math.max(max, Math.max(1, entry.getValue().toMillis()));
                }
            }
            return max;
        }
    }

    private static int requirePositive(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
        return count;
    }

    /** Writes oversized bodies on the event loop, a chunk at a time, as fast as the client takes them. */
    private static final class Oversized {
        private static final int CHUNK = 64 * 1024;
        private static final Buffer PADDING = Buffer.buffer("x".repeat(CHUNK));

        final LongAdder written = new LongAdder();
        final LongAdder cutShort = new LongAdder();
        final LongAdder completed = new LongAdder();

        void stream(HttpServerRequest request, byte[] real, long bytes, boolean declareLength) {
            HttpServerResponse response = request.response();
            // {"Padding":"xxx…","rest":…} — the real answer's fields after a string that fills the size.
            byte[] head = "{\"Padding\":\"".getBytes(StandardCharsets.UTF_8);
            byte[] tail = real.length > 2 && real[0] == '{'
                    ? ("\"," + new String(real, 1, real.length - 1, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)
                    : "\"}".getBytes(StandardCharsets.UTF_8);
            long padding = Math.max(0, bytes - head.length - tail.length);
            response.setStatusCode(200).putHeader("Content-Type", "application/json");
            if (declareLength) {
                response.putHeader("Content-Length", Long.toString(head.length + padding + tail.length));
            } else {
                response.setChunked(true);
            }
            boolean[] closed = {false};
            response.closeHandler(ignored -> {
                if (!closed[0]) {
                    closed[0] = true;
                    cutShort.increment();
                }
            });
            response.exceptionHandler(ignored -> { });
            write(response, Buffer.buffer(head));
            pump(response, padding, tail, closed);
        }

        private void pump(HttpServerResponse response, long remaining, byte[] tail, boolean[] closed) {
            long left = remaining;
            while (!closed[0] && left > 0 && !response.writeQueueFull()) {
                int n = (int) Math.min(CHUNK, left);
                write(response, n == CHUNK ? PADDING : PADDING.slice(0, n));
                left -= n;
            }
            if (closed[0]) {
                return;
            }
            if (left > 0) {
                long rest = left;
                response.drainHandler(ignored -> pump(response, rest, tail, closed));
                return;
            }
            response.end(Buffer.buffer(tail)).onSuccess(ignored -> {
                written.add(tail.length);
                closed[0] = true;
                completed.increment();
            });
        }

        private void write(HttpServerResponse response, Buffer chunk) {
            int n = chunk.length();
            response.write(chunk).onSuccess(ignored -> written.add(n));
        }
    }

    // ---------------------------------------------------------------- command line

    /**
     * {@code EcsMetadataSimulator [--port N] [--task task.json [--stats task-stats.json]]}: serves the demo task
     * (or the recorded files) until killed, after printing the metadata and credentials variables.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        Path taskFile = null;
        Path statsFile = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(Objects.requireNonNull(value, "--port needs a number"));
                case "--task" -> taskFile = Path.of(Objects.requireNonNull(value, "--task needs a file"));
                case "--stats" -> statsFile = Path.of(Objects.requireNonNull(value, "--stats needs a file"));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--port N] [--task task.json [--stats task-stats.json]]");
            }
            i++;
        }
        Builder builder = taskFile == null ? builder(TaskSpec.fargateDemoTask()) : recorded(taskFile, statsFile);
        EcsMetadataSimulator simulator = builder.port(port).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stopped.countDown();
        }));
        System.out.println(V4_ENV + "=" + simulator.v4Uri());
        System.out.println(V3_ENV + "=" + simulator.v3Uri());
        System.out.println(CREDENTIALS_FULL_URI_ENV + "=" + simulator.credentialsFullUri());
        simulator.credentialsToken().ifPresent(token -> System.out.println(AUTHORIZATION_TOKEN_ENV + "=" + token));
        stopped.await();
    }
}
