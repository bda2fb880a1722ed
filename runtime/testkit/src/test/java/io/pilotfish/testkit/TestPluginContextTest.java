package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class TestPluginContextTest {

    /** The key after a rotation: another fresh 32-hex value. */
    private static final String ROTATED_KEY = java.util.UUID.randomUUID().toString().replace("-", "");

    private static final String GENERATED_KEY = java.util.UUID.randomUUID().toString().replace("-", "");

    @Test
    void theClockIsManualAndSettable() {
        try (TestPluginContext context = TestPluginContext.create()) {
            assertEquals(TestPluginContext.DEFAULT_START, context.clock().instant());
            context.advance(Duration.ofSeconds(10));
            assertEquals(TestPluginContext.DEFAULT_START.plusSeconds(10), context.clock().instant());
            context.setTime(Instant.parse("2024-12-31T23:59:00Z"));
            assertEquals(Instant.parse("2024-12-31T23:59:00Z"), context.clock().instant());
            assertThrows(IllegalArgumentException.class, () -> context.advance(Duration.ofSeconds(-1)));
        }
    }

    @Test
    void aQuietLogKeepsEveryLineButPrintsNone() {
        // The JUL logger the context's log prints through (System.Logger's default binding); held, so it stays.
        java.util.logging.Logger printed = java.util.logging.Logger.getLogger("io.pilotfish.test.quiet-log");
        List<String> published = new CopyOnWriteArrayList<>();
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                published.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        printed.setUseParentHandlers(false);
        printed.addHandler(recorder);
        try (TestPluginContext loud = TestPluginContext.builder().instanceName("quiet-log").build();
             TestPluginContext quiet = TestPluginContext.builder().instanceName("quiet-log").quietLog().build()) {
            loud.log().info("printed line");
            quiet.log().info("kept line");
            quiet.log().warn("some_kind", "kept warning");

            assertEquals(List.of("quiet-log: printed line"), published);
            assertTrue(quiet.log().contains("kept line") && quiet.log().contains("kept warning"),
                    quiet.log().dump());
        } finally {
            printed.removeHandler(recorder);
            printed.setUseParentHandlers(true);
        }
    }

    @Test
    void theSchedulerIsRealAndStopsOnClose() throws InterruptedException {
        TestPluginContext context = TestPluginContext.create();
        CountDownLatch ran = new CountDownLatch(1);
        context.scheduler().schedule(ran::countDown, 1, TimeUnit.MILLISECONDS);
        assertTrue(ran.await(30, TimeUnit.SECONDS), "a scheduled task never ran");

        context.close();
        context.close();
        assertThrows(RejectedExecutionException.class, () -> context.scheduler().execute(() -> { }));
    }

    @Test
    void agentSettingsComeFromTheBuilderAndChangeWhileRunning() {
        try (TestPluginContext context = TestPluginContext.builder().instanceName("dd").site("datadoghq.eu")
                .ddUrl(URI.create("http://127.0.0.1:9999")).hostname("i-0abc").globalTags("env:test", "team:x")
                .apiKey(GENERATED_KEY).version("9.9.9").build()) {
            assertEquals("dd", context.instanceName());
            assertEquals("datadoghq.eu", context.agent().site());
            assertEquals(Optional.of(URI.create("http://127.0.0.1:9999")), context.agent().ddUrl());
            assertEquals("i-0abc", context.agent().hostname());
            assertEquals("9.9.9", context.agent().version());
            assertEquals(TagSet.of("env:test", "team:x"), context.agent().globalTags());
            var apiKey = context.agent().apiKey();
            assertEquals(Optional.of(new Secret(GENERATED_KEY)), apiKey.get());

            context.setGlobalTags("env:prod");
            context.setApiKey(ROTATED_KEY);
            assertEquals(TagSet.of("env:prod"), context.agent().globalTags());
            assertEquals(ROTATED_KEY, apiKey.get().orElseThrow().reveal(),
                    "a supplier taken before the rotation gives the new key");
            context.setApiKey(null);
            assertEquals(Optional.empty(), context.agent().apiKey().get());
        }
    }

    @Test
    void countersAreSummedOverTheTagsAsked() {
        try (TestPluginContext context = TestPluginContext.create()) {
            SelfTelemetry telemetry = context.telemetry();
            telemetry.counter("collector.errors", "reason:a").add(2);
            telemetry.counter("collector.errors", "reason:b").increment();

            assertEquals(3, context.counter("collector.errors"));
            assertEquals(2, context.counter("collector.errors", "reason:a"));
            assertEquals(0, context.counter("collector.errors", "reason:c"));
            assertEquals(0, context.counter("never.created"));
            assertEquals(2.0, context.telemetrySnapshot().get("collector.errors{reason:a}"));
        }
    }

    @Test
    void theLogKeepsEveryLineByKindAndStillGoesThroughTheRateLimiter() {
        try (TestPluginContext context = TestPluginContext.create()) {
            CapturedLog log = context.log();
            log.info("started");
            for (int i = 0; i < 3; i++) {
                log.warn("stats_unavailable", "GET /task/stats failed " + i);
            }
            log.error("internal_error", "conversion failed", new CompletionException(
                    new IllegalStateException("bad counter")));

            assertEquals(5, log.lines().size(), "suppressed repeats are kept too");
            assertEquals(3, log.lines("stats_unavailable").size());
            assertEquals(3, log.warnings().size());
            assertEquals(List.of("stats_unavailable", "internal_error"), List.copyOf(log.kinds()));
            assertTrue(log.errors().get(0).text().contains("bad counter"), log.errors().get(0).text());
            assertTrue(log.contains("failed 2"));
            assertEquals("WARN stats_unavailable GET /task/stats failed 0", log.lines().get(1).toString());
            log.clear();
            assertEquals("(nothing logged)", log.dump());
        }
    }

    @Test
    void theDefaultMetadataIsAnEmptyScriptableSource() {
        try (TestPluginContext context = TestPluginContext.create()) {
            assertTrue(context.metadata().available());
            assertTrue(context.metadata().current().isEmpty());
            context.fakeMetadata().answer("/task/stats", "{}".getBytes());
            assertEquals(2, context.metadata().get("/task/stats").toCompletableFuture().join().length);
        }
        byte[] task = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).build().taskJson();
        try (TestPluginContext context = TestPluginContext.builder().task(task).build()) {
            assertEquals(TestPluginContext.DEFAULT_START, context.metadata().current().orElseThrow().fetchedAt());
        }
    }

    @Test
    void againstTheSimulatorUsesTheRealClientAndTheSimulatorsClock() {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(Instant.parse("2026-01-01T00:00:00Z")).start();
             TestPluginContext context = TestPluginContext.against(ecs)) {
            assertInstanceOf(EcsMetadataClient.class, context.metadata());
            assertThrows(IllegalStateException.class, context::fakeMetadata);

            TaskSnapshot snapshot = context.metadata().refresh().toCompletableFuture().join();
            assertEquals(ecs.containerNames().size(), snapshot.task().containers().size());
            assertEquals(Instant.parse("2026-01-01T00:00:00Z"), snapshot.fetchedAt());

            context.advance(Duration.ofSeconds(10));
            assertEquals(Instant.parse("2026-01-01T00:00:10Z"), ecs.now());
            assertEquals(ecs.now(), context.clock().instant());
            assertTrue(context.metadata().get("/task/stats").toCompletableFuture().join().length > 0);
        }
    }

    @Test
    void anEmptyEnvironmentIsTheRealClientWithNoEndpoint() {
        try (TestPluginContext context = TestPluginContext.builder().metadataEnvironment(Map.of()).build()) {
            assertFalse(context.metadata().available());
            CompletionException e = assertThrows(CompletionException.class,
                    () -> context.metadata().refresh().toCompletableFuture().join());
            assertInstanceOf(MetadataException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains(EcsMetadataClient.ENV_V4), e.getCause().getMessage());
        }
    }

    @Test
    void theEmitterKeepsSignalsAndFindsThem() {
        CollectingEmitter emitter = new CollectingEmitter();
        emitter.emitAll(List.of(
                Metric.gauge("cpu", 1, 1, TagSet.of("container_name:app")),
                Metric.gauge("cpu", 2, 1, TagSet.of("container_name:worker")),
                new Event("started", "", 1, Event.AlertType.INFO, Event.Priority.LOW, "", "", TagSet.EMPTY, "")));

        assertEquals(3, emitter.size());
        assertEquals(2, emitter.metrics("cpu").size());
        assertEquals(2, emitter.metric("cpu", "container_name:worker").value());
        assertTrue(emitter.hasMetric("cpu", "container_name:app"));
        assertEquals(Set.of("cpu"), emitter.metricNames());
        assertEquals(1, emitter.events().size());
        assertEquals(1, emitter.ofKind(SignalKind.EVENT).size());
        AssertionError twoFound = assertThrows(AssertionError.class, () -> emitter.metric("cpu"));
        assertTrue(twoFound.getMessage().contains("found 2"), twoFound.getMessage());
        AssertionError noneFound = assertThrows(AssertionError.class, () -> emitter.metric("memory"));
        assertTrue(noneFound.getMessage().contains("[cpu]"), "lists what was emitted: " + noneFound.getMessage());
        assertThrows(NullPointerException.class, () -> emitter.emit(null));
        emitter.clear();
        assertTrue(emitter.isEmpty());
    }
}
