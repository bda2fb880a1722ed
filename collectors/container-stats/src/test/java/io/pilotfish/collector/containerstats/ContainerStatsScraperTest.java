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
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.signal.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ContainerStatsScraperTest {

    private final FakeContext context = new FakeContext();
    private final List<Metric> emitted = new ArrayList<>();
    private final TaskMetadata demo = TestData.task(TestData.fixture("task.json"));

    private Scraper scraper() {
        return (Scraper) new ContainerStatsFactory().create(ContainerStatsConfig.DEFAULT, context);
    }

    /** One scrape; the stage must complete normally whatever happened. */
    private List<Metric> scrape(Scraper scraper) {
        emitted.clear();
        scraper.scrape(signal -> emitted.add((Metric) signal)).toCompletableFuture().join();
        return emitted;
    }

    private long errors(String reason) {
        return context.telemetry.total("collector.errors", "reason:" + reason);
    }

    private static TaskMetadata without(TaskMetadata task, String dockerId) {
        return new TaskMetadata(task.metadataVersion(), task.cluster(), task.clusterName(), task.taskArn(),
                task.family(), task.revision(), task.desiredStatus(), task.knownStatus(), task.launchType(),
                task.availabilityZone(), task.region(), task.accountId(), task.serviceName(), task.cpuLimitVcpu(),
                task.memoryLimitMiB(), task.ephemeralStorage(), task.pullStartedAt(), task.pullStoppedAt(),
                task.containers().stream().filter(c -> !c.dockerId().equals(dockerId)).toList());
    }

    @Test
    void aScrapeFetchesTaskStatsAndEmitsAtTheClocksTime() {
        context.metadata.current = new FakeSnapshot(demo);
        context.metadata.statsBody(TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(List.of("/task/stats"), context.metadata.paths);
        assertEquals(104857600, value(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertEquals(104857600, value(metrics, "container.memory.usage", id(APP)));
        assertTrue(metrics.stream().allMatch(m -> m.timestamp() == context.now.getEpochSecond()));
        assertEquals(1, context.telemetry.total("collector.scrapes"));
        assertEquals(metrics.size(), context.telemetry.total("collector.metrics"));
        assertTrue(context.telemetry.counters.keySet().stream().noneMatch(k -> k.startsWith("collector.errors")
                && context.telemetry.counters.get(k).get() > 0), context.telemetry.counters.toString());
        assertTrue(context.log.warnings.isEmpty(), context.log.warnings.toString());
    }

    @Test
    void ratesCarryOverFromOneScrapeToTheNext() {
        context.metadata.current = new FakeSnapshot(demo);
        Scraper scraper = scraper();
        context.metadata.statsBody(TestData.fixture("sample-t0.json"));
        scrape(scraper);
        context.now = context.now.plusSeconds(10);
        context.metadata.statsBody(TestData.fixture("sample-t10.json"));

        List<Metric> metrics = scrape(scraper);

        assertEquals(5_000_000, value(metrics, "container.cpu.usage", id(APP)));
        assertEquals(10000, value(metrics, "container.net.rcvd", id(APP), "interface:eth1"));
    }

    @Test
    void noMetadataYetSkipsTheScrape() {
        List<Metric> metrics = scrape(scraper());

        assertTrue(metrics.isEmpty());
        assertTrue(context.metadata.paths.isEmpty(), "no stats request without metadata to tag them");
        assertEquals(1, errors("metadata_unavailable"));
        assertEquals("metadata_unavailable", context.log.warnings.get(0).kind());
    }

    @Test
    void aFailedFetchIsCountedAndTheMetadataFiguresStillGo() {
        context.metadata.current = new FakeSnapshot(demo);
        context.metadata.stats = () -> CompletableFuture.failedFuture(
                new MetadataException("GET http://169.254.170.2/v4/abc/task/stats: connection refused"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, errors("stats_unavailable"));
        assertEquals("stats_unavailable", context.log.warnings.get(0).kind());
        assertTrue(context.log.warnings.get(0).message().contains("connection refused"));
        assertEquals(0.5e9, value(metrics, "ecs.fargate.cpu.task.limit"));
        assertFalse(has(metrics, "ecs.fargate.mem.usage"));
        assertEquals(metrics.size(), context.telemetry.total("collector.metrics"));
    }

    @Test
    void aFetchThatThrowsIsHandledTheSameWay() {
        context.metadata.current = new FakeSnapshot(demo);
        context.metadata.stats = () -> {
            throw new MetadataException("endpoint not reachable");
        };

        scrape(scraper());

        assertEquals(1, errors("stats_unavailable"));
    }

    @Test
    void aMalformedPayloadIsCountedAndTheNextGoodOneWorks() {
        context.metadata.current = new FakeSnapshot(demo);
        Scraper scraper = scraper();
        context.metadata.statsBody("{\"truncated\": {\"read\": ".getBytes());

        List<Metric> metrics = scrape(scraper);

        assertEquals(1, errors("malformed_stats"));
        assertEquals("malformed_stats", context.log.warnings.get(0).kind());
        assertFalse(has(metrics, "container.memory.usage"));

        context.metadata.statsBody(TestData.fixture("sample-t0.json"));
        assertTrue(has(scrape(scraper), "container.memory.usage", id(APP)));
        assertEquals(1, errors("malformed_stats"));
    }

    @Test
    void aMalformedContainerIsCountedAndTheOthersAreSent() {
        context.metadata.current = new FakeSnapshot(demo);
        context.metadata.statsBody(TestData.fixture("malformed-container.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(2, errors("malformed_container"));
        assertTrue(has(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertFalse(has(metrics, "ecs.fargate.mem.usage", id(SIDECAR)));
        assertTrue(context.log.warnings.stream().anyMatch(w -> w.message().contains("fifty megabytes")));
    }

    @Test
    void aContainerNewToTheMetadataTriggersOneRefresh() {
        context.metadata.current = new FakeSnapshot(without(demo, SIDECAR));
        context.metadata.afterRefresh = new FakeSnapshot(demo);
        context.metadata.statsBody(TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, context.metadata.refreshes.get());
        assertEquals(52428800, value(metrics, "container.memory.usage", id(SIDECAR)));
        assertEquals(0, errors("unknown_container"));
    }

    @Test
    void aContainerStillUnknownAfterTheRefreshIsSkippedAndNotRefreshedForAgain() {
        FakeSnapshot partial = new FakeSnapshot(without(demo, SIDECAR));
        context.metadata.current = partial;
        context.metadata.afterRefresh = partial;
        context.metadata.statsBody(TestData.fixture("sample-t0.json"));
        Scraper scraper = scraper();

        scrape(scraper);
        List<Metric> metrics = scrape(scraper);

        assertEquals(1, context.metadata.refreshes.get());
        assertEquals(2, errors("unknown_container"));
        assertTrue(has(metrics, "container.memory.usage", id(APP)));
        assertFalse(has(metrics, "container.memory.usage", id(SIDECAR)));
    }

    @Test
    void aFailedRefreshFallsBackToTheSnapshotAtHand() {
        context.metadata.current = new FakeSnapshot(without(demo, SIDECAR));
        context.metadata.afterRefresh = null;
        context.metadata.statsBody(TestData.fixture("sample-t0.json"));

        List<Metric> metrics = scrape(scraper());

        assertEquals(1, context.metadata.refreshes.get());
        assertTrue(has(metrics, "container.memory.usage", id(APP)));
        assertEquals(1, errors("unknown_container"));
        assertTrue(context.log.warnings.stream().anyMatch(w -> w.kind().equals("metadata_refresh_failed")));
    }
}
