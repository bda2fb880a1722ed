package io.pilotfish.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.SinkOptions;
import io.pilotfish.core.plugin.RateLimitedLog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SinkRunnerTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final TelemetryRegistry telemetry = new TelemetryRegistry();
    private final ScriptedSink sink = new ScriptedSink();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private SinkRunner runner(SinkOptions options) {
        return new SinkRunner("test", sink, options, scheduler, scheduler, Clock.systemUTC(),
                telemetry.scoped(TagSet.of("sink:test")), new RateLimitedLog("test", "", Clock.systemUTC(),
                Duration.ofSeconds(60)));
    }

    private static SinkOptions fast(int maxItems, long queueBytes) {
        return new SinkOptions(queueBytes, new BatchLimits(maxItems, 1_000_000), Duration.ofMillis(20),
                Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofHours(1), Duration.ofMillis(300));
    }

    private static Metric point(int i) {
        return Metric.gauge("test.metric", i, 1_700_000_000L + i, TagSet.of("n:" + i));
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }

    private long count(String name, String... tags) {
        return telemetry.total(name, tags);
    }

    private static Set<Double> values(List<Signal> signals) {
        Set<Double> out = new HashSet<>();
        for (Signal s : signals) {
            out.add(((Metric) s).value());
        }
        return out;
    }

    /** A sink whose exports wait until the test ends them. */
    private static final class HeldSink implements io.pilotfish.spi.Sink {
        record Out(List<Signal> batch, java.util.concurrent.CompletableFuture<ExportResult> result) {
        }

        final java.util.concurrent.LinkedBlockingQueue<Out> out = new java.util.concurrent.LinkedBlockingQueue<>();
        final List<Signal> accepted = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        @Override
        public java.util.concurrent.CompletionStage<ExportResult> export(List<Signal> batch) {
            Out export = new Out(List.copyOf(batch), new java.util.concurrent.CompletableFuture<>());
            export.result.thenAccept(result -> {
                if (result instanceof ExportResult.Success) {
                    accepted.addAll(export.batch);
                }
            });
            out.add(export);
            return export.result;
        }

        Out next() throws InterruptedException {
            Out export = out.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            if (export == null) {
                throw new AssertionError("no export started within 10 s");
            }
            return export;
        }

        @Override
        public void close() {
        }
    }

    private static List<Double> valuesInOrder(List<Signal> signals) {
        return signals.stream().map(s -> ((Metric) s).value()).toList();
    }

    @Test
    void upToExportsInFlightGoOutTogetherOneWhileFailingAndFailedBatchesComeBackOldestFirst() throws Exception {
        HeldSink held = new HeldSink();
        SinkOptions twoInFlight = new SinkOptions(1_000_000, new BatchLimits(2, 1_000_000), Duration.ofMillis(20),
                Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofHours(1), Duration.ofSeconds(60), null, 2);
        SinkRunner runner = new SinkRunner("test", held, twoInFlight, scheduler, scheduler, Clock.systemUTC(),
                telemetry.scoped(TagSet.of("sink:test")), new RateLimitedLog("test", "", Clock.systemUTC(),
                Duration.ofSeconds(60)));
        for (int i = 0; i < 8; i++) {
            runner.offer(point(i)); // four full batches of two
        }
        HeldSink.Out first = held.next();
        HeldSink.Out second = held.next();
        assertEquals(List.of(0.0, 1.0), valuesInOrder(first.batch()));
        assertEquals(List.of(2.0, 3.0), valuesInOrder(second.batch()));
        assertEquals(null, held.out.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS), "two out at most");

        // The younger fails first, then the older: they come back in the order they were first taken.
        second.result().complete(new ExportResult.Retryable("HTTP 503"));
        first.result().complete(new ExportResult.Retryable("HTTP 503"));
        HeldSink.Out firstAgain = held.next();
        assertEquals(first.batch(), firstAgain.batch());
        assertEquals(null, held.out.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS),
                "one export at a time while the destination fails");

        firstAgain.result().complete(ExportResult.SUCCESS);
        HeldSink.Out secondAgain = held.next();
        assertEquals(second.batch(), secondAgain.batch(), "the failed batch before the queue's");
        assertEquals(null, held.out.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS),
                "alone until every failed batch is through");
        secondAgain.result().complete(ExportResult.SUCCESS);
        HeldSink.Out third = held.next();
        HeldSink.Out fourth = held.next();
        assertEquals(List.of(4.0, 5.0), valuesInOrder(third.batch()), "two out again once it takes data");
        assertEquals(List.of(6.0, 7.0), valuesInOrder(fourth.batch()));
        fourth.result().complete(ExportResult.SUCCESS);
        third.result().complete(ExportResult.SUCCESS);

        // The runner may learn of an outcome after the sink's stage completed: wait for its count.
        await(() -> count("sink.sent") == 8);
        assertEquals(List.of(0.0, 1.0, 2.0, 3.0, 6.0, 7.0, 4.0, 5.0), valuesInOrder(held.accepted),
                "each once, in the order the exports ended");
        assertEquals(4, count("sink.retried"));
        assertEquals(0, runner.queuedItems());
    }

    @Test
    void anExportThatSucceedsBesideAFailedOneKeepsTheDestinationsRetryAfter() throws Exception {
        HeldSink held = new HeldSink();
        SinkOptions twoInFlight = new SinkOptions(1_000_000, new BatchLimits(2, 1_000_000), Duration.ofMillis(20),
                Duration.ofMillis(10), Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofSeconds(60), null, 2);
        new SinkRunner("test", held, twoInFlight, scheduler, scheduler, Clock.systemUTC(),
                telemetry.scoped(TagSet.of("sink:test")), new RateLimitedLog("test", "", Clock.systemUTC(),
                Duration.ofSeconds(60))).offerAll(List.of(point(0), point(1), point(2), point(3)));
        HeldSink.Out first = held.next();
        HeldSink.Out second = held.next();
        long start = System.nanoTime();
        first.result().complete(new ExportResult.Retryable("HTTP 429", Optional.of(Duration.ofMillis(700))));
        second.result().complete(ExportResult.SUCCESS);
        HeldSink.Out again = held.next();
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(first.batch(), again.batch());
        // Not a performance assertion: the wait must be the one the destination asked for (less the runner's
        // millisecond rounding), not cut short by the other export's success.
        assertTrue(waitedMillis >= 690, "sent again after " + waitedMillis + " ms; Retry-After asked for 700 ms");
    }

    @Test
    void serverErrorsThenRecoveryLoseNothing() throws Exception {
        sink.then(new ExportResult.Retryable("HTTP 500"), 3);
        SinkRunner runner = runner(fast(10, 1_000_000));
        for (int i = 0; i < 25; i++) {
            runner.offer(point(i));
        }
        await(() -> sink.accepted.size() == 25);
        assertEquals(25, values(sink.accepted).size());
        assertEquals(25, count("sink.sent"));
        assertTrue(count("sink.retried") >= 3, "retries are counted");
        assertEquals(0, count("sink.dropped"));
    }

    /** A burst handed over at once is queued, counted and sent like the same items offered one by one. */
    @Test
    void aBurstHandedOverAtOnceIsSentWholeInOrderAndCounted() throws Exception {
        SinkRunner runner = runner(fast(10, 1_000_000));
        List<Signal> burst = new java.util.ArrayList<>();
        for (int i = 0; i < 25; i++) {
            burst.add(point(i));
        }
        runner.offerAll(burst);
        runner.offerAll(List.of());
        await(() -> sink.accepted.size() == 25);
        assertEquals(25, count("sink.received"));
        assertEquals(25, count("sink.sent"));
        assertEquals(burst.stream().map(p -> ((Metric) p).value()).toList(),
                sink.accepted.stream().map(p -> ((Metric) p).value()).toList(),
                "every item once, in the order handed over");
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        sink.then(new ExportResult.Retryable("HTTP 429", Optional.of(Duration.ofMillis(150))), 1);
        SinkRunner runner = runner(fast(10, 1_000_000));
        long start = System.nanoTime();
        runner.offer(point(1));
        await(() -> sink.accepted.size() == 1);
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;
        // Not a performance assertion: the delay must at least be the one the destination asked for.
        assertTrue(waitedMillis >= 150, "waited " + waitedMillis + " ms, Retry-After asked for 150 ms");
    }

    @Test
    void tooLargeBatchesAreSplitAndAllSent() throws Exception {
        sink.fallback = batch -> batch.size() > 3 ? new ExportResult.TooLarge("HTTP 413")
                : ExportResult.SUCCESS;
        SinkRunner runner = runner(fast(16, 1_000_000));
        for (int i = 0; i < 16; i++) {
            runner.offer(point(i));
        }
        await(() -> sink.accepted.size() == 16);
        assertEquals(16, values(sink.accepted).size());
        assertTrue(count("sink.batches.split") >= 3);
        assertEquals(0, count("sink.dropped"));
    }

    @Test
    void aSingleItemTooLargeIsDroppedAndCounted() throws Exception {
        sink.fallback = batch -> new ExportResult.TooLarge("HTTP 413");
        SinkRunner runner = runner(fast(2, 1_000_000));
        runner.offer(point(1));
        runner.offer(point(2));
        await(() -> count("sink.dropped", "reason:too_large") == 2);
    }

    @Test
    void permanentFailuresDropAndCount() throws Exception {
        sink.then(new ExportResult.Permanent("HTTP 400 bad payload"), 1);
        SinkRunner runner = runner(fast(5, 1_000_000));
        for (int i = 0; i < 5; i++) {
            runner.offer(point(i));
        }
        await(() -> count("sink.dropped", "reason:rejected") == 5);
        runner.offer(point(99));
        await(() -> sink.accepted.size() == 1);
    }

    @Test
    void outageLongerThanBudgetDropsOldestAndCounts() throws Exception {
        sink.fallback = batch -> new ExportResult.Retryable("connection refused");
        int bytesPerPoint = point(1).estimatedBytes();
        SinkRunner runner = runner(fast(5, bytesPerPoint * 20L));
        for (int i = 0; i < 100; i++) {
            runner.offer(point(i));
        }
        await(() -> count("sink.dropped", "reason:queue_full") >= 75);
        assertTrue(runner.queuedBytes() <= bytesPerPoint * 20L, "queue stays within its budget");
        sink.fallback = batch -> ExportResult.SUCCESS;
        await(() -> runner.queuedItems() == 0 && sink.accepted.size() > 0);
        // The newest data survives; what survives fits the budget (a batch in flight during the flood may too).
        assertTrue(values(sink.accepted).contains(99.0));
        assertTrue(sink.accepted.size() <= 20, "survivors: " + values(sink.accepted));
        assertTrue(values(sink.accepted).contains(98.0) && !values(sink.accepted).contains(50.0));
        assertEquals(100, count("sink.sent") + count("sink.dropped"));
    }

    @Test
    void drainSendsWhatItCanAndCountsTheRestAtTheDeadline() throws Exception {
        SinkRunner runner = runner(fast(1000, 10_000_000));
        for (int i = 0; i < 10; i++) {
            runner.offer(point(i));
        }
        long dropped = runner.drain(System.currentTimeMillis() + 5_000);
        assertEquals(0, dropped);
        assertEquals(10, sink.accepted.size());

        ScriptedSink failing = new ScriptedSink();
        failing.fallback = batch -> new ExportResult.Retryable("HTTP 503");
        SinkRunner down = new SinkRunner("down", failing, fast(1000, 10_000_000), scheduler, scheduler,
                Clock.systemUTC(), telemetry.scoped(TagSet.of("sink:down")), new RateLimitedLog("t", "",
                Clock.systemUTC(), Duration.ofSeconds(60)));
        for (int i = 0; i < 7; i++) {
            down.offer(point(i));
        }
        assertEquals(7, down.drain(System.currentTimeMillis() + 300));
        assertEquals(7, count("sink.dropped", "sink:down", "reason:shutdown"));
        down.offer(point(8));
        assertEquals(8, count("sink.dropped", "sink:down", "reason:shutdown"), "no intake after drain");
    }

    @Test
    void hungExportTimesOutAndIsRetried() throws Exception {
        sink.hang = true;
        SinkRunner runner = runner(fast(10, 1_000_000));
        runner.offer(point(1));
        await(() -> count("sink.retried") >= 1);
        sink.hang = false;
        await(() -> sink.accepted.size() == 1);
        assertTrue(runner.lastFailure().isEmpty());
    }

    @Test
    void batchesRespectItemLimit() throws Exception {
        SinkRunner runner = runner(fast(4, 1_000_000));
        for (int i = 0; i < 10; i++) {
            runner.offer(point(i));
        }
        await(() -> sink.accepted.size() == 10);
        assertTrue(sink.batchSizes.stream().allMatch(size -> size <= 4), "batches: " + sink.batchSizes);
    }

    @Test
    void rejectedCredentialsKeepTheDataAndAskForTheKeyAgain() throws Exception {
        sink.then(new ExportResult.CredentialsRejected("HTTP 403: the API key was rejected"), 2);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        SinkRunner runner = new SinkRunner("test", sink, fast(10, 1_000_000), scheduler, scheduler,
                Clock.systemUTC(), telemetry.scoped(TagSet.of("sink:test")), new RateLimitedLog("test", "",
                Clock.systemUTC(), Duration.ofSeconds(60)), asked::incrementAndGet);
        for (int i = 0; i < 5; i++) {
            runner.offer(point(i));
        }
        await(() -> sink.accepted.size() == 5);
        assertEquals(2, asked.get(), "each refusal asks the agent to re-read the key");
        assertEquals(0, count("sink.dropped"), "a refused key is not the data's fault");
        assertEquals(10, count("sink.retried"));
    }

    @Test
    void replacingTheSinkKeepsWhatIsQueuedAndSendsItWithTheNewInstance() throws Exception {
        sink.fallback = batch -> new ExportResult.Retryable("HTTP 500");
        SinkRunner runner = runner(fast(10, 1_000_000));
        for (int i = 0; i < 7; i++) {
            runner.offer(point(i));
        }
        await(() -> count("sink.retried") >= 7);
        ScriptedSink replacement = new ScriptedSink();
        runner.replace(replacement, fast(10, 1_000_000));
        await(() -> replacement.accepted.size() == 7);
        runner.offer(point(100));
        await(() -> replacement.accepted.size() == 8);
        assertEquals(8, values(replacement.accepted).size());
        assertTrue(sink.closed, "the replaced instance is closed");
        assertEquals(0, count("sink.dropped"));
    }

    @Test
    void aSmallerQueueBudgetOnReplaceDropsTheOldestAndCountsThem() throws Exception {
        sink.fallback = batch -> new ExportResult.Retryable("HTTP 500");
        SinkRunner runner = runner(new SinkOptions(1_000_000, new BatchLimits(1000, 1_000_000),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofMillis(300)));
        int bytes = point(0).estimatedBytes();
        for (int i = 0; i < 10; i++) {
            runner.offer(point(i));
        }
        ScriptedSink replacement = new ScriptedSink();
        runner.replace(replacement, new SinkOptions(bytes * 4L, new BatchLimits(1000, bytes * 4L),
                Duration.ofMillis(20), Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofHours(1),
                Duration.ofMillis(300)));
        await(() -> replacement.accepted.size() == 4);
        assertEquals(6, count("sink.dropped", "reason:queue_full"));
        assertEquals(Set.of(6.0, 7.0, 8.0, 9.0), values(replacement.accepted), "the newest data is kept");
    }
}
