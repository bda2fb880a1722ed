package io.pilotfish.sink.datadog.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.testing.DatadogSinkTestBase;
import io.pilotfish.sink.datadog.common.testing.FakeIntake;
import io.pilotfish.sink.datadog.common.testing.FakeIntake.Answer;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogEventsSinkTest extends DatadogSinkTestBase<DatadogEventsSink, DatadogEventsConfig> {

    private static final String API_KEY_LAST4 = io.pilotfish.sink.datadog.common.testing.TestContext.API_KEY
            .substring(io.pilotfish.sink.datadog.common.testing.TestContext.API_KEY.length() - 4);

    /** The key after a rotation: another fresh 32-hex value. */
    private static final String ROTATED_KEY = java.util.UUID.randomUUID().toString().replace("-", "");

    private static final String EVENTS = "/api/v1/events";
    private static final String CHECK_RUN = "/api/v1/check_run";

    DatadogEventsSinkTest() {
        super(new DatadogEventsSinkFactory(), DatadogEventsSink.class, "datadog-events", "events");
    }

    private static Event event(String title) {
        return new Event(title, "text of " + title, NOW, Event.AlertType.INFO, Event.Priority.NORMAL, "", "",
                TagSet.EMPTY, "");
    }

    private static ServiceCheck check(String name, ServiceCheck.Status status) {
        return new ServiceCheck(name, status, NOW, TagSet.of("container_name:app"), "", "");
    }

    private static String title(FakeIntake.Request request) {
        return request.json().get("title").asText();
    }

    /** Titles of the event requests, in arrival order. */
    private static List<String> eventTitles(List<FakeIntake.Request> requests) {
        return requests.stream().filter(r -> r.path().equals(EVENTS)).map(DatadogEventsSinkTest::title).toList();
    }

    /** Answers 503 to the events with these titles, the first time each is seen; 202 otherwise. */
    private void failOnceFor(String... titles) {
        Set<String> failed = ConcurrentHashMap.newKeySet();
        Set<String> toFail = Set.of(titles);
        intake.respond(request -> request.path().equals(EVENTS) && toFail.contains(title(request))
                && failed.add(title(request)) ? Answer.status(503) : Answer.ACCEPTED);
    }

    // ---- wire format -------------------------------------------------------------------------------------------

    @Test
    void anEventIsPostedWithEveryField() throws Exception {
        Event oom = new Event("Container app was OOM-killed", "memory limit 512 MiB reached", NOW - 5,
                Event.AlertType.ERROR, Event.Priority.LOW, "ecs", "task-1234", TagSet.of("container_name:app",
                "env:test"), "i-0abc");

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(oom)));

        FakeIntake.Request request = intake.take();
        assertEquals("POST", request.method());
        assertEquals(EVENTS, request.path());
        JsonNode json = request.json();
        assertEquals("Container app was OOM-killed", json.get("title").asText());
        assertEquals("memory limit 512 MiB reached", json.get("text").asText());
        assertEquals(NOW - 5, json.get("date_happened").asLong());
        assertEquals("low", json.get("priority").asText());
        assertEquals("error", json.get("alert_type").asText());
        assertEquals("i-0abc", json.get("host").asText());
        assertEquals(List.of("container_name:app", "env:test", "service:pilotfish"), texts(json.get("tags")),
                "event tags and global tags, each once");
        assertEquals("task-1234", json.get("aggregation_key").asText());
        assertEquals("ecs", json.get("source_type_name").asText());
        assertEquals(9, json.size());
        assertEquals(1, context.counter("sink.events.sent"));
    }

    @Test
    void optionalEventFieldsAreLeftOutWhenEmpty() throws Exception {
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.EMPTY));
        Event bare = new Event("Task started", "", 0, Event.AlertType.SUCCESS, Event.Priority.NORMAL, null, null,
                TagSet.EMPTY, null);

        export(sink(), List.of(bare));

        JsonNode json = intake.take().json();
        assertEquals("Task started", json.get("title").asText());
        assertEquals("", json.get("text").asText(), "text is required by the API");
        assertEquals("normal", json.get("priority").asText());
        assertEquals("success", json.get("alert_type").asText());
        for (String absent : List.of("date_happened", "host", "tags", "aggregation_key", "source_type_name")) {
            assertNull(json.get(absent), absent);
        }
    }

    @Test
    void headersCarryKeyTypeEncodingAndAgentVersion() throws Exception {
        export(sink(), List.of(event("e1")));

        FakeIntake.Request request = intake.take();
        assertEquals(TestContext.API_KEY, request.header("DD-API-KEY"));
        assertEquals("application/json", request.header("Content-Type"));
        assertEquals("deflate", request.header("Content-Encoding"), "deflate is the default");
        assertEquals("pilotfish/1.2.3", request.header("User-Agent"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "deflate"})
    void bothBodiesUseTheConfiguredCompression(String compression) throws Exception {
        export(sink("compression", compression), List.of(event("e1"), check("app.up", ServiceCheck.Status.OK)));

        List<FakeIntake.Request> requests = List.of(intake.take(), intake.take());
        for (FakeIntake.Request request : requests) {
            assertEquals(compression, request.header("Content-Encoding"));
            assertTrue(request.json().size() > 0, "decodes as " + compression);
        }
    }

    @Test
    void eachEventIsItsOwnRequest() throws Exception {
        export(sink(), List.of(event("e1"), event("e2"), event("e3")));

        List<FakeIntake.Request> requests = List.of(intake.take(), intake.take(), intake.take());
        assertEquals(Set.of("e1", "e2", "e3"), Set.copyOf(eventTitles(requests)));
        requests.forEach(r -> assertTrue(r.json().isObject(), "one event object per body"));
        assertEquals(0, intake.received());
        assertEquals(3, context.counter("sink.events.sent"));
        assertEquals(3, context.counter("sink.requests", "status_class:2xx"));
    }

    @Test
    void serviceChecksShareOneCheckRunRequest() throws Exception {
        ServiceCheck withMessage = new ServiceCheck("ecs.task.healthy", ServiceCheck.Status.CRITICAL, NOW - 1,
                TagSet.of("task_arn:t1"), "container app is unhealthy", "i-0abc");
        List<ServiceCheck> checks = List.of(check("app.up", ServiceCheck.Status.OK),
                check("app.degraded", ServiceCheck.Status.WARNING), withMessage,
                new ServiceCheck("app.unknown", ServiceCheck.Status.UNKNOWN, 0, TagSet.EMPTY, null, null));

        assertInstanceOf(ExportResult.Success.class, export(sink(), checks));

        FakeIntake.Request request = intake.take();
        assertEquals(CHECK_RUN, request.path());
        assertEquals(0, intake.received());
        JsonNode array = request.json();
        assertEquals(4, array.size());

        JsonNode ok = array.get(0);
        assertEquals("app.up", ok.get("check").asText());
        assertEquals(0, ok.get("status").asInt());
        assertEquals("", ok.get("host_name").asText(), "host_name is required, empty on Fargate");
        assertEquals(NOW, ok.get("timestamp").asLong());
        assertNull(ok.get("message"));
        assertEquals(List.of("container_name:app", "env:test", "service:pilotfish"), texts(ok.get("tags")));

        assertEquals(1, array.get(1).get("status").asInt());
        JsonNode critical = array.get(2);
        assertEquals(2, critical.get("status").asInt());
        assertEquals("i-0abc", critical.get("host_name").asText());
        assertEquals("container app is unhealthy", critical.get("message").asText());
        JsonNode unknown = array.get(3);
        assertEquals(3, unknown.get("status").asInt());
        assertNull(unknown.get("timestamp"), "no timestamp: the intake uses the time of receipt");
        assertEquals(4, context.counter("sink.service_checks.sent"));
    }

    @Test
    void serviceCheckTagsAreAlwaysSentEvenWhenEmpty() throws Exception {
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.EMPTY));
        export(sink(), List.of(new ServiceCheck("app.up", ServiceCheck.Status.OK, NOW, TagSet.EMPTY, "", "")));

        JsonNode check = intake.take().json().get(0);
        assertTrue(check.get("tags").isArray() && check.get("tags").isEmpty(), "tags is required by the API");
    }

    @Test
    void aMixedBatchSendsItsChecksOnceAndEachEvent() throws Exception {
        export(sink(), List.of(event("e1"), check("a", ServiceCheck.Status.OK), event("e2"),
                check("b", ServiceCheck.Status.OK)));

        List<FakeIntake.Request> requests = List.of(intake.take(), intake.take(), intake.take());
        assertEquals(1, requests.stream().filter(r -> r.path().equals(CHECK_RUN)).count());
        assertEquals(Set.of("e1", "e2"), Set.copyOf(eventTitles(requests)));
        assertEquals(0, intake.received());
    }

    @Test
    void globalTagsAreReadAtEachExportSoReloadsApply() throws Exception {
        DatadogEventsSink sink = sink();
        export(sink, List.of(event("e1")));
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), TagSet.of("env:staging")));
        export(sink, List.of(event("e2")));

        assertEquals(List.of("env:test", "service:pilotfish"), texts(intake.take().json().get("tags")));
        assertEquals(List.of("env:staging"), texts(intake.take().json().get("tags")));
    }

    @Test
    void withOneRequestAtATimeEventsGoInBatchOrder() throws Exception {
        List<Event> batch = List.of(event("e0"), event("e1"), event("e2"), event("e3"), event("e4"));

        export(sink("max-concurrent-requests", "1"), batch);

        assertEquals(List.of("e0", "e1", "e2", "e3", "e4"), eventTitles(intake.drain()));
    }

    @Test
    void neverMoreRequestsOpenThanMaxConcurrentRequests() throws Exception {
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(event("e" + i));
        }
        intake.holdUntilConcurrent(3, batch.size());

        assertInstanceOf(ExportResult.Success.class, export(sink("max-concurrent-requests", "3"), batch));

        assertEquals(3, intake.maxInFlight(), "three at once, never more");
        List<String> titles = new ArrayList<>(eventTitles(intake.drain()));
        titles.sort(null);
        assertEquals(List.of("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"), titles);
    }

    // ---- limits: truncated, not failed -------------------------------------------------------------------------

    @Test
    void overLongFieldsAreCutToTheApiLimitsAndCounted() throws Exception {
        Event big = new Event("T".repeat(150), "x".repeat(5000), NOW, Event.AlertType.INFO, Event.Priority.NORMAL,
                "", "", TagSet.EMPTY, "");

        assertInstanceOf(ExportResult.Success.class, export(sink(), List.of(big)));

        JsonNode json = intake.take().json();
        assertEquals("T".repeat(100), json.get("title").asText());
        assertEquals("x".repeat(4000), json.get("text").asText());
        assertEquals(1, context.counter("sink.events.truncated", "field:title"));
        assertEquals(1, context.counter("sink.events.truncated", "field:text"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("truncated") && l.contains("title, text")),
                context.log.lines.toString());
    }

    /** A task ARN with a long cluster name, as ecs-metadata used to send it: 180 characters. */
    private static final String LONG_TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/"
            + "payments-production-cluster-with-a-really-long-descriptive-name-"
            + "for-the-whole-organisation-eu-west-1-canary/"
            + "0123456789abcdef0123456789abcdef";

    private static Event taskEvent(String aggregationKey) {
        return new Event("Task started", "", NOW, Event.AlertType.INFO, Event.Priority.LOW, "ecs", aggregationKey,
                TagSet.EMPTY, "");
    }

    @Test
    void aLongAggregationKeyBecomesAStableShortKeyWithoutAWarning() throws Exception {
        assertEquals(180, LONG_TASK_ARN.length());
        String otherTask = LONG_TASK_ARN.substring(0, LONG_TASK_ARN.length() - 1) + "e";
        DatadogEventsSink sink = sink();

        export(sink, List.of(taskEvent(LONG_TASK_ARN)));
        export(sink, List.of(taskEvent(LONG_TASK_ARN)));
        export(sink(), List.of(taskEvent(otherTask))); // another sink, as after a restart or on another task
        export(sink(), List.of(taskEvent(LONG_TASK_ARN)));

        List<String> keys = intake.drain().stream().map(r -> r.json().get("aggregation_key").asText()).toList();
        String key = keys.get(0);
        assertTrue(key.length() <= 100, "within the events API's 100 characters: " + key.length());
        assertTrue(key.startsWith(LONG_TASK_ARN.substring(0, 60)), "readable: starts like the ARN: " + key);
        assertEquals(key, keys.get(1), "the same key for the same task: its events still group");
        assertEquals(key, keys.get(3), "the same key from another sink instance (restart, other task)");
        assertFalse(key.equals(keys.get(2)), "tasks whose ARNs differ only in the last character do not group");
        assertTrue(keys.get(2).length() <= 100);
        assertEquals(4, context.counter("sink.events.aggregation_keys.shortened"));
        assertEquals(List.of(), context.log.lines, "shortening is expected, not a warning");
    }

    @Test
    void theShortKeyOfATaskArnIsFixedAcrossVersionsSoEventsKeepGroupingAfterAnUpgrade() {
        // The value the README shows; a change here regroups every long key's events.
        assertEquals("arn:aws:ecs:eu-west-1:123456789012:task/payments-production-cluster"
                + "~04c2f84666ec5a5bff9b4711af18a0b3", EventEncoder.aggregationKey(LONG_TASK_ARN));
    }

    @Test
    void aShortenedAggregationKeyNeverSplitsACharacterAndKeysWithinTheLimitAreKept() {
        String atLimit = "k".repeat(100);
        String emoji = "🚀".repeat(60); // 120 UTF-16 units

        assertEquals(atLimit, EventEncoder.aggregationKey(atLimit));
        assertEquals("task-1234", EventEncoder.aggregationKey("task-1234"));
        String shortened = EventEncoder.aggregationKey(emoji);
        assertTrue(shortened.length() <= 100, shortened);
        assertTrue(shortened.matches("(🚀){33}~[0-9a-f]{32}"), "whole characters, then the hash: " + shortened);
    }

    @Test
    void fieldsAtTheLimitAreSentWhole() throws Exception {
        Event exact = new Event("T".repeat(100), "x".repeat(4000), NOW, Event.AlertType.INFO, Event.Priority.NORMAL,
                "", "", TagSet.EMPTY, "");

        export(sink(), List.of(exact));

        JsonNode json = intake.take().json();
        assertEquals(100, json.get("title").asText().length());
        assertEquals(4000, json.get("text").asText().length());
        assertEquals(0, context.counter("sink.events.truncated", "field:title"));
        assertEquals(0, context.counter("sink.events.truncated", "field:text"));
    }

    @Test
    void limitsCountCharactersAndNeverSplitASurrogatePair() throws Exception {
        String title = "🚀".repeat(120); // 240 UTF-16 units, 120 characters

        export(sink(), List.of(new Event(title, "", NOW, Event.AlertType.INFO, Event.Priority.NORMAL, "", "",
                TagSet.EMPTY, "")));

        String sent = intake.take().json().get("title").asText();
        assertEquals(100, sent.codePointCount(0, sent.length()));
        assertEquals("🚀".repeat(100), sent);
    }

    @Test
    void aTruncatedMarkdownTextKeepsItsClosingMarker() throws Exception {
        String text = "%%% \n" + "line\n".repeat(1000) + "\n %%%";

        export(sink(), List.of(new Event("deploy", text, NOW, Event.AlertType.INFO, Event.Priority.NORMAL, "", "",
                TagSet.EMPTY, "")));

        String sent = intake.take().json().get("text").asText();
        assertEquals(4000, sent.length());
        assertTrue(sent.startsWith("%%% \nline\n"), sent.substring(0, 20));
        assertTrue(sent.endsWith("\n %%%"), sent.substring(sent.length() - 20));
    }

    @Test
    void aTruncationIsCountedOnceEvenWhenItsBatchIsRetried() throws Exception {
        DatadogEventsSink sink = sink();
        List<Event> batch = List.of(new Event("T".repeat(101), "", NOW, Event.AlertType.INFO, Event.Priority.NORMAL,
                "", "", TagSet.EMPTY, ""));
        intake.answer(503, Map.of(), "");
        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertEquals(0, context.counter("sink.events.truncated", "field:title"));

        intake.answer(202, Map.of(), "{\"status\":\"ok\"}");
        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(1, context.counter("sink.events.truncated", "field:title"));
    }

    // ---- bad input ---------------------------------------------------------------------------------------------

    @Test
    void anEventWithoutATitleIsDroppedAndCountedTheRestIsSent() throws Exception {
        ExportResult result = export(sink(), List.of(event(" "), event("e2")));

        assertInstanceOf(ExportResult.Success.class, result);
        assertEquals(List.of("e2"), eventTitles(List.of(intake.take())));
        assertEquals(0, intake.received());
        assertEquals(1, context.counter("sink.events.dropped", "reason:invalid"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("without a title")));
    }

    @Test
    void aServiceCheckWithoutANameIsDroppedAndCounted() throws Exception {
        ExportResult result = export(sink(), List.of(check("", ServiceCheck.Status.OK),
                check("app.up", ServiceCheck.Status.OK)));

        assertInstanceOf(ExportResult.Success.class, result);
        JsonNode sent = intake.take().json();
        assertEquals(1, sent.size());
        assertEquals("app.up", sent.get(0).get("check").asText());
        assertEquals(1, context.counter("sink.service_checks.dropped", "reason:invalid"));
    }

    @Test
    void otherSignalsAreDroppedAndCountedAndAloneSendNothing() throws Exception {
        ExportResult result = export(sink(), List.of(Metric.gauge("m", 1, NOW, TagSet.EMPTY), event("")));

        assertInstanceOf(ExportResult.Success.class, result);
        assertEquals(0, intake.received());
        assertEquals(1, context.counter("sink.signals.dropped", "reason:unsupported_signal"));
        assertEquals(1, context.counter("sink.events.dropped", "reason:invalid"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("unsupported_signal")
                && l.contains("METRIC")));
    }

    @Test
    void badInputIsCountedOnceWhenItsBatchIsRetried() throws Exception {
        DatadogEventsSink sink = sink();
        List<Signal> batch = List.of(event(""), event("e2"));
        failOnceFor("e2");

        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertInstanceOf(ExportResult.Success.class, export(sink, batch));

        assertEquals(1, context.counter("sink.events.dropped", "reason:invalid"));
    }

    // ---- answers -----------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "200, Success", "202, Success",
        "429, Retryable", "503, Retryable", "408, Retryable", "500, Retryable", "504, Retryable",
        "401, CredentialsRejected", "403, CredentialsRejected", "404, Permanent", "405, Permanent", "302, Permanent"})
    void destinationWideAnswersClassifyTheBatch(int status, String expected) throws Exception {
        intake.answer(status, status == 302 ? Map.of("Location", "https://elsewhere.example/") : Map.of(),
                "{\"errors\":[\"status " + status + "\"]}");

        ExportResult result = export(sink(), List.of(event("e1")));

        assertEquals(expected, result.getClass().getSimpleName(), String.valueOf(result));
        assertEquals(1, context.counter("sink.requests", "status_class:" + status / 100 + "xx"));
        assertTrue(context.counter("sink.bytes.sent") > 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 422})
    void anEventTheIntakeRefusesIsDroppedAndCountedTheOthersAreSent(int status) throws Exception {
        intake.respond(request -> title(request).equals("bad") ? new Answer(status, Map.of(),
                "{\"errors\":[\"Event too old\"]}") : Answer.ACCEPTED);

        ExportResult result = export(sink(), List.of(event("e1"), event("bad"), event("e3")));

        assertInstanceOf(ExportResult.Success.class, result, "one bad event does not take the batch with it");
        assertEquals(Set.of("e1", "bad", "e3"), Set.copyOf(eventTitles(List.of(intake.take(), intake.take(),
                intake.take()))));
        assertEquals(1, context.counter("sink.events.dropped", "reason:rejected"));
        assertEquals(2, context.counter("sink.events.sent"));
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("HTTP " + status)),
                context.log.lines.toString());
    }

    @Test
    void whenTheIntakeRefusesEverythingTheBatchIsPermanent() throws Exception {
        DatadogEventsSink sink = sink();
        intake.answer(400, Map.of(), "{\"errors\":[\"Invalid payload\"]}");

        ExportResult result = export(sink, List.of(event("e1"), check("a", ServiceCheck.Status.OK)));

        String reason = assertInstanceOf(ExportResult.Permanent.class, result).reason();
        assertTrue(reason.contains("HTTP 400") && reason.contains("Invalid payload"), reason);
        assertEquals(1, context.counter("sink.events.dropped", "reason:rejected"));
        assertEquals(1, context.counter("sink.service_checks.dropped", "reason:rejected"));
        assertEquals(0, sink.settledCount(), "the platform drops the batch: nothing to remember");
    }

    @Test
    void anEventTooLargeForTheIntakeIsLeftToThePlatformsSplitTheOthersAreSentOnce() throws Exception {
        DatadogEventsSink sink = sink();
        Event e1 = event("e1");
        Event big = event("big");
        Event e3 = event("e3");
        intake.respond(request -> title(request).equals("big") ? Answer.status(413) : Answer.ACCEPTED);

        String reason = assertInstanceOf(ExportResult.TooLarge.class, export(sink, List.of(e1, big, e3))).reason();
        assertTrue(reason.contains("HTTP 413"), reason);
        // The platform splits in halves until the event is alone, then drops it itself.
        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(e1)));
        assertInstanceOf(ExportResult.TooLarge.class, export(sink, List.of(big, e3)));
        assertInstanceOf(ExportResult.TooLarge.class, export(sink, List.of(big)));
        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(e3)));

        List<String> titles = new ArrayList<>(eventTitles(intake.drain()));
        titles.sort(null);
        assertEquals(List.of("big", "big", "big", "e1", "e3"), titles, "e1 and e3 were sent once each");
        assertEquals(2, context.counter("sink.events.sent"));
        assertEquals(0, sink.settledCount());
    }

    @Test
    void rejectedServiceChecksAreDroppedTogetherAndCounted() throws Exception {
        intake.respond(request -> request.path().equals(CHECK_RUN) ? Answer.status(400) : Answer.ACCEPTED);

        ExportResult result = export(sink(), List.of(check("a", ServiceCheck.Status.OK),
                check("b", ServiceCheck.Status.OK), event("e1")));

        assertInstanceOf(ExportResult.Success.class, result);
        assertEquals(2, context.counter("sink.service_checks.dropped", "reason:rejected"));
        assertEquals(1, context.counter("sink.events.sent"));
    }

    @Test
    void tooLargeCheckRunIsSplitByThePlatformWithoutResendingEvents() throws Exception {
        DatadogEventsSink sink = sink();
        ServiceCheck a = check("a", ServiceCheck.Status.OK);
        ServiceCheck b = check("b", ServiceCheck.Status.OK);
        Event e1 = event("e1");
        intake.respond(request -> request.path().equals(CHECK_RUN) && request.json().size() > 1
                ? Answer.status(413) : Answer.ACCEPTED);

        assertInstanceOf(ExportResult.TooLarge.class, export(sink, List.of(a, b, e1)));
        // The platform splits the batch in halves and exports each.
        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(a)));
        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(b, e1)));

        List<FakeIntake.Request> requests = intake.drain();
        assertEquals(List.of("e1"), eventTitles(requests), "e1 went once, with the first attempt");
        assertEquals(3, requests.stream().filter(r -> r.path().equals(CHECK_RUN)).count());
        assertEquals(2, context.counter("sink.service_checks.sent"));
        assertEquals(0, sink.settledCount());
    }

    @Test
    void retryAfterIsPassedOn() throws Exception {
        intake.answer(429, Map.of("Retry-After", "120"), "");

        ExportResult.Retryable result = assertInstanceOf(ExportResult.Retryable.class,
                export(sink(), List.of(event("e1"))));

        assertEquals(Optional.of(Duration.ofSeconds(120)), result.retryAfter());
    }

    @Test
    void forbiddenSaysTheKeyWasRejectedAndStopsSending() throws Exception {
        intake.answer(403, Map.of(), "{\"errors\":[\"Forbidden\"]}");

        ExportResult result = export(sink("max-concurrent-requests", "1"), List.of(event("e1"), event("e2")));

        String reason = assertInstanceOf(ExportResult.CredentialsRejected.class, result).reason();
        assertTrue(reason.contains("API key was rejected") && reason.contains("DD_SITE"), reason);
        assertEquals(List.of("e1"), eventTitles(intake.drain()), "no use sending e2 with a rejected key");
        assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("api_key_rejected")));
    }

    @Test
    void refusedConnectionIsRetryable() throws Exception {
        int closedPort = closedPort();

        ExportResult result = export(sink("url", "http://127.0.0.1:" + closedPort), List.of(event("e1")));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("127.0.0.1"), reason);
        assertEquals(1, context.counter("sink.requests", "status_class:error"));
    }

    @Test
    void anIntakeThatNeverAnswersTimesOutAsRetryable() throws Exception {
        intake.hang();
        MapPluginConfig config = MapPluginConfig.of("events", Map.of("url", intake.baseUri().toString()));
        DatadogEventsSink sink = new DatadogEventsSink(factory.configure(config), context, Duration.ofMillis(300));

        ExportResult result = export(sink, List.of(event("e1")));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("within 300ms"), reason);
    }

    // ---- retries: no duplicates, nothing lost ------------------------------------------------------------------

    @Test
    void aRetrySendsOnlyWhatWasNotAcceptedSequential() throws Exception {
        DatadogEventsSink sink = sink("max-concurrent-requests", "1");
        List<Event> batch = List.of(event("e1"), event("e2"), event("e3"));
        failOnceFor("e2");

        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertEquals(List.of("e1", "e2"), eventTitles(intake.drain()), "sending stops at the first failure");

        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(List.of("e2", "e3"), eventTitles(intake.drain()), "e1 is not sent again");
        assertEquals(3, context.counter("sink.events.sent"));
        assertEquals(0, sink.settledCount(), "forgotten once the batch succeeded");
    }

    @Test
    void aRetrySendsOnlyWhatWasNotAcceptedConcurrent() throws Exception {
        DatadogEventsSink sink = sink("max-concurrent-requests", "4");
        List<Event> batch = List.of(event("e1"), event("e2"), event("e3"), event("e4"));
        failOnceFor("e2", "e4");

        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        List<String> first = eventTitles(intake.drain());
        assertEquals(4, first.size(), "all four were under way before the failures came back");

        assertInstanceOf(ExportResult.Success.class, export(sink, batch));
        assertEquals(Set.of("e2", "e4"), Set.copyOf(eventTitles(intake.drain())));
        assertEquals(4, context.counter("sink.events.sent"));
    }

    @Test
    void acceptedServiceChecksAreNotResentWhenAnEventFails() throws Exception {
        DatadogEventsSink sink = sink();
        List<Signal> batch = List.of(check("a", ServiceCheck.Status.OK), event("e1"));
        failOnceFor("e1");

        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertInstanceOf(ExportResult.Success.class, export(sink, batch));

        List<FakeIntake.Request> requests = intake.drain();
        assertEquals(1, requests.stream().filter(r -> r.path().equals(CHECK_RUN)).count());
        assertEquals(List.of("e1", "e1"), eventTitles(requests));
        assertEquals(1, context.counter("sink.service_checks.sent"));
    }

    @Test
    void aRefusedEventIsNotResentOrRecountedWhenTheBatchIsRetried() throws Exception {
        DatadogEventsSink sink = sink("max-concurrent-requests", "1");
        List<Event> batch = List.of(event("bad"), event("e2"));
        Set<String> seen = ConcurrentHashMap.newKeySet();
        intake.respond(request -> title(request).equals("bad") ? Answer.status(400)
                : seen.add(title(request)) ? Answer.status(503) : Answer.ACCEPTED);

        assertInstanceOf(ExportResult.Retryable.class, export(sink, batch));
        assertInstanceOf(ExportResult.Success.class, export(sink, batch));

        assertEquals(List.of("bad", "e2", "e2"), eventTitles(intake.drain()));
        assertEquals(1, context.counter("sink.events.dropped", "reason:rejected"));
    }

    @Test
    void equalButDistinctEventsAreBothSent() throws Exception {
        Event first = event("container stopped");
        Event second = event("container stopped");
        assertEquals(first, second);

        export(sink(), List.of(first, second));

        assertEquals(List.of("container stopped", "container stopped"),
                eventTitles(List.of(intake.take(), intake.take())));
    }

    @Test
    void anEventObjectSentAgainInALaterBatchIsSentAgain() throws Exception {
        DatadogEventsSink sink = sink();
        Event reused = event("heartbeat");

        export(sink, List.of(reused));
        export(sink, List.of(reused));

        assertEquals(List.of("heartbeat", "heartbeat"), eventTitles(intake.drain()));
    }

    @Test
    void whenThePlatformStopsWaitingTheRetryWaitsForTheAnswersInFlight() throws Exception {
        DatadogEventsSink sink = sink("max-concurrent-requests", "1");
        List<Event> batch = List.of(event("e1"), event("e2"));
        intake.hold();

        CompletableFuture<ExportResult> first = sink.export(new ArrayList<>(batch)).toCompletableFuture();
        assertEquals("e1", title(intake.take()));
        // What the platform's request timeout does to the stage it was given.
        first.completeExceptionally(new TimeoutException("export timed out"));
        CompletableFuture<ExportResult> retry = sink.export(new ArrayList<>(batch)).toCompletableFuture();
        assertFalse(retry.isDone(), "the retry must not start while e1 may still be accepted");

        intake.release(10);
        assertInstanceOf(ExportResult.Success.class, retry.get(20, TimeUnit.SECONDS));

        assertEquals(List.of("e2"), eventTitles(intake.drain()), "e1 was accepted late and is not sent again");
        assertEquals(2, context.counter("sink.events.sent"));
        assertEquals(0, sink.settledCount());
    }

    @Test
    void aPermanentlyRejectedBatchIsForgotten() throws Exception {
        DatadogEventsSink sink = sink("max-concurrent-requests", "1");
        intake.respond(request -> title(request).equals("e2") ? Answer.status(404) : Answer.ACCEPTED);

        assertInstanceOf(ExportResult.Permanent.class, export(sink, List.of(event("e1"), event("e2"))));

        assertEquals(0, sink.settledCount());
    }

    @Test
    void unfinishedBatchesAreRememberedOnlyUpToAFixedNumberOfSignals() {
        SettledSignals settled = new SettledSignals(3);
        List<Event> events = List.of(event("a"), event("b"), event("c"), event("d"));
        settled.addAll(events.subList(0, 2), SettledSignals.Fate.ACCEPTED);
        settled.addAll(events.subList(2, 4), SettledSignals.Fate.DROPPED);

        assertEquals(3, settled.size());
        assertFalse(settled.contains(events.get(0)), "the oldest goes first");
        assertTrue(settled.contains(events.get(3)));
        assertTrue(settled.accepted(events.get(1)));
        assertFalse(settled.accepted(events.get(2)), "dropped, not accepted");
        assertFalse(settled.contains(event("d")), "by identity, not equality");
    }

    // ---- the API key -------------------------------------------------------------------------------------------

    @Test
    void withoutAnApiKeyNothingIsSentAndTheBatchStaysQueued() throws Exception {
        context.apiKey.set(Optional.empty());

        ExportResult result = export(sink(), List.of(event("e1")));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.startsWith("no API key configured: set DD_API_KEY"), reason);
        assertEquals(0, intake.received());
    }

    @Test
    void aKeyThatCannotBeAHeaderValueKeepsTheBatchQueuedAndIsNotShown() throws Exception {
        context.apiKey.set(Optional.of(new Secret("0123456789\nabcdef")));

        ExportResult result = export(sink(), List.of(event("e1")));

        String reason = assertInstanceOf(ExportResult.Retryable.class, result).reason();
        assertTrue(reason.contains("check the value of DD_API_KEY"), reason);
        assertFalse(reason.contains("0123456789"), reason);
        assertEquals(0, intake.received());
    }

    @Test
    void aRotatedKeyIsUsedFromTheNextExport() throws Exception {
        DatadogEventsSink sink = sink();
        export(sink, List.of(event("e1")));
        context.apiKey.set(Optional.of(new Secret(ROTATED_KEY)));
        export(sink, List.of(event("e2")));

        assertEquals(TestContext.API_KEY, intake.take().header("DD-API-KEY"));
        assertEquals(ROTATED_KEY, intake.take().header("DD-API-KEY"));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 403, 404, 500, 503, 302})
    void theKeyNeverAppearsInReasonsOrLogsEvenWhenTheServerEchoesIt(int status) throws Exception {
        intake.answer(status, Map.of("Location", "https://x.example/?api_key=" + TestContext.API_KEY),
                "{\"errors\":[\"bad key " + TestContext.API_KEY + "\"]}");
        DatadogEventsSink sink = sink();

        ExportResult result = export(sink, List.of(event("e1"), check("a", ServiceCheck.Status.OK)));

        assertFalse(result.toString().contains(TestContext.API_KEY), result.toString());
        assertFalse(sink.toString().contains(TestContext.API_KEY));
        context.log.lines.forEach(line -> assertFalse(line.contains(TestContext.API_KEY), line));
        if (status == 400) {
            assertTrue(context.log.lines.stream().anyMatch(l -> l.contains("bad key ****" + API_KEY_LAST4)),
                    context.log.lines.toString());
        }
    }

    // ---- endpoint ----------------------------------------------------------------------------------------------

    @Test
    void ddUrlWithAPathPrefixIsHonouredForBothPaths() throws Exception {
        context.agent.set(context.settings("datadoghq.com",
                Optional.of(URI.create(intake.baseUri() + "/datadog/")), GLOBAL));
        DatadogEventsSink sink = (DatadogEventsSink) factory.create(
                factory.configure(MapPluginConfig.of("events", Map.of())), context);

        assertInstanceOf(ExportResult.Success.class, export(sink, List.of(event("e1"),
                check("a", ServiceCheck.Status.OK))));

        Set<String> paths = Set.of(intake.take().path(), intake.take().path());
        assertEquals(Set.of("/datadog/api/v1/events", "/datadog/api/v1/check_run"), paths);
    }

    @Test
    void anUnusableSiteAfterAReloadKeepsTheBatchQueued() throws Exception {
        context.agent.set(context.settings("datadoghq.com", Optional.empty(), GLOBAL));
        DatadogEventsSink sink = (DatadogEventsSink) factory.create(
                factory.configure(MapPluginConfig.of("events", Map.of())), context);
        context.agent.set(context.settings("https://datadoghq.eu", Optional.empty(), GLOBAL));

        String reason = assertInstanceOf(ExportResult.Retryable.class, export(sink, List.of(event("e1")))).reason();

        assertTrue(reason.startsWith("DD_SITE=\"https://datadoghq.eu\""), reason);
    }

    @Test
    void theSinkNamesItsTargetWithoutCredentials() {
        context.agent.set(context.settings("datadoghq.com",
                Optional.of(URI.create("https://user:pa55word@proxy.example:8443/dd")), GLOBAL));
        DatadogEventsSink sink = (DatadogEventsSink) factory.create(
                factory.configure(MapPluginConfig.of("events", Map.of())), context);

        assertEquals("DatadogEventsSink[datadog-events -> https://proxy.example:8443/dd, deflate, 4 concurrent]",
                sink.toString());
    }
}
