package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import io.pilotfish.testkit.TestPluginContext;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A metadata answer far larger than any real task's (16 MB announced, or 200 MB chunked with no length) is refused
 * at the body limit instead of filling the heap: counted, logged with the route and the limit, not retried, and the
 * scrape goes on with the last good snapshot. Reading stops early: the simulator gets to write only a fraction of it.
 */
class OversizedMetadataTest {

    private static final long ANNOUNCED = 16L << 20;
    private static final long CHUNKED = 200L << 20;
    /** Generous: only reached when something is broken. */
    private static final long WAIT_MILLIS = 20_000;

    private EcsMetadataSimulator ecs;
    private TestPluginContext context;
    private Scraper scraper;

    @AfterEach
    void close() {
        if (context != null) {
            context.close();
        }
        if (ecs != null) {
            ecs.close();
        }
    }

    private void start() {
        ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .manualClock(TestPluginContext.DEFAULT_START).start();
        context = TestPluginContext.builder().against(ecs).quietLog().build();
        scraper = (Scraper) new ContainerStatsFactory().create(ContainerStatsConfig.DEFAULT, context);
        CollectingEmitter first = scrape();
        assertTrue(first.hasMetric("ecs.fargate.mem.usage", "container_name:app"), "a good first scrape");
        context.advance(Duration.ofSeconds(10));
    }

    private CollectingEmitter scrape() {
        CollectingEmitter emitted = new CollectingEmitter();
        scraper.scrape(emitted).toCompletableFuture().join();
        return emitted;
    }

    @ParameterizedTest(name = "Content-Length announced: {0}")
    @ValueSource(booleans = {true, false})
    void anOversizedStatsAnswerIsRefusedAndTheScrapeKeepsTheTasksOwnMetrics(boolean announced) {
        start();
        long size = announced ? ANNOUNCED : CHUNKED;
        ecs.oversizedNext(1, "/task/stats", size, announced);

        CollectingEmitter refused = scrape();

        assertEquals(1, context.counter("metadata.answers_dropped", "route:/task/stats", "reason:body_too_large"),
                context.telemetrySnapshot().toString());
        assertEquals(2, ecs.requestCount("/task/stats"), "one request per scrape: a refusal is not retried");
        assertFalse(refused.hasMetric("ecs.fargate.mem.usage"), "no stats from the refused answer");
        assertTrue(refused.hasMetric("ecs.fargate.mem.task.limit"), "the task's limits still come from /task");
        assertEquals(1, context.counter("collector.errors", "reason:stats_unavailable"));
        String limit = io.pilotfish.core.http.BodyTooLargeException.size(
                EcsMetadataClient.Options.DEFAULT_MAX_BODY_BYTES);
        assertTrue(context.log().contains("/task/stats refused: the answer is larger than the limit of " + limit),
                context.log().dump());
        assertReadStopped(size);

        context.advance(Duration.ofSeconds(10));
        assertTrue(scrape().hasMetric("ecs.fargate.mem.usage", "container_name:app"), "the next answer is read");
    }

    @ParameterizedTest(name = "Content-Length announced: {0}")
    @ValueSource(booleans = {true, false})
    void anOversizedTaskAnswerIsRefusedAndTheLastGoodSnapshotStays(boolean announced) {
        start();
        TaskSnapshot good = context.metadata().current().orElseThrow();
        long size = announced ? ANNOUNCED : CHUNKED;
        ecs.oversizedNext(1, "/task", size, announced);

        CollectingEmitter refused = scrape();

        assertEquals(1, context.counter("metadata.answers_dropped", "route:/task", "reason:body_too_large"),
                context.telemetrySnapshot().toString());
        assertSame(good, context.metadata().current().orElseThrow(), "the last good snapshot stays");
        assertEquals(1, context.counter("collector.errors", "reason:metadata_refresh_failed"));
        assertTrue(refused.hasMetric("ecs.fargate.mem.usage", "container_name:app", "task_family:"
                + good.task().family()), "stats go on, tagged from the last good snapshot");
        assertTrue(context.log().contains("/task refused: the answer is larger than the limit of"),
                context.log().dump());
        assertReadStopped(size);
    }

    /** The client closed the connection long before the body's end: its bytes were never all written, let alone held. */
    private void assertReadStopped(long size) {
        waitFor(ecs::oversizedBodiesCutShort, "the client to close the oversized answer's connection");
        assertEquals(0, ecs.oversizedBodiesCompleted(), "the oversized body was never written to its end");
        long written = ecs.oversizedBytesWritten();
        assertTrue(written < size / 2, "the server wrote " + written + " of " + size + " bytes");
    }

    private static void waitFor(LongSupplier count, String what) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (count.getAsLong() == 0) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
