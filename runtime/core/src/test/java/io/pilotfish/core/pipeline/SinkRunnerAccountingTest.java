package io.pilotfish.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.core.config.SinkOptions;
import io.pilotfish.core.plugin.RateLimitedLog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Property test of the sink queue's accounting: for random sequences of offers, export outcomes (success, retry,
 * 413 splits, rejection, credentials refused, exceptions), reloads with other budgets and a final drain, every item
 * and every byte received is sent, dropped with a reason, or still queued, after every step, and the queue never
 * holds more than its budget.
 */
class SinkRunnerAccountingTest {

    private static final int SEQUENCES = 150;
    private static final int STEPS = 250;

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** Exports wait here until the test decides their outcome. */
    private static final class ControlledSink implements Sink {
        final ConcurrentLinkedQueue<CompletableFuture<ExportResult>> pending = new ConcurrentLinkedQueue<>();

        @Override
        public CompletionStage<ExportResult> export(List<Signal> batch) {
            CompletableFuture<ExportResult> outcome = new CompletableFuture<>();
            pending.add(outcome);
            return outcome;
        }

        @Override
        public void close() {
        }
    }

    private static SinkOptions options(long queueBytes, int maxItems, int exportsInFlight) {
        return new SinkOptions(queueBytes, new BatchLimits(maxItems, Math.max(1024, queueBytes / 2)),
                Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofMillis(3), Duration.ofHours(1),
                Duration.ofSeconds(30), null, exportsInFlight);
    }

    private static SinkOptions options(long queueBytes, int maxItems) {
        return options(queueBytes, maxItems, 1);
    }

    /** One of the exports out, not always the oldest: with several in flight they end in any order. */
    private static CompletableFuture<ExportResult> anyPending(ControlledSink sink, Random random) {
        List<CompletableFuture<ExportResult>> out = new ArrayList<>(sink.pending);
        if (out.isEmpty()) {
            return null;
        }
        CompletableFuture<ExportResult> chosen = out.get(random.nextInt(out.size()));
        sink.pending.remove(chosen);
        return chosen;
    }

    private static Metric point(Random random, int i) {
        return Metric.gauge("accounting.metric", i, 1_700_000_000L, TagSet.of("id:" + "x".repeat(random.nextInt(300))
                + i));
    }

    private static ExportResult outcome(Random random) {
        return switch (random.nextInt(7)) {
            case 0, 1 -> ExportResult.SUCCESS;
            case 2 -> new ExportResult.Retryable("HTTP 500");
            case 3, 4 -> new ExportResult.TooLarge("HTTP 413");
            case 5 -> new ExportResult.Permanent("HTTP 400");
            default -> new ExportResult.CredentialsRejected("HTTP 403");
        };
    }

    @Test
    void everyItemAndByteIsSentDroppedOrQueuedAfterEveryStep() throws Exception {
        for (int seed = 1; seed <= SEQUENCES; seed++) {
            runSequence(seed);
        }
    }

    private void runSequence(long seed) throws Exception {
        Random random = new Random(seed);
        TelemetryRegistry telemetry = new TelemetryRegistry();
        ControlledSink sink = new ControlledSink();
        long budget = 4096 + random.nextInt(64 * 1024);
        int inFlight = 1 + random.nextInt(3);
        SinkRunner runner = new SinkRunner("accounting", sink, options(budget, 1 + random.nextInt(40), inFlight),
                scheduler,
                scheduler, Clock.systemUTC(), telemetry.scoped(TagSet.of("sink:accounting")),
                new RateLimitedLog("accounting", "", Clock.systemUTC(), Duration.ofHours(1)));
        List<String> steps = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            int choice = random.nextInt(10);
            if (choice < 5) {
                int burst = 1 + random.nextInt(30);
                for (int i = 0; i < burst; i++) {
                    runner.offer(point(random, step * 100 + i));
                }
                steps.add("offer " + burst);
            } else if (choice < 8) {
                CompletableFuture<ExportResult> export = anyPending(sink, random);
                if (export != null) {
                    if (random.nextInt(10) == 0) {
                        export.completeExceptionally(new IllegalStateException("connection reset"));
                        steps.add("export throws");
                    } else {
                        ExportResult result = outcome(random);
                        export.complete(result);
                        steps.add("export " + result.getClass().getSimpleName());
                    }
                }
            } else if (choice == 8) {
                budget = 4096 + random.nextInt(64 * 1024);
                inFlight = 1 + random.nextInt(3);
                runner.replace(sink, options(budget, 1 + random.nextInt(40), inFlight));
                steps.add("replace budget " + budget + ", " + inFlight + " in flight");
            } else {
                runner.retryNow();
                steps.add("retry now");
            }
            check(seed, steps, telemetry, runner, budget);
            if (sink.pending.size() > 3) {
                fail(sink.pending.size() + " exports out at once, more than any exports-in-flight of the sequence"
                        + " (seed " + seed + ")");
            }
        }
        // Drain: the destination now takes everything, until the queue is empty or the deadline passes.
        Thread drainer = Thread.ofPlatform().start(() -> runner.drain(System.currentTimeMillis() + 5_000));
        while (drainer.isAlive()) {
            CompletableFuture<ExportResult> export = anyPending(sink, random);
            if (export != null) {
                export.complete(random.nextBoolean() ? ExportResult.SUCCESS : new ExportResult.TooLarge("HTTP 413"));
            }
            check(seed, steps, telemetry, runner, budget);
            Thread.sleep(1);
        }
        steps.add("drained");
        check(seed, steps, telemetry, runner, budget);
        assertEquals(0, runner.queuedItems(), "nothing is left queued after a drain (seed " + seed + ")");
        assertEquals(0, runner.queuedBytes(), "no bytes are left queued after a drain (seed " + seed + ")");
        assertTrue(telemetry.total("sink.received") > 0, "the sequence offered data (seed " + seed + ")");
    }

    private static void check(long seed, List<String> steps, TelemetryRegistry telemetry, SinkRunner runner,
                              long budget) {
        long receivedItems;
        long receivedBytes;
        long accountedItems;
        long accountedBytes;
        long queuedBytes;
        synchronized (runner) { // the runner updates its counters under its own lock
            receivedItems = telemetry.total("sink.received");
            receivedBytes = telemetry.total("sink.received.bytes");
            queuedBytes = runner.queuedBytes();
            accountedItems = telemetry.total("sink.sent") + telemetry.total("sink.dropped") + runner.queuedItems();
            accountedBytes = telemetry.total("sink.sent.bytes") + telemetry.total("sink.dropped.bytes")
                    + queuedBytes;
        }
        String where = " (seed " + seed + ", after: "
                + String.join(", ", steps.subList(Math.max(0, steps.size() - 8), steps.size())) + ")";
        if (receivedItems != accountedItems) {
            fail("items: received " + receivedItems + " != sent + dropped + queued " + accountedItems + where);
        }
        if (receivedBytes != accountedBytes) {
            fail("bytes: received " + receivedBytes + " != sent + dropped + queued " + accountedBytes + where);
        }
        if (queuedBytes < 0) {
            fail("queued bytes went negative: " + queuedBytes + where);
        }
        if (queuedBytes > budget + 3 * 64 * 1024) {
            // A reload to a smaller budget may leave the exports in flight (up to 3 here) above it until they end.
            fail("queue holds " + queuedBytes + " bytes, budget " + budget + where);
        }
    }

    @Test
    void a413StormKeepsTheByteCountAndTheBudget() throws Exception {
        TelemetryRegistry telemetry = new TelemetryRegistry();
        ControlledSink sink = new ControlledSink();
        long budget = 16 * 1024;
        SinkRunner runner = new SinkRunner("storm", sink, options(budget, 64), scheduler, scheduler,
                Clock.systemUTC(), telemetry.scoped(TagSet.of("sink:storm")),
                new RateLimitedLog("storm", "", Clock.systemUTC(), Duration.ofHours(1)));
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            for (int i = 0; i < 20; i++) {
                runner.offer(point(random, round * 100 + i));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            CompletableFuture<ExportResult> export;
            while ((export = sink.pending.poll()) == null && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            if (export != null) {
                export.complete(new ExportResult.TooLarge("HTTP 413"));
            }
            assertTrue(runner.queuedBytes() >= 0, "queued bytes never go negative, round " + round + ": "
                    + runner.queuedBytes());
            assertTrue(runner.queuedBytes() <= budget, "the budget still applies after splits, round " + round
                    + ": " + runner.queuedBytes() + " > " + budget);
        }
        assertTrue(telemetry.total("sink.dropped", "reason:queue_full") > 0,
                "a storm that outgrows the budget drops the oldest, counted");
    }

    @Test
    void aBurstTheDestinationTakesIsWaitedForRatherThanDropped() throws Exception {
        TelemetryRegistry telemetry = new TelemetryRegistry();
        Sink fast = new Sink() {
            @Override
            public CompletionStage<ExportResult> export(List<Signal> batch) {
                return CompletableFuture.supplyAsync(() -> ExportResult.SUCCESS,
                        CompletableFuture.delayedExecutor(2, java.util.concurrent.TimeUnit.MILLISECONDS));
            }

            @Override
            public void close() {
            }
        };
        long budget = 64 * 1024;
        SinkRunner runner = new SinkRunner("burst", fast, options(budget, 50), scheduler, scheduler,
                Clock.systemUTC(), telemetry.scoped(TagSet.of("sink:burst")),
                new RateLimitedLog("burst", "", Clock.systemUTC(), Duration.ofHours(1)));
        Random random = new Random(3);
        int burst = 5_000; // about 20 times the queue budget
        for (int i = 0; i < burst; i++) {
            runner.offer(point(random, i));
            if (i % 50 == 49) {
                runner.awaitRoom(System.nanoTime() + Duration.ofSeconds(30).toNanos());
            }
        }
        runner.drain(System.currentTimeMillis() + 30_000);
        assertEquals(0, telemetry.total("sink.dropped"), "a burst the destination takes loses nothing");
        assertEquals(burst, telemetry.total("sink.sent"));
    }

    @Test
    void awaitingRoomReturnsAtOnceWhileTheDestinationFails() {
        TelemetryRegistry telemetry = new TelemetryRegistry();
        ControlledSink sink = new ControlledSink();
        SinkRunner runner = new SinkRunner("failing", sink, options(8 * 1024, 5), scheduler, scheduler,
                Clock.systemUTC(), telemetry.scoped(TagSet.of("sink:failing")),
                new RateLimitedLog("failing", "", Clock.systemUTC(), Duration.ofHours(1)));
        Random random = new Random(5);
        runner.offer(point(random, 0));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (sink.pending.isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        sink.pending.poll().complete(new ExportResult.Retryable("HTTP 503", Optional.of(Duration.ofHours(1))));
        for (int i = 1; i < 200; i++) {
            runner.offer(point(random, i));
        }
        // Not a timing assertion: with a one-hour deadline, only the failure can make it return.
        assertTrue(runner.awaitRoom(System.nanoTime() + Duration.ofHours(1).toNanos()),
                "a failing destination does not hold the collector up");
        assertTrue(telemetry.total("sink.dropped", "reason:queue_full") > 0);
    }
}
