package io.pilotfish.collector.containerstats;

import static io.pilotfish.collector.containerstats.Points.has;
import static io.pilotfish.collector.containerstats.Points.id;
import static io.pilotfish.collector.containerstats.Points.value;
import static io.pilotfish.collector.containerstats.StatsConverterTest.APP;
import static io.pilotfish.collector.containerstats.StatsConverterTest.SIDECAR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.TestMetadataSource;
import io.pilotfish.testkit.TestMetadataSource.Answer;
import io.pilotfish.testkit.TestPluginContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ContainerStatsScraperTest {

    private static final String STATS = ContainerStatsScraper.STATS_PATH;

    private final TestPluginContext context = TestPluginContext.builder().instanceName("container-stats")
            .startAt(Instant.parse("2025-03-01T10:00:25Z")).build();
    private final TestMetadataSource metadata = context.fakeMetadata();
    private final CollectingEmitter emitted = new CollectingEmitter();
    private final byte[] demo = TestData.fixture("task.json");

    @AfterEach
    void close() {
        context.close();
    }

    private Scraper scraper() {
        return (Scraper) new ContainerStatsFactory().create(ContainerStatsConfig.DEFAULT, context);
    }

    /** One scrape; the stage must complete normally whatever happened. */
    private List<Metric> scrape(Scraper scraper) {
        emitted.clear();
        scraper.scrape(emitted).toCompletableFuture().join();
        return emitted.metrics();
    }

    private long errors(String reason) {
        return context.counter("collector.errors", "reason:" + reason);
    }

    @Test
    void aScrapeReadsTheTaskThenItsStatsAndEmitsAtTheClocksTime() {
        metadata.task(demo);
        metadata.answer(STATS, TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(List.of(TestMetadataSource.TASK_PATH, STATS), metadata.requests(),
                "the task is read on every scrape, as the ecs_fargate check does");
        assertEquals(104857600, value(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertEquals(104857600, value(metrics, "container.memory.usage", id(APP)));
        assertTrue(metrics.stream().allMatch(m -> m.timestamp() == context.clock().instant().getEpochSecond()));
        assertEquals(1, context.counter("collector.scrapes"));
        assertEquals(metrics.size(), context.counter("collector.metrics"));
        assertEquals(0, context.counter("collector.errors"), context.telemetrySnapshot().toString());
        assertTrue(context.log().warnings().isEmpty(), context.log().dump());
    }

    @Test
    void ratesCarryOverFromOneScrapeToTheNext() {
        metadata.task(demo);
        Scraper scraper = scraper();
        metadata.answer(STATS, TestData.fixture("sample-t0.json"));
        scrape(scraper);
        context.advance(Duration.ofSeconds(10));
        metadata.answer(STATS, TestData.fixture("sample-t10.json"));

        List<Metric> metrics = scrape(scraper);

        assertEquals(5_000_000, value(metrics, "container.cpu.usage", id(APP)));
        assertEquals(10000, value(metrics, "container.net.rcvd", id(APP), "interface:eth1"));
    }

    @Test
    void noMetadataYetSkipsTheScrape() {
        List<Metric> metrics = scrape(scraper());

        assertTrue(metrics.isEmpty());
        assertTrue(emitted.serviceChecks().isEmpty(), "the launch type is unknown, so is whether fargate_check applies");
        assertEquals(0, metadata.requests(STATS), "no stats request without metadata to tag them");
        assertEquals(1, errors("metadata_unavailable"));
        assertEquals("metadata_unavailable", context.log().warnings().get(0).kind());
    }

    @Test
    void aFailedFetchIsCountedAndTheMetadataFiguresStillGo() {
        metadata.task(demo);
        metadata.answer(STATS, Answer.failure(
                new MetadataException("GET http://169.254.170.2/v4/abc/task/stats: connection refused")));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, errors("stats_unavailable"));
        assertEquals("stats_unavailable", context.log().warnings().get(0).kind());
        assertTrue(context.log().warnings().get(0).message().contains("connection refused"));
        assertEquals(0.5e9, value(metrics, "ecs.fargate.cpu.task.limit"));
        assertFalse(has(metrics, "ecs.fargate.mem.usage"));
        assertEquals(metrics.size(), context.counter("collector.metrics"));
        ServiceCheck check = emitted.serviceChecks().get(0);
        assertEquals(ServiceCheck.Status.WARNING, check.status(), "the task answered, its stats did not");
        assertTrue(check.message().contains("GET /task/stats failed") && check.message().contains("connection refused"),
                check.message());
    }

    @Test
    void aFetchThatThrowsIsHandledTheSameWay() {
        metadata.task(demo);
        metadata.answer(STATS, Answer.thrown(new MetadataException("endpoint not reachable")));

        scrape(scraper());

        assertEquals(1, errors("stats_unavailable"));
    }

    @Test
    void aMalformedPayloadIsCountedAndTheNextGoodOneWorks() {
        metadata.task(demo);
        Scraper scraper = scraper();
        metadata.answer(STATS, "{\"truncated\": {\"read\": ".getBytes());

        List<Metric> metrics = scrape(scraper);

        assertEquals(1, errors("malformed_stats"));
        assertEquals("malformed_stats", context.log().warnings().get(0).kind());
        assertFalse(has(metrics, "container.memory.usage"));

        metadata.answer(STATS, TestData.fixture("sample-t0.json"));
        assertTrue(has(scrape(scraper), "container.memory.usage", id(APP)));
        assertEquals(1, errors("malformed_stats"));
    }

    @Test
    void aMalformedContainerIsCountedAndTheOthersAreSent() {
        metadata.task(demo);
        metadata.answer(STATS, TestData.fixture("malformed-container.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(2, errors("malformed_container"));
        assertTrue(has(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertFalse(has(metrics, "ecs.fargate.mem.usage", id(SIDECAR)));
        assertTrue(context.log().warnings().stream().anyMatch(w -> w.message().contains("fifty megabytes")));
    }

    @Test
    void aContainerNewToTheMetadataIsTaggedFromTheScrapesOwnRead() {
        metadata.current(TestData.withoutContainer(demo, SIDECAR));
        metadata.answer(TestMetadataSource.TASK_PATH, demo);
        metadata.answer(STATS, TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, metadata.refreshes());
        assertEquals(52428800, value(metrics, "container.memory.usage", id(SIDECAR)));
        assertEquals(0, errors("unknown_container"));
    }

    @Test
    void aContainerTheMetadataDoesNotListIsSkippedAndCountedWithoutExtraReads() {
        metadata.task(TestData.withoutContainer(demo, SIDECAR));
        metadata.answer(STATS, TestData.fixture("sample-t0.json"));
        Scraper scraper = scraper();

        scrape(scraper);
        List<Metric> metrics = scrape(scraper);

        assertEquals(2, metadata.refreshes(), "one read of the task per scrape, none more for unknown containers");
        assertEquals(2, errors("unknown_container"));
        assertTrue(has(metrics, "container.memory.usage", id(APP)));
        assertFalse(has(metrics, "container.memory.usage", id(SIDECAR)));
    }

    @Test
    void aFailedRefreshFallsBackToTheSnapshotAtHand() {
        metadata.current(TestData.withoutContainer(demo, SIDECAR)); // and /task answers nothing: refresh fails
        metadata.answer(STATS, TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, metadata.refreshes());
        assertTrue(has(metrics, "container.memory.usage", id(APP)));
        assertEquals(1, errors("unknown_container"));
        assertEquals(1, errors("metadata_refresh_failed"));
        assertTrue(context.log().warnings().stream().anyMatch(w -> w.kind().equals("metadata_refresh_failed")));
    }

    @Test
    void aTaskWithoutClusterIsReportedAsIncomplete() {
        metadata.task(TestData.withoutField(demo, "Cluster"));
        metadata.answer(STATS, TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, errors("metadata_incomplete"));
        assertTrue(has(metrics, "container.memory.usage", id(APP)), "what can be tagged is still sent");
        ServiceCheck check = emitted.serviceChecks().get(0);
        assertEquals(ServiceCheck.Status.WARNING, check.status());
        assertTrue(check.message().contains("without Cluster"), check.message());
    }
}
