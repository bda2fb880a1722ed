package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * The fault-and-abuse suite: the packaged agent, started by the launcher with its 48 MiB heap and exit on
 * OutOfMemoryError, under the loads that ended it before (unbounded cardinality, a slow leak of new contexts, a
 * burst larger than a sink's queue, a storm of 413s) and with configurations that cannot fit its heap. Each scenario
 * asserts the agent is alive at the end, its peak RSS stayed under the budget its JVM flags give, every item a sink
 * received is sent, dropped with a reason or still queued (items and bytes), and {@code status} names the drops. Peak
 * RSS and drops by reason are written to {@code target/hostile-input.txt} for bench/RESULTS.md.
 */
class HostileInputIT {

    /**
     * The launcher's -Xmx48m, -XX:MaxMetaspaceSize=96m and -XX:ReservedCodeCacheSize=32m, and 32 MiB for thread stacks,
     * GC structures and direct buffers: an agent over this is not bounded by its flags any more.
     */
    private static final long RSS_BUDGET_KIB = (48 + 96 + 32 + 32) * 1024;
    private static final Path FIGURES = Path.of("target", "hostile-input.txt");

    /** Metrics only (APM off): the launcher then gives the 48 MiB heap these budgets are about. */
    private static AgentProcess.Builder launcherAgent(AgentFixture fixture) {
        return fixture.agent().viaLauncher().env("DD_APM_ENABLED", "false")
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort));
    }

    /**
     * Sends {@code count} lines, packed into datagrams of at most 1,400 bytes, evenly over {@code over}.
     *
     * @return datagrams sent
     */
    private static long send(int port, long count, Duration over, LongFunction<String> line) throws Exception {
        long packets = 0;
        long start = System.nanoTime();
        long perPacketNanos;
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.connect(new InetSocketAddress("127.0.0.1", port));
            ByteBuffer packet = ByteBuffer.allocate(1400);
            long linesPerPacketGuess = Math.max(1, 1400 / (line.apply(0).length() + 1));
            perPacketNanos = over.toNanos() / Math.max(1, count / linesPerPacketGuess);
            for (long i = 0; i < count; i++) {
                byte[] bytes = (line.apply(i) + "\n").getBytes(StandardCharsets.UTF_8);
                if (packet.position() + bytes.length > packet.capacity()) {
                    packet.flip();
                    channel.write(packet);
                    packet.clear();
                    packets++;
                    long due = start + packets * perPacketNanos;
                    long ahead = due - System.nanoTime();
                    if (ahead > 1_000_000) {
                        Thread.sleep(ahead / 1_000_000);
                    }
                }
                packet.put(bytes);
            }
            if (packet.position() > 0) {
                packet.flip();
                channel.write(packet);
                packets++;
            }
        }
        return packets;
    }

    /** The agent's own figures on its status port, in one reading: sink accounting and the drops. */
    private record Accounting(double received, double sent, double dropped, double queued, double receivedBytes,
                              double sentBytes, double droppedBytes, double queuedBytes) {

        static Accounting read(AgentFixture fixture) {
            return new Accounting(fixture.localFigure("pilotfish_sink_received_total"),
                    fixture.localFigure("pilotfish_sink_sent_total"),
                    fixture.localFigure("pilotfish_sink_dropped_total"),
                    fixture.localFigure("pilotfish_sink_queue_items"),
                    fixture.localFigure("pilotfish_sink_received_bytes_total"),
                    fixture.localFigure("pilotfish_sink_sent_bytes_total"),
                    fixture.localFigure("pilotfish_sink_dropped_bytes_total"),
                    fixture.localFigure("pilotfish_sink_queue_bytes"));
        }

        boolean balanced() {
            return received > 0 && received == sent + dropped + queued
                    && receivedBytes == sentBytes + droppedBytes + queuedBytes;
        }
    }

    /**
     * After the load: the agent is alive, within its RSS budget, and its sink accounting balances (waited for, since
     * the collectors keep emitting while the figures are read one by one).
     */
    private static void assertSurvivedAndAccounted(String scenario, AgentFixture fixture, AgentProcess agent)
            throws Exception {
        assertTrue(agent.alive(), scenario + ": the agent is alive after the load\n" + agent.outputText());
        long peak = agent.peakRssKiB();
        assertTrue(peak > 0 && peak < RSS_BUDGET_KIB, scenario + ": peak RSS " + peak / 1024 + " MiB, budget "
                + RSS_BUDGET_KIB / 1024 + " MiB");
        AgentFixture.await(scenario + ": received = sent + dropped + queued, in items and bytes",
                Duration.ofSeconds(60), () -> Accounting.read(fixture).balanced());
        Accounting last = Accounting.read(fixture);
        assertTrue(last.queuedBytes() >= 0, scenario + ": queued bytes " + last.queuedBytes());
        record(scenario, peak, fixture);
    }

    private static void record(String scenario, long peakKiB, AgentFixture fixture) throws IOException {
        String line = String.format(Locale.ROOT, "%s: peak RSS %.1f MiB; dogstatsd dropped: aggregator_memory %.0f, "
                        + "context_limit %.0f, queue_full %.0f; kernel drops %.0f; sink dropped: queue_full %.0f, "
                        + "too_large %.0f; sink sent %.0f%n", scenario, peakKiB / 1024.0,
                fixture.localFigure("pilotfish_dogstatsd_dropped_total", "reason=\"aggregator_memory\""),
                fixture.localFigure("pilotfish_dogstatsd_dropped_total", "reason=\"context_limit\""),
                fixture.localFigure("pilotfish_dogstatsd_dropped_total", "reason=\"queue_full\""),
                fixture.localFigure("pilotfish_dogstatsd_kernel_drops"),
                fixture.localFigure("pilotfish_sink_dropped_total", "reason=\"queue_full\""),
                fixture.localFigure("pilotfish_sink_dropped_total", "reason=\"too_large\""),
                fixture.localFigure("pilotfish_sink_sent_total"));
        System.out.print("HOSTILE " + line);
        Files.createDirectories(FIGURES.getParent());
        Files.writeString(FIGURES, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static AgentProcess started(AgentFixture fixture) throws Exception {
        AgentProcess agent = fixture.start(launcherAgent(fixture));
        assertTrue(agent.awaitLine(l -> l.contains(" ready in "), Duration.ofSeconds(60)), agent.outputText());
        return agent;
    }

    /** Waits until every bucket of the load has been flushed and the sinks' queues are empty. */
    private static void awaitFlushed(AgentFixture fixture) throws InterruptedException {
        double before = fixture.localFigure("pilotfish_dogstatsd_points_total");
        AgentFixture.await("a DogStatsD flush after the load", Duration.ofSeconds(60),
                () -> fixture.localFigure("pilotfish_dogstatsd_points_total") > before);
        AgentFixture.await("every bucket of the load flushed", Duration.ofSeconds(60),
                () -> fixture.localFigure("pilotfish_dogstatsd_contexts") == 0);
        AgentFixture.await("the sinks' queues drained", Duration.ofSeconds(60),
                () -> fixture.localFigure("pilotfish_sink_queue_items") == 0);
    }

    private static String status(AgentFixture fixture) throws Exception {
        AgentProcess.CommandOutput out = AgentProcess.builder()
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                .args("status", "--json").runToEnd(Duration.ofSeconds(60));
        return out.stdout();
    }

    @Test
    void aMillionUniqueMetricNames() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = started(fixture);
            send(fixture.dogstatsdPort, 1_000_000, Duration.ofSeconds(10), i -> "hostile.name." + i + ":1|c");
            awaitFlushed(fixture);
            assertTrue(fixture.localFigure("pilotfish_dogstatsd_dropped_total", "reason=\"aggregator_memory\"") > 0,
                    "contexts beyond the aggregator's memory are dropped and counted");
            assertTrue(status(fixture).contains("aggregator_memory"), "status names the drop reason");
            assertSurvivedAndAccounted("1M unique metric names in 10 s", fixture, agent);
        }
    }

    @Test
    void aMillionUniqueTagValues() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = started(fixture);
            send(fixture.dogstatsdPort, 1_000_000, Duration.ofSeconds(10),
                    i -> "hostile.requests:1|c|#user:user-" + i + ",env:hostile");
            awaitFlushed(fixture);
            assertTrue(fixture.localFigure("pilotfish_dogstatsd_dropped_total", "reason=\"aggregator_memory\"") > 0);
            assertSurvivedAndAccounted("1M unique tag values in 10 s", fixture, agent);
        }
    }

    @Test
    void aBurstOfContextsIsSentNotDroppedFromTheQueue() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = started(fixture);
            send(fixture.dogstatsdPort, 100_000, Duration.ofSeconds(10), i -> "hostile.burst:" + i + "|g|#id:" + i);
            awaitFlushed(fixture);
            assertEquals(0.0, fixture.localFigure("pilotfish_sink_dropped_total", "reason=\"queue_full\""),
                    "a burst the intake takes is sent, not pushed out of the queue");
            long delivered = fixture.intake.series("hostile.burst").size();
            assertTrue(delivered > 5_000, "thousands of the burst's contexts reached the intake: " + delivered);
            assertSurvivedAndAccounted("100k contexts in 10 s (burst)", fixture, agent);
        }
    }

    @Test
    void aSlowLeakOfNewCounters() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = started(fixture);
            // 5,000 new counters a second for 40 s: each is kept 300 s for zero-reporting.
            send(fixture.dogstatsdPort, 200_000, Duration.ofSeconds(40), i -> "hostile.leak:1|c|#id:" + i);
            awaitFlushed(fixture);
            double held = fixture.localFigure("pilotfish_dogstatsd_aggregator_bytes");
            assertTrue(held <= 48.0 * 1024 * 1024 / 5, "the aggregator holds at most its budget (a fifth of the heap): " + held);
            assertSurvivedAndAccounted("slow leak, 5k new counters/s for 40 s", fixture, agent);
        }
    }

    @Test
    void aStormOf413sKeepsTheQueueWithinItsBudget() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = started(fixture);
            fixture.intake.alwaysRespond(413);
            send(fixture.dogstatsdPort, 50_000, Duration.ofSeconds(5), i -> "hostile.storm:1|c|#id:" + i);
            AgentFixture.await("items dropped as too large during the storm", Duration.ofSeconds(60),
                    () -> fixture.localFigure("pilotfish_sink_dropped_total", "reason=\"too_large\"") > 0);
            String during = status(fixture);
            assertTrue(during.contains("too_large"), "status names the drops while they last: " + during);
            double queued = fixture.localFigure("pilotfish_sink_queue_bytes");
            assertTrue(queued >= 0, "queued bytes never go negative: " + queued);
            fixture.intake.reset();
            fixture.intake.acceptKeys(fixture.apiKey);
            awaitFlushed(fixture);
            assertSurvivedAndAccounted("413 storm, 50k contexts", fixture, agent);
        }
    }

    @Test
    void oversizedMetadataAnswersAreRefusedAndTheLastSnapshotKept() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(launcherAgent(fixture)
                    .property("pilotfish.collectors.container-stats.interval", "1s")
                    .property("pilotfish.collectors.ecs-metadata.interval", "1s"));
            fixture.intake.awaitSeries("ecs.fargate.mem.usage", series -> true, Duration.ofSeconds(60));
            // 16 MB that says its length, then 200 MB chunked: either ended the agent within a second before.
            fixture.task.oversizedNext(3, "/task/stats", 16L * 1024 * 1024, true);
            fixture.task.oversizedNext(3, "/task", 200L * 1024 * 1024, false);
            AgentFixture.await("both routes refused and counted", Duration.ofSeconds(60),
                    () -> fixture.localFigure("pilotfish_metadata_answers_dropped_total", "route=\"/task/stats\"") > 0
                            && fixture.localFigure("pilotfish_metadata_answers_dropped_total", "route=\"/task\"") > 0);
            String during = status(fixture);
            assertTrue(during.contains("answers_dropped"), "status names the refusals: " + during);
            assertTrue(fixture.task.oversizedBodiesCutShort() > 0, "the agent stopped reading instead of holding it");
            int before = fixture.timestamps("ecs.fargate.mem.usage").size();
            AgentFixture.await("task metrics keep coming after the refusals", Duration.ofSeconds(60),
                    () -> fixture.timestamps("ecs.fargate.mem.usage").size() > before + 1);
            assertSurvivedAndAccounted("16 MB /task/stats and 200 MB /task answers", fixture, agent);
        }
    }

    @Test
    void aQueueBudgetLargerThanTheHeapIsRefusedAtStart() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess.CommandOutput out = launcherAgent(fixture)
                    .property("pilotfish.sinks.datadog-metrics.queue.max-bytes", "4294967296")
                    .args("run").runToEnd(Duration.ofSeconds(60));
            assertNotEquals(0, out.exitCode(), out.toString());
            String all = out.stdout() + out.stderr();
            assertTrue(all.contains("queue.max-bytes") && all.contains("but the heap is"), all);
            assertTrue(all.contains("4096.0 MiB"), "the numbers: " + all);
            assertTrue(all.contains("-Xmx"), "names the fix: " + all);

            AgentProcess.CommandOutput busy = launcherAgent(fixture).property("pilotfish.telemetry.interval", "1ms")
                    .args("run").runToEnd(Duration.ofSeconds(60));
            assertNotEquals(0, busy.exitCode(), busy.toString());
            assertTrue((busy.stdout() + busy.stderr()).contains("pilotfish.telemetry.interval=\"1ms\""),
                    "an interval below its lower bound is refused: " + busy);
        }
    }
}
