package io.pilotfish.testkit;

import static io.pilotfish.testkit.Http.at;
import static io.pilotfish.testkit.Http.get;
import static io.pilotfish.testkit.Http.getJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EcsMetadataSimulatorFaultsTest {

    private EcsMetadataSimulator ecs;
    private URI task;
    private URI taskStats;

    @BeforeEach
    void start() {
        ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(Instant.parse("2026-03-01T12:00:00Z")).start();
        task = at(ecs.v4Uri(), "/task");
        taskStats = at(ecs.v4Uri(), "/task/stats");
    }

    @AfterEach
    void stop() {
        ecs.close();
    }

    @Test
    void failNextAnswersTheGivenStatusForTheMatchingPathOnly() throws Exception {
        ecs.failNext(2, 503, "/task/stats");
        assertEquals(200, get(task).statusCode(), "other paths are not affected");
        HttpResponse<String> failed = get(taskStats);
        assertEquals(503, failed.statusCode());
        assertTrue(failed.body().contains("simulated failure"), failed.body());
        assertEquals(503, get(taskStats).statusCode());
        assertEquals(200, get(taskStats).statusCode(), "only the next two");
    }

    @Test
    void failNextWithoutSuffixHitsAnyPathInOrder() throws Exception {
        ecs.failNext(1, 500);
        ecs.failNext(1, 404);
        assertEquals(500, get(task).statusCode());
        assertEquals(404, get(ecs.v4Uri()).statusCode());
        assertEquals(200, get(task).statusCode());
        assertThrows(IllegalArgumentException.class, () -> ecs.failNext(1, 42));
        assertThrows(IllegalArgumentException.class, () -> ecs.failNext(0, 500));
    }

    @Test
    void resetNextClosesTheConnectionWithoutAResponse() throws Exception {
        // java.net.http retries an idempotent GET once when the connection closes before any response byte,
        // so two resets make one GET fail.
        ecs.resetNext(2, "/task");
        IOException error = assertThrows(IOException.class, () -> get(Http.client(), task));
        assertTrue(error.getMessage().contains("received no bytes"), error.getMessage());
        assertEquals(200, get(Http.client(), task).statusCode());
        assertEquals(3, ecs.requestCount("/task"), "the reset requests are counted");

        ecs.resetNext(1);
        HttpRequest post = HttpRequest.newBuilder(task).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        assertThrows(IOException.class, () -> Http.client().send(post, HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void malformedNextTruncatesTheBodyWith200() throws Exception {
        ecs.malformedNext(1, "/task/stats");
        HttpResponse<String> broken = get(taskStats);
        assertEquals(200, broken.statusCode());
        assertThrows(IOException.class, () -> Http.MAPPER.readTree(broken.body()));
        assertTrue(broken.body().startsWith("{\""), "a truncated JSON document: " + broken.body());
        assertEquals(3, getJson(taskStats).size(), "the next one is whole again");
    }

    @Test
    void everyMalformationKindBreaksTheDocument() throws Exception {
        ecs.malformedNext(1, "/task", Malformation.NOT_JSON);
        ecs.malformedNext(1, "/task", Malformation.EMPTY);
        ecs.malformedNext(1, "/task", Malformation.WRONG_SHAPE);
        HttpResponse<String> html = get(task);
        assertEquals(200, html.statusCode());
        assertTrue(html.body().startsWith("<html>"), html.body());
        HttpResponse<String> empty = get(task);
        assertEquals(200, empty.statusCode());
        assertEquals("", empty.body());
        HttpResponse<String> array = get(task);
        assertEquals(200, array.statusCode());
        assertTrue(Http.json(array.body()).isArray());
        assertTrue(getJson(task).isObject());
    }

    @Test
    void corruptStatsBreaksOneContainerEntryOnly() throws Exception {
        String app = ecs.dockerId("app");
        String worker = ecs.dockerId("worker");
        ecs.corruptStats("app", StatsDefect.NOT_AN_OBJECT);
        ecs.corruptStats("worker", StatsDefect.WRONG_TYPES);
        ecs.corruptStats("pilotfish", StatsDefect.MISSING_FIELDS);
        JsonNode stats = getJson(taskStats);
        assertTrue(stats.get(app).isTextual());
        assertTrue(stats.get(worker).at("/cpu_stats/cpu_usage/total_usage").isTextual());
        assertTrue(stats.get(worker).at("/cpu_stats/online_cpus").isTextual());
        assertTrue(stats.get(worker).get("networks").isArray());
        JsonNode partial = stats.get(ecs.dockerId("pilotfish"));
        assertTrue(partial.has("read") && partial.has("id"));
        assertFalse(partial.has("cpu_stats"));
        assertFalse(partial.has("memory_stats"));
        assertTrue(getJson(at(ecs.v4Uri("app"), "/stats")).isTextual(), "the container /stats is broken too");

        ecs.clearStatsDefect("app");
        assertTrue(getJson(taskStats).get(app).has("cpu_stats"));
        ecs.clearFaults();
        assertTrue(getJson(taskStats).get(worker).at("/cpu_stats/online_cpus").isNumber());
    }

    @Test
    void downAnswers503EverywhereUntilUp() throws Exception {
        ecs.down();
        assertTrue(ecs.isDown());
        assertEquals(503, get(task).statusCode());
        assertEquals(503, get(taskStats).statusCode());
        assertEquals(503, get(ecs.v3Uri()).statusCode());
        ecs.up();
        assertEquals(200, get(task).statusCode());
    }

    @Test
    void latencyDelaysOnlyTheMatchingPaths() throws Exception {
        ecs.latency("/task/stats", Duration.ofSeconds(5));
        HttpClient client = Http.client();
        HttpRequest impatient = HttpRequest.newBuilder(taskStats).timeout(Duration.ofMillis(200)).build();
        assertThrows(HttpTimeoutException.class, () -> client.send(impatient, HttpResponse.BodyHandlers.ofString()));
        assertEquals(200, get(task).statusCode(), "other paths answer at once");
        ecs.latency("/task/stats", Duration.ZERO);
        assertEquals(200, get(taskStats).statusCode());
        assertThrows(IllegalArgumentException.class, () -> ecs.latency(Duration.ofSeconds(-1)));
    }

    @Test
    void requestsAreCountedPerPath() throws Exception {
        ecs.failNext(1, 500, "/task/stats");
        get(taskStats);
        get(taskStats);
        get(task);
        get(at(ecs.v3Uri(), "/task/stats"));
        assertEquals(3, ecs.requestCount("/task/stats"));
        assertEquals(2, ecs.requestCount(ecs.v4Uri().getPath() + "/task/stats"));
        assertEquals(1, ecs.requestCount("/task"));
        assertEquals(4, ecs.requestCount(""));
        assertEquals(2L, ecs.requestCounts().get(taskStats.getPath()));
        ecs.resetRequestCounts();
        assertEquals(0, ecs.requestCount(""));
    }

    @Test
    void unknownEndpointsAndMethodsAreRefused() throws Exception {
        assertEquals(404, get(at(ecs.baseUri(), "/v4/not-an-endpoint/task")).statusCode());
        assertEquals(404, get(at(ecs.v4Uri(), "/tasks/everything")).statusCode());
        assertEquals(404, get(at(ecs.baseUri(), "/v2/metadata")).statusCode());
        HttpResponse<String> post = Http.client().send(HttpRequest.newBuilder(task)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }
}
