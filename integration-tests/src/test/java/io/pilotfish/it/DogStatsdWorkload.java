package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.timgroup.statsd.Event;
import com.timgroup.statsd.NonBlockingStatsDClient;
import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.ServiceCheck;
import com.timgroup.statsd.StatsDClient;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import io.pilotfish.testkit.RecordedSketch;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@code basic} DogStatsD workload every client sends (the driver scripts' {@code basic}, and {@link #sendBasic}
 * for Datadog's Java client), and what the Datadog intake must then hold, by the Datadog Agent's arithmetic. Every
 * metric name starts with a per-run prefix, so several clients can share one agent. The whole workload is sent
 * within one 10-second bucket (the tests see to that), so each metric has exactly one point.
 *
 * <ul>
 *   <li>{@code .requests}: 1000 increments at sample rate 0.5, tag {@code route:/checkout}: a count of 2000,
 *   sent as a RATE of 200/s over 10 s;</li>
 *   <li>{@code .errors}: 4 increments by 3 and a decrement by 2: 10;</li>
 *   <li>{@code .queue_depth}: gauge 10, 20, 42.5: 42.5;</li>
 *   <li>{@code .users}: set members alice, bob, alice, carol, bob: 3;</li>
 *   <li>{@code .latency}: histogram 1..100, tag {@code endpoint:search};</li>
 *   <li>{@code .db_time}: timing (ms) 1..20;</li>
 *   <li>{@code .payload}: distribution 1..1000;</li>
 *   <li>event {@code deploy <prefix>}, and service check {@code <prefix>.healthy} WARNING.</li>
 * </ul>
 */
final class DogStatsdWorkload {

    static final int INCREMENTS = 1000;
    static final double SAMPLE_RATE = 0.5;
    /** Messages (lines) {@code basic} sends: 1000 + 5 counts, 3 gauges, 5 set members, 100 + 20 + 1000 values, an
     * event and a service check. */
    static final int BASIC_MESSAGES = 1000 + 5 + 3 + 5 + 100 + 20 + 1000 + 1 + 1;
    static final String EVENT_TEXT = "version 42 rolled out\nto every task";
    static final String CHECK_MESSAGE = "replica lag 3s";
    /** The demo task's low-cardinality task tags, which every DogStatsD series of the task gets. */
    static final List<String> TASK_TAGS = List.of("task_family:shop", "cluster_name:demo", "ecs_cluster_name:demo",
            "task_version:7");

    private static final ObjectMapper JSON = new ObjectMapper();

    private DogStatsdWorkload() {
    }

    // ------------------------------------------------------------------ Datadog's Java client

    /**
     * Datadog's Java client as {@code sendBasic} needs it: no client-side aggregation (it would drop the sample rate
     * of counts, and merge gauges and sets), blocking (so {@code stop()} sends what is queued: the non-blocking
     * client's {@code stop()} interrupts its workers and loses it), and a sampler that keeps every sample. The
     * client decides per call with {@code ThreadLocalRandom} whether to send a sampled value; keeping every one
     * leaves the wire format the client's own ({@code |@0.500000}) and makes the count the test expects exact.
     */
    static NonBlockingStatsDClientBuilder unsampledClient() {
        return new NonBlockingStatsDClientBuilder() {
            @Override
            public NonBlockingStatsDClient build() {
                return new NonBlockingStatsDClient(resolve()) {
                    @Override
                    protected boolean isInvalidSample(double sampleRate) {
                        return false;
                    }
                };
            }
        }.blocking(true).enableAggregation(false).enableTelemetry(false).originDetectionEnabled(false);
    }

    /** The Java client's {@code basic} workload: what the driver scripts send, through {@code StatsDClient}. */
    static void sendBasic(StatsDClient client, String prefix) {
        for (int i = 0; i < INCREMENTS; i++) {
            client.count(prefix + ".requests", 1, SAMPLE_RATE, "route:/checkout");
        }
        for (int i = 0; i < 4; i++) {
            client.count(prefix + ".errors", 3);
        }
        client.count(prefix + ".errors", -2);
        for (double depth : new double[] {10, 20, 42.5}) {
            client.gauge(prefix + ".queue_depth", depth);
        }
        for (String user : List.of("alice", "bob", "alice", "carol", "bob")) {
            client.recordSetValue(prefix + ".users", user);
        }
        for (int v = 1; v <= 100; v++) {
            client.histogram(prefix + ".latency", v, "endpoint:search");
        }
        for (int v = 1; v <= 20; v++) {
            client.recordExecutionTime(prefix + ".db_time", v);
        }
        for (int v = 1; v <= 1000; v++) {
            client.recordDistributionValue(prefix + ".payload", v);
        }
        client.recordEvent(Event.builder().withTitle("deploy " + prefix).withText(EVENT_TEXT)
                .withAlertType(Event.AlertType.SUCCESS).withAggregationKey(prefix).build(), "event_source:java");
        client.recordServiceCheckRun(ServiceCheck.builder().withName(prefix + ".healthy")
                .withStatus(ServiceCheck.Status.WARNING).withMessage(CHECK_MESSAGE)
                .withTags(new String[] {"check_source:java"}).build());
    }

    // ------------------------------------------------------------------ expectations

    /** Everything {@code basic} sent under {@code prefix} by a client tagged {@code client:<client>} arrived, exact. */
    static void assertBasic(IntakeRecorder intake, String prefix, String client, String source, Duration timeout) {
        String clientTag = "client:" + client;
        // Each group is checked even when another fails, so one run tells everything that is wrong.
        assertAll(prefix,
                () -> {
                    // 1000 lines "…:1|c|@0.5": each counts 1 / 0.5.
                    RecordedSeries requests = assertCount(intake, prefix + ".requests", 2000, timeout, clientTag,
                            "route:/checkout");
                    for (String tag : TASK_TAGS) {
                        assertTrue(requests.tags().contains(tag), "task tag " + tag + " missing from "
                                + requests.tags());
                    }
                    assertTrue(requests.tag("task_arn").isEmpty() && requests.tag("container_id").isEmpty(),
                            "low cardinality: no task_arn or container_id in " + requests.tags());
                    assertCount(intake, prefix + ".errors", 4 * 3 - 2, timeout, clientTag);
                },
                () -> assertGauge(intake, prefix + ".queue_depth", 42.5, timeout, clientTag),
                () -> assertGauge(intake, prefix + ".users", 3, timeout, clientTag),
                // Histogram of 1..100, the Agent's arithmetic: median = the sample at weighted rank (100 - 1) / 2 = 49
                // (0-based), 95th percentile the one at (95 * 100 - 1) / 100 = 94; .count a RATE of 100 over 10 s.
                () -> assertHistogram(intake, prefix + ".latency", 100, 50, 50.5, 100, 95, timeout, clientTag,
                        "endpoint:search"),
                // Timing (ms) of 1..20: median at rank (20 - 1) / 2 = 9, 95th at (95 * 20 - 1) / 100 = 18.
                () -> assertHistogram(intake, prefix + ".db_time", 20, 10, 10.5, 20, 19, timeout, clientTag),
                () -> assertDistribution1To1000(intake, prefix + ".payload", timeout, clientTag),
                () -> assertEvent(intake, prefix, clientTag, "event_source:" + source, timeout),
                () -> assertServiceCheck(intake, prefix, clientTag, "check_source:" + source, timeout));
    }

    /** Every point's count (value × interval) of the RATE series with these tags, summed over the buckets. */
    static double countTotal(IntakeRecorder intake, String metric, String... tags) {
        return intake.series(metric).stream().filter(s -> s.hasTags(tags))
                .mapToDouble(s -> s.points().stream().mapToDouble(p -> p.value() * s.interval()).sum()).sum();
    }

    /**
     * Waits for the count of {@code metric} to reach {@code expected}, then checks it is exactly that, sent as the
     * Agent sends a DogStatsD count (RATE over 10 s), in one bucket (a single non-zero point; later buckets carry 0).
     */
    static RecordedSeries assertCount(IntakeRecorder intake, String metric, double expected, Duration timeout,
                                      String... tags) {
        RecordedSeries first = intake.awaitSeries(metric, s -> s.hasTags(tags), timeout);
        awaitQuietly(() -> countTotal(intake, metric, tags) >= expected, timeout);
        List<RecordedSeries> series = intake.series(metric).stream().filter(s -> s.hasTags(tags)).toList();
        assertEquals(expected, countTotal(intake, metric, tags), 1e-9, metric + " count over " + series);
        for (RecordedSeries s : series) {
            assertEquals(RecordedSeries.RATE, s.type(), metric + " is a RATE: " + s);
            assertEquals(10, s.interval(), metric + " over 10 s: " + s);
            for (RecordedSeries.Point point : s.points()) {
                assertEquals(0, point.timestamp() % 10, "stamped with its bucket's start: " + s);
            }
        }
        List<Double> nonZero = series.stream().flatMap(s -> s.points().stream()).map(RecordedSeries.Point::value)
                .filter(v -> v != 0).toList();
        assertEquals(List.of(expected / 10), nonZero, metric + ": one bucket, a per-second rate over 10 s");
        return first;
    }

    static void assertGauge(IntakeRecorder intake, String metric, double expected, Duration timeout, String... tags) {
        intake.awaitSeries(metric, s -> s.hasTags(tags), timeout);
        List<RecordedSeries> series = intake.series(metric).stream().filter(s -> s.hasTags(tags)).toList();
        List<Double> values = series.stream().flatMap(s -> s.points().stream()).map(RecordedSeries.Point::value)
                .toList();
        assertEquals(List.of(expected), values, metric + " (one bucket, one point) in " + series);
        assertEquals(RecordedSeries.GAUGE, series.get(0).type(), metric + " is a GAUGE");
    }

    /** The Agent's default histogram series: {@code .max .median .avg .count .95percentile}. */
    static void assertHistogram(IntakeRecorder intake, String metric, double max, double median, double avg,
                                long samples, double p95, Duration timeout, String... tags) {
        assertGauge(intake, metric + ".max", max, timeout, tags);
        assertGauge(intake, metric + ".median", median, timeout, tags);
        assertGauge(intake, metric + ".avg", avg, timeout, tags);
        assertGauge(intake, metric + ".95percentile", p95, timeout, tags);
        assertCount(intake, metric + ".count", samples, timeout, tags);
        assertTrue(intake.series(metric + ".min").isEmpty() && intake.series(metric + ".sum").isEmpty()
                && intake.series(metric).isEmpty(), metric + ": only the default aggregates are sent");
    }

    /**
     * A distribution of 1..1000: one sketch point with count, min, max and sum exact, and p50 and p99 within the
     * sketch's accuracy of the exact value: 1/128 relative, at the rank Datadog picks ({@code round(q × (n - 1))})
     * give or take one.
     */
    static void assertDistribution1To1000(IntakeRecorder intake, String metric, Duration timeout, String... tags) {
        RecordedSketch sketch = intake.awaitSketch(metric, s -> s.hasTags(tags), timeout);
        for (String tag : TASK_TAGS) {
            assertTrue(sketch.tags().contains(tag), "task tag " + tag + " missing from " + sketch.tags());
        }
        List<RecordedSketch.Point> points = intake.sketches(metric).stream().filter(s -> s.hasTags(tags))
                .flatMap(s -> s.points().stream()).toList();
        assertEquals(1, points.size(), metric + ": one bucket, one sketch point: " + points);
        RecordedSketch.Point point = points.get(0);
        assertEquals(1000, point.cnt(), "count " + point);
        assertEquals(1, point.min(), 0, "min " + point);
        assertEquals(1000, point.max(), 0, "max " + point);
        assertEquals(500_500, point.sum(), 0, "sum " + point);
        assertEquals(500.5, point.avg(), 1e-9, "avg " + point);
        assertEquals(0, point.ts() % 10, "stamped with its bucket's start: " + point);
        long binned = 0;
        for (int count : point.counts()) {
            binned += count;
        }
        assertEquals(1000, binned, "the bins hold every value: " + point);
        for (double q : new double[] {0.5, 0.99}) {
            long rank = Math.round(Math.rint(q * 999)); // 0-based; the value at rank r of 1..1000 is r + 1
            double low = rank * (1 - 1.0 / 128);        // the value at rank r - 1, less the relative error
            double high = (rank + 2) * (1 + 1.0 / 128); // the value at rank r + 1, plus the relative error
            double estimate = point.toSignal().quantile(q);
            assertTrue(estimate >= low && estimate <= high, "p" + Math.round(q * 100) + " of 1..1000 is " + (rank + 1)
                    + "; the sketch says " + estimate + ", outside [" + low + ", " + high + "]: " + point);
        }
    }

    static void assertEvent(IntakeRecorder intake, String prefix, String clientTag, String sourceTag,
                            Duration timeout) {
        String title = "deploy " + prefix;
        RecordedRequest request = intake.awaitRequest(r -> r.path().equals("/api/v1/events") && r.accepted()
                && json(r).path("title").asText().equals(title), timeout);
        JsonNode event = json(request);
        assertEquals(EVENT_TEXT, event.path("text").asText(), "the client's \\n is a newline again: " + event);
        assertEquals("success", event.path("alert_type").asText(), event.toString());
        assertEquals(prefix, event.path("aggregation_key").asText(), event.toString());
        List<String> tags = strings(event.path("tags"));
        for (String tag : Stream.concat(Stream.of(clientTag, sourceTag), TASK_TAGS.stream()).toList()) {
            assertTrue(tags.contains(tag), tag + " missing from the event's tags " + tags);
        }
    }

    static void assertServiceCheck(IntakeRecorder intake, String prefix, String clientTag, String sourceTag,
                                   Duration timeout) {
        String name = prefix + ".healthy";
        RecordedRequest request = intake.awaitRequest(r -> r.path().equals("/api/v1/check_run") && r.accepted()
                && check(r, name).isPresent(), timeout);
        JsonNode check = check(request, name).orElseThrow();
        assertEquals(1, check.path("status").asInt(-1), "WARNING is 1: " + check);
        assertEquals(CHECK_MESSAGE, check.path("message").asText(), check.toString());
        List<String> tags = strings(check.path("tags"));
        for (String tag : Stream.concat(Stream.of(clientTag, sourceTag), TASK_TAGS.stream()).toList()) {
            assertTrue(tags.contains(tag), tag + " missing from the service check's tags " + tags);
        }
        long sent = intake.requests("/api/v1/check_run").stream().filter(RecordedRequest::accepted)
                .filter(r -> check(r, name).isPresent()).count();
        assertEquals(1, sent, "the service check is sent once");
        assertFalse(check.path("check").asText().isEmpty());
    }

    private static Optional<JsonNode> check(RecordedRequest request, String name) {
        JsonNode body = json(request);
        for (JsonNode check : body) {
            if (check.path("check").asText().equals(name)) {
                return Optional.of(check);
            }
        }
        return Optional.empty();
    }

    /** The request's JSON body; a missing node (which matches nothing) when it is not JSON. */
    static JsonNode json(RecordedRequest request) {
        try {
            JsonNode body = JSON.readTree(request.body());
            return body == null ? MissingNode.getInstance() : body;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return Collections.unmodifiableList(out);
    }

    /** Waits for a condition; returns at the timeout without failing, so the caller's assertion says what is wrong. */
    static void awaitQuietly(java.util.function.BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
