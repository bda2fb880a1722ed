package io.pilotfish.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.DiskBufferOptions;
import io.pilotfish.core.config.SinkOptions;
import io.pilotfish.core.plugin.RateLimitedLog;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sink queue with a disk buffer: spilling over the budget, reading back in order, the stop and the restart. */
class SinkRunnerDiskBufferTest {

    /** The smallest queue the options accept; each line weighs about 1.4 KiB, so 1,000 lines are 20 times it. */
    private static final long QUEUE = 64 * 1024;

    @TempDir
    Path dir;

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final TelemetryRegistry telemetry = new TelemetryRegistry();
    private final List<SinkRunner> runners = new ArrayList<>();

    @AfterEach
    void stop() {
        runners.forEach(SinkRunner::close);
        scheduler.shutdownNow();
    }

    private SinkRunner runner(ScriptedSink sink, long diskMaxBytes) {
        SinkOptions options = new SinkOptions(QUEUE, new BatchLimits(100, 32 * 1024), Duration.ofMillis(20),
                Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofHours(1), Duration.ofSeconds(5),
                new DiskBufferOptions(Optional.of(dir.resolve("buffer")), diskMaxBytes));
        SinkRunner runner = new SinkRunner("logs", sink, options, scheduler, scheduler, Clock.systemUTC(),
                telemetry.scoped(TagSet.of("sink:logs")), new RateLimitedLog("test", "", Clock.systemUTC(),
                Duration.ofSeconds(60)));
        runners.add(runner);
        return runner;
    }

    private static LogRecord line(int n) {
        return LogRecord.of("line " + n + " " + "x".repeat(1200), 1_700_000_000_000L + n, "info", "svc", "app",
                TagSet.of("container_name:app"));
    }

    private static int number(Signal signal) {
        String text = ((LogRecord) signal).messageText();
        return Integer.parseInt(text.substring(5, text.indexOf(' ', 5)));
    }

    private static List<Integer> numbers(List<Signal> signals) {
        synchronized (signals) {
            return signals.stream().map(SinkRunnerDiskBufferTest::number).toList();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    private long count(String name, String... tags) {
        return telemetry.total(name, tags);
    }

    /** A sink down until {@code up} is set. */
    private static ScriptedSink down(boolean[] up) {
        ScriptedSink sink = new ScriptedSink();
        sink.fallback = batch -> up[0] ? ExportResult.SUCCESS : new ExportResult.Retryable("HTTP 503");
        return sink;
    }

    @Test
    void overTheBudgetLinesGoToDiskAndComeBackInOrder() throws Exception {
        boolean[] up = {false};
        ScriptedSink sink = down(up);
        SinkRunner runner = runner(sink, 64L * 1024 * 1024);
        for (int i = 0; i < 1000; i++) {
            runner.offer(line(i));
        }
        await("lines spilled", () -> count("sink.disk_buffer.spilled", "sink:logs") > 500);
        assertTrue(runner.queuedBytes() <= QUEUE + SinkRunner.diskScratchBytes(), runner.queuedBytes() + " bytes");
        assertTrue(runner.diskBuffer().orElseThrow().bytes() > 0);
        up[0] = true;
        await("every line sent", () -> sink.accepted.size() >= 1000);
        assertEquals(IntStream.range(0, 1000).boxed().toList(), numbers(sink.accepted), "each once, in order");
        assertEquals(0, count("sink.dropped", "sink:logs"));
        assertTrue(count("sink.disk_buffer.replayed", "sink:logs") > 500);
        await("the disk emptied", () -> runner.diskBuffer().orElseThrow().items() == 0 && runner.queuedItems() == 0);
    }

    @Test
    void linesArrivingWhileTheDiskDrainsKeepTheirOrder() throws Exception {
        boolean[] up = {false};
        ScriptedSink sink = down(up);
        SinkRunner runner = runner(sink, 64L * 1024 * 1024);
        for (int i = 0; i < 600; i++) {
            runner.offer(line(i));
        }
        await("lines spilled", () -> count("sink.disk_buffer.spilled", "sink:logs") > 300);
        up[0] = true;
        for (int i = 600; i < 1200; i++) {
            runner.offer(line(i));
        }
        await("every line sent", () -> sink.accepted.size() >= 1200);
        assertEquals(IntStream.range(0, 1200).boxed().toList(), numbers(sink.accepted));
    }

    @Test
    void aStopWritesWhatIsLeftAndTheNextStartSendsItFirst() throws Exception {
        boolean[] up = {false};
        ScriptedSink first = down(up);
        SinkRunner runner = runner(first, 64L * 1024 * 1024);
        for (int i = 0; i < 800; i++) {
            runner.offer(line(i));
        }
        await("a retry", () -> count("sink.retried", "sink:logs") > 0);
        long dropped = runner.drain(System.currentTimeMillis() + 500);
        runner.close();
        assertEquals(0, dropped, "written to disk, not dropped");
        assertEquals(0, count("sink.dropped", "sink:logs"));
        assertEquals(800, count("sink.disk_buffer.spilled", "sink:logs"), "each line written once");

        ScriptedSink second = new ScriptedSink();
        SinkRunner restarted = runner(second, 64L * 1024 * 1024);
        restarted.offer(line(800)); // new data waits behind what was kept
        await("every line sent", () -> second.accepted.size() >= 801);
        assertEquals(IntStream.range(0, 801).boxed().toList(), numbers(second.accepted));
        assertEquals(0, count("sink.dropped", "sink:logs"));

        // A third start finds nothing left to send: nothing was acknowledged twice or kept after its send.
        restarted.drain(System.currentTimeMillis() + 2000);
        restarted.close();
        ScriptedSink third = new ScriptedSink();
        SinkRunner again = runner(third, 64L * 1024 * 1024);
        again.offer(line(801));
        await("the new line", () -> third.accepted.size() >= 1);
        assertEquals(List.of(801), numbers(third.accepted));
    }

    @Test
    void aFullDiskDropsItsOldestSegmentCountedAndKeepsTheNewest() throws Exception {
        boolean[] up = {false};
        ScriptedSink sink = down(up);
        SinkRunner runner = runner(sink, DiskBuffer_MIN);
        int lines = 3000; // about 4 MiB of lines for a 1 MiB disk
        for (int i = 0; i < lines; i++) {
            runner.offer(line(i));
        }
        await("disk_full counted", () -> count("sink.dropped", "sink:logs", "reason:disk_full") > 0);
        assertTrue(runner.queuedBytes() <= QUEUE + SinkRunner.diskScratchBytes(), runner.queuedBytes() + " bytes");
        assertTrue(runner.diskBuffer().orElseThrow().bytes() <= DiskBuffer_MIN);
        up[0] = true;
        await("everything kept is sent", () -> sink.accepted.size() + count("sink.dropped", "sink:logs") >= lines);
        List<Integer> got = numbers(sink.accepted);
        assertEquals(lines, got.size() + count("sink.dropped", "sink:logs"), "every line sent or counted");
        assertEquals(lines - 1, got.get(got.size() - 1), "the newest kept");
        for (int i = 1; i < got.size(); i++) {
            assertTrue(got.get(i) > got.get(i - 1), "in order, no duplicate: " + got);
        }
    }

    private static final long DiskBuffer_MIN = io.pilotfish.core.buffer.DiskBuffer.MIN_MAX_BYTES;

    @Test
    void kindsWithoutACodecAreDroppedAsBefore() throws Exception {
        boolean[] up = {false};
        ScriptedSink sink = down(up);
        SinkRunner runner = runner(sink, 64L * 1024 * 1024);
        for (int i = 0; i < 2000; i++) {
            runner.offer(Metric.gauge("m", i, 1_700_000_000L + i, TagSet.of("n:" + i, "pad:" + "y".repeat(200))));
        }
        await("queue_full counted", () -> count("sink.dropped", "sink:logs", "reason:queue_full") > 0);
        assertEquals(0, count("sink.disk_buffer.spilled", "sink:logs"));
    }

    @Test
    void anUnusableDirectoryStopsTheSinkNamingTheKey() throws Exception {
        Path file = Files.writeString(dir.resolve("buffer"), "not a directory");
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> runner(new ScriptedSink(), 64L * 1024 * 1024));
        assertTrue(error.getMessage().contains("pilotfish.sinks.logs.disk-buffer.path"), error.getMessage());
        assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
    }
}
