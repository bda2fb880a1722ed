package io.pilotfish.core.ecs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EcsMetadataClientTest {

    /** Generous: only reached when something is broken, never a performance expectation. */
    private static final long WAIT_SECONDS = 20;
    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final EcsMetadataClient.Options FAST_RETRIES =
            new EcsMetadataClient.Options(Duration.ofSeconds(5), 3, Duration.ofMillis(1), Duration.ofMillis(5));

    private record Response(int status, byte[] body) {
        static Response ok(byte[] body) {
            return new Response(200, body);
        }

        static Response status(int status, String body) {
            return new Response(status, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private interface Responder {
        Response respond(int call) throws Exception;
    }

    private HttpServer server;
    private ExecutorService serverThreads;
    private ScheduledExecutorService scheduler;
    private HttpClient http;
    private final Map<String, Responder> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final CountDownLatch releaseBlocked = new CountDownLatch(1);
    private String base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads); // blocking responders must not hold up other requests
        server.createContext("/", this::handle);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "metadata-test-scheduler"));
        http = HttpClient.newHttpClient();
    }

    @AfterEach
    void stop() {
        releaseBlocked.countDown();
        server.stop(0);
        serverThreads.shutdownNow();
        scheduler.shutdownNow();
        http.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        int call = hits.computeIfAbsent(path, p -> new AtomicInteger()).getAndIncrement();
        Responder responder = routes.get(path);
        Response response;
        try {
            response = responder == null ? Response.status(404, "404 page not found") : responder.respond(call);
        } catch (Exception e) {
            response = Response.status(599, "test responder failed: " + e);
        }
        exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(response.body());
        }
    }

    private int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    private EcsMetadataClient client(Map<String, String> env, EcsMetadataClient.Options options) {
        return new EcsMetadataClient(env, http, scheduler, Clock.fixed(NOW, ZoneOffset.UTC), options);
    }

    private EcsMetadataClient v4Client(EcsMetadataClient.Options options) {
        return client(Map.of(EcsMetadataClient.ENV_V4, base + "/v4/abc"), options);
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static MetadataException failure(CompletionStage<?> stage) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS));
        return assertInstanceOf(MetadataException.class, e.getCause());
    }

    /** Waits until everything already handed to the single scheduler thread (listener deliveries) has run. */
    private void drainScheduler() throws Exception {
        scheduler.submit(() -> { }).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static byte[] fargateTask() {
        return EcsTestData.bytes("fargate/task.json");
    }

    /** fargate/task.json with one container changed by {@code edit}. */
    private static byte[] fargateTaskWith(int container, java.util.function.Consumer<ObjectNode> edit)
            throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(fargateTask());
        edit.accept((ObjectNode) root.get("Containers").get(container));
        return mapper.writeValueAsBytes(root);
    }

    @Test
    void refreshFetchesParsesAndCachesTheTask() throws Exception {
        routes.put("/v4/abc/task", call -> Response.ok(fargateTask()));
        EcsMetadataClient client = v4Client(FAST_RETRIES);
        assertTrue(client.available());
        assertEquals(Optional.of("v4"), client.metadataVersion());
        assertEquals(Optional.of(EcsMetadataClient.ENV_V4), client.sourceVariable());
        assertEquals(Optional.empty(), client.current());

        TaskSnapshot snapshot = await(client.refresh());
        assertEquals("akira-fargate-check", snapshot.task().family());
        assertEquals("v4", snapshot.task().metadataVersion());
        assertEquals(NOW, snapshot.fetchedAt());
        assertInstanceOf(EcsTaskSnapshot.class, snapshot);
        assertSame(snapshot, client.current().orElseThrow());
        assertEquals(1, hits("/v4/abc/task"));
    }

    @Test
    void trailingSlashInTheVariableIsIgnored() throws Exception {
        routes.put("/v4/abc/task", call -> Response.ok(fargateTask()));
        EcsMetadataClient client = client(Map.of(EcsMetadataClient.ENV_V4, base + "/v4/abc/"), FAST_RETRIES);
        await(client.refresh());
        assertEquals(1, hits("/v4/abc/task"));
    }

    @Test
    void concurrentRefreshesShareOneRequest() throws Exception {
        CountDownLatch requestArrived = new CountDownLatch(1);
        routes.put("/v4/abc/task", call -> {
            requestArrived.countDown();
            releaseBlocked.await();
            return Response.ok(fargateTask());
        });
        EcsMetadataClient client = v4Client(FAST_RETRIES);
        int callers = 8;
        CyclicBarrier together = new CyclicBarrier(callers);
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try {
            List<CompletableFuture<CompletionStage<TaskSnapshot>>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        together.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return client.refresh();
                }, threads));
            }
            List<CompletionStage<TaskSnapshot>> stages = new ArrayList<>();
            for (CompletableFuture<CompletionStage<TaskSnapshot>> call : calls) {
                // refresh() returns at once: the request is still held by the server here
                stages.add(call.get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
            assertTrue(requestArrived.await(WAIT_SECONDS, TimeUnit.SECONDS));
            for (CompletionStage<TaskSnapshot> stage : stages) {
                assertFalse(stage.toCompletableFuture().isDone(), "completed before the response was sent");
            }
            releaseBlocked.countDown();
            TaskSnapshot first = await(stages.get(0));
            for (CompletionStage<TaskSnapshot> stage : stages) {
                assertSame(first, await(stage));
            }
            assertEquals(1, hits("/v4/abc/task"));

            // Once done, the next refresh asks again.
            await(client.refresh());
            assertEquals(2, hits("/v4/abc/task"));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws Exception {
        routes.put("/v4/abc/task", call -> call < 2 ? Response.status(503, "busy") : Response.ok(fargateTask()));
        TaskSnapshot snapshot = await(v4Client(FAST_RETRIES).refresh());
        assertEquals("akira-fargate-check", snapshot.task().family());
        assertEquals(3, hits("/v4/abc/task"));
    }

    @Test
    void serverErrorsExhaustTheRetries() {
        routes.put("/v4/abc/task", call -> Response.status(500, "internal\nerror"));
        MetadataException e = failure(v4Client(FAST_RETRIES).refresh());
        assertEquals("GET " + base + "/v4/abc/task returned HTTP 500 after 4 attempts: internal error",
                e.getMessage());
        assertEquals(4, hits("/v4/abc/task"));
    }

    @Test
    void clientErrorsOtherThan404AreNotRetried() {
        routes.put("/v4/abc/task", call -> Response.status(400, "bad request"));
        MetadataException e = failure(v4Client(FAST_RETRIES).get("/task"));
        assertEquals("GET " + base + "/v4/abc/task returned HTTP 400: bad request", e.getMessage());
        assertEquals(1, hits("/v4/abc/task"));
    }

    @Test
    void anErrorBodyIsQuotedWithControlCharactersEscapedAndCut() {
        routes.put("/v4/abc/task", call -> Response.status(400, "no\u001b[2J\u0007 " + "x".repeat(500)));
        MetadataException e = failure(v4Client(FAST_RETRIES).get("/task"));
        assertTrue(e.getMessage().startsWith("GET " + base + "/v4/abc/task returned HTTP 400: no\\x1b[2J\\x07 xxx"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("...(cut at 200 characters)"), e.getMessage());
    }

    @Test
    void connectionErrorsAreRetriedThenReported() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } // closed: nothing listens on this port now
        EcsMetadataClient client = client(Map.of(EcsMetadataClient.ENV_V4, "http://127.0.0.1:" + port + "/v4/x"),
                FAST_RETRIES);
        MetadataException e = failure(client.refresh());
        assertTrue(e.getMessage().startsWith("GET http://127.0.0.1:" + port + "/v4/x/task failed after 4 attempts:"),
                e.getMessage());
        assertTrue(e.getMessage().contains("could not connect"), e.getMessage());
    }

    @Test
    void aSlowEndpointTimesOut() {
        routes.put("/v4/abc/task", call -> {
            releaseBlocked.await();
            return Response.ok(fargateTask());
        });
        EcsMetadataClient client = v4Client(
                new EcsMetadataClient.Options(Duration.ofMillis(300), 1, Duration.ofMillis(1), Duration.ofMillis(1)));
        MetadataException e = failure(client.refresh());
        assertTrue(e.getMessage().contains("failed after 2 attempts: timed out"), e.getMessage());
        assertEquals(Optional.empty(), client.current());
    }

    @Test
    void notFoundFailsAtOnceAndSaysTheVersionDoesNotServeThePath() {
        EcsMetadataClient client = v4Client(FAST_RETRIES);
        MetadataException e = failure(client.get("/tasks/stats"));
        assertEquals("GET " + base + "/v4/abc/tasks/stats returned HTTP 404: the path \"/tasks/stats\" is not served"
                + " by this task metadata endpoint version (v4, from ECS_CONTAINER_METADATA_URI_V4)", e.getMessage());
        assertEquals(1, hits("/v4/abc/tasks/stats"));
    }

    @Test
    void getReturnsTheRawBody() throws Exception {
        byte[] stats = EcsTestData.bytes("fargate/task-stats.json");
        routes.put("/v4/abc/task/stats", call -> Response.ok(stats));
        assertEquals(new String(stats, StandardCharsets.UTF_8),
                new String(await(v4Client(FAST_RETRIES).get("/task/stats")), StandardCharsets.UTF_8));
    }

    @Test
    void ownContainerReadsTheBaseUrl() throws Exception {
        routes.put("/v4/abc", call -> Response.ok(EcsTestData.bytes("fargate/container.json")));
        assertEquals("curl", await(v4Client(FAST_RETRIES).ownContainer()).name());
    }

    @Test
    void pathsMustBeBelowTheEndpoint() {
        EcsMetadataClient client = v4Client(FAST_RETRIES);
        assertTrue(failure(client.get("task")).getMessage().contains("starting with \"/\""));
        assertTrue(failure(client.get("/x?y=http://evil")).getMessage().contains("not a path below the endpoint"));
        assertTrue(hits.isEmpty());
    }

    @Test
    void malformedJsonFailsTheRefreshAndKeepsTheLastGoodSnapshot() throws Exception {
        routes.put("/v4/abc/task", call -> call == 0 ? Response.ok(fargateTask())
                : Response.ok("{\"TaskARN\": ".getBytes(StandardCharsets.UTF_8)));
        EcsMetadataClient client = v4Client(FAST_RETRIES);
        TaskSnapshot good = await(client.refresh());
        MetadataException e = failure(client.refresh());
        assertTrue(e.getMessage().startsWith("The /task response is not valid JSON"), e.getMessage());
        assertSame(good, client.current().orElseThrow());
        assertEquals(2, hits("/v4/abc/task"), "a parse error is not retried");
    }

    @Test
    void wrongShapeFailsTheRefresh() {
        routes.put("/v4/abc/task", call -> Response.ok(EcsTestData.bytes("fargate/container.json")));
        MetadataException e = failure(v4Client(FAST_RETRIES).refresh());
        assertTrue(e.getMessage().contains("has no TaskARN"), e.getMessage());
    }

    @Test
    void listenersHearOfChangesOnTheSchedulerThread() throws Exception {
        byte[] stopped = fargateTaskWith(1, c -> c.put("KnownStatus", "STOPPED").put("ExitCode", 137));
        byte[] restarted = fargateTaskWith(1, c -> c.put("KnownStatus", "RUNNING").put("RestartCount", 1));
        byte[] storageOnly = fargateTaskWith(1, c -> c.put("KnownStatus", "RUNNING").put("RestartCount", 1)
                .put("SomethingNew", "ignored"));
        List<byte[]> bodies = List.of(fargateTask(), fargateTask(), stopped, restarted, storageOnly);
        routes.put("/v4/abc/task", call -> Response.ok(bodies.get(call)));

        EcsMetadataClient client = v4Client(FAST_RETRIES);
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        client.onChange(snapshot -> {
            throw new IllegalStateException("a broken listener");
        });
        client.onChange(snapshot -> heard.add(Thread.currentThread().getName() + " "
                + snapshot.task().containers().get(1).knownStatus() + " "
                + snapshot.task().containers().get(1).restartCount()));

        await(client.refresh()); // first snapshot: a change
        drainScheduler();
        assertEquals(List.of("metadata-test-scheduler RUNNING OptionalInt.empty"), heard);

        await(client.refresh()); // same state: no change
        drainScheduler();
        assertEquals(1, heard.size());

        await(client.refresh()); // container stopped with an exit code
        drainScheduler();
        assertEquals("metadata-test-scheduler STOPPED OptionalInt.empty", heard.get(1));

        await(client.refresh()); // restarted
        drainScheduler();
        assertEquals("metadata-test-scheduler RUNNING OptionalInt[1]", heard.get(2));

        await(client.refresh()); // only a field listeners do not compare changed
        drainScheduler();
        assertEquals(3, heard.size());
    }

    @Test
    void containerSetChangeIsAChange() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(fargateTask());
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("Containers")).remove(1);
        byte[] oneContainer = mapper.writeValueAsBytes(root);
        List<byte[]> bodies = List.of(fargateTask(), oneContainer);
        routes.put("/v4/abc/task", call -> Response.ok(bodies.get(call)));
        EcsMetadataClient client = v4Client(FAST_RETRIES);
        AtomicInteger changes = new AtomicInteger();
        client.onChange(snapshot -> changes.incrementAndGet());
        await(client.refresh());
        await(client.refresh());
        drainScheduler();
        assertEquals(2, changes.get());
    }

    @Test
    void fallsBackToV3() throws Exception {
        routes.put("/v3/xyz/task", call -> Response.ok(EcsTestData.bytes("v3/task.json")));
        EcsMetadataClient client = client(Map.of(EcsMetadataClient.ENV_V3, base + "/v3/xyz"), FAST_RETRIES);
        assertTrue(client.available());
        assertEquals(Optional.of("v3"), client.metadataVersion());
        TaskSnapshot snapshot = await(client.refresh());
        assertEquals("v3", snapshot.task().metadataVersion());
        assertEquals("nginx", snapshot.task().family());
        MetadataException e = failure(client.get("/task/stats"));
        assertTrue(e.getMessage().contains("not served by this task metadata endpoint version (v3, from "
                + "ECS_CONTAINER_METADATA_URI)"), e.getMessage());
    }

    @Test
    void prefersV4WhenBothAreSet() {
        EcsMetadataClient client = client(Map.of(EcsMetadataClient.ENV_V3, base + "/v3/xyz",
                EcsMetadataClient.ENV_V4, base + "/v4/abc"), FAST_RETRIES);
        assertEquals(Optional.of("v4"), client.metadataVersion());
        assertEquals(base + "/v4/abc", client.baseUri().orElseThrow().toString());
    }

    @Test
    void unavailableWithoutTheVariables() {
        EcsMetadataClient client = client(Map.of("ECS_CONTAINER_METADATA_URI_V4", "  "), FAST_RETRIES);
        assertFalse(client.available());
        assertEquals(Optional.empty(), client.metadataVersion());
        assertEquals(Optional.empty(), client.current());
        MetadataException refresh = failure(client.refresh());
        assertTrue(refresh.getMessage().contains("Run inside an ECS task"), refresh.getMessage());
        assertTrue(refresh.getMessage().contains("set ECS_CONTAINER_METADATA_URI_V4"), refresh.getMessage());
        assertEquals(refresh.getMessage(), failure(client.get("/task")).getMessage());
        assertEquals(refresh.getMessage(), client.unavailableReason().orElseThrow());
        assertTrue(hits.isEmpty());
    }

    @Test
    void unusableVariableIsNamed() {
        EcsMetadataClient client = client(Map.of(EcsMetadataClient.ENV_V4, "169.254.170.2/v4/abc"), FAST_RETRIES);
        assertFalse(client.available());
        MetadataException e = failure(client.refresh());
        assertTrue(e.getMessage().contains("ECS_CONTAINER_METADATA_URI_V4 is set to \"169.254.170.2/v4/abc\", which"
                + " is not an http URL"), e.getMessage());
    }

    @Test
    void invalidV4FallsBackToAValidV3() {
        EcsMetadataClient client = client(Map.of(EcsMetadataClient.ENV_V4, "nonsense",
                EcsMetadataClient.ENV_V3, base + "/v3/xyz"), FAST_RETRIES);
        assertEquals(Optional.of("v3"), client.metadataVersion());
    }

    @Test
    void optionsAreValidated() {
        assertEquals(Duration.ofSeconds(2), EcsMetadataClient.Options.DEFAULTS.requestTimeout());
        assertEquals(3, EcsMetadataClient.Options.DEFAULTS.retries());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EcsMetadataClient.Options(Duration.ZERO, 3, Duration.ofMillis(1), Duration.ofMillis(1)));
        assertTrue(e.getMessage().startsWith("requestTimeout must be positive"));
        assertThrows(IllegalArgumentException.class,
                () -> new EcsMetadataClient.Options(Duration.ofSeconds(1), -1, Duration.ofMillis(1),
                        Duration.ofMillis(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new EcsMetadataClient.Options(Duration.ofSeconds(1), 1, Duration.ofMillis(10),
                        Duration.ofMillis(1)));
    }

    @Test
    void backoffDoublesWithJitterUpToTheCap() {
        EcsMetadataClient client = v4Client(EcsMetadataClient.Options.DEFAULTS);
        for (int i = 0; i < 50; i++) {
            Duration first = client.backoff(0);
            assertTrue(first.compareTo(Duration.ofMillis(50)) >= 0 && first.compareTo(Duration.ofMillis(100)) <= 0,
                    first.toString());
            Duration third = client.backoff(2);
            assertTrue(third.compareTo(Duration.ofMillis(200)) >= 0 && third.compareTo(Duration.ofMillis(400)) <= 0,
                    third.toString());
            Duration late = client.backoff(40);
            assertTrue(late.compareTo(Duration.ofSeconds(1)) >= 0 && late.compareTo(Duration.ofSeconds(2)) <= 0,
                    late.toString());
        }
    }
}
