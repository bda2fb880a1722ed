package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.ecs.EcsMetadataClient;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.ServiceCheck.Status;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.Malformation;
import io.pilotfish.testkit.TaskSpec;
import io.pilotfish.testkit.TestPluginContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code fargate_check} against core's real metadata client and the simulated endpoint, whose faults stand for what
 * the ecs_fargate check reacts to: {@code /task} not answering, answering garbage, {@code /task/stats} failing.
 */
class FargateCheckTest {

    /** One attempt per request, so one injected fault is one failed read; a short deadline for the timeout case. */
    private static final EcsMetadataClient.Options ONE_ATTEMPT = new EcsMetadataClient.Options(
            Duration.ofSeconds(1), 0, Duration.ofMillis(10), Duration.ofMillis(10));

    private EcsMetadataSimulator ecs;
    private TestPluginContext context;

    @AfterEach
    void close() {
        if (context != null) {
            context.close();
        }
        if (ecs != null) {
            ecs.close();
        }
    }

    private Scraper fargateTask(ContainerStatsConfig config) {
        return against(EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()), config);
    }

    private Scraper against(EcsMetadataSimulator.Builder simulator, ContainerStatsConfig config) {
        ecs = simulator.manualClock(TestPluginContext.DEFAULT_START).start();
        context = TestPluginContext.builder().against(ecs).metadataOptions(ONE_ATTEMPT).build();
        return (Scraper) new ContainerStatsFactory().create(config, context);
    }

    private static CollectingEmitter scrape(Scraper scraper) {
        CollectingEmitter emitted = new CollectingEmitter();
        scraper.scrape(emitted).toCompletableFuture().join();
        return emitted;
    }

    /** A first, healthy scrape (so the task is known), then ten seconds later the scrape under test. */
    private CollectingEmitter secondScrape(Scraper scraper, Runnable fault) {
        assertEquals(Status.OK, onlyCheck(scrape(scraper)).status(), "the first scrape is healthy");
        context.advance(Duration.ofSeconds(10));
        fault.run();
        return scrape(scraper);
    }

    private static ServiceCheck onlyCheck(CollectingEmitter emitted) {
        List<ServiceCheck> checks = emitted.serviceChecks();
        assertEquals(1, checks.size(), "one fargate_check per scrape: " + checks);
        assertEquals("fargate_check", checks.get(0).name());
        return checks.get(0);
    }

    @Test
    void okWhenTheTaskAndItsStatsAreRead() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = scrape(scraper);

        ServiceCheck check = onlyCheck(emitted);
        assertEquals(Status.OK, check.status());
        assertEquals("", check.message());
        // The Agent's aggregator adds its global tags (the task's, at low cardinality) to a check's service checks.
        assertTrue(check.tags().contains("cluster_name:" + check.tags().valueOf("ecs_cluster_name"))
                && check.tags().valueOf("task_family") != null, check.tags().toString());
        assertEquals(null, check.tags().valueOf("task_arn"), "low cardinality: " + check.tags());
        assertEquals("", check.host(), "a Fargate task has no host");
        assertEquals(context.clock().instant().getEpochSecond(), check.timestamp());
        assertTrue(emitted.hasMetric("container.memory.usage"));
    }

    @Test
    void criticalWhenTaskAnswersAnErrorStatus() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = secondScrape(scraper, () -> ecs.failNext(1, 503, "/task"));

        ServiceCheck check = onlyCheck(emitted);
        assertEquals(Status.CRITICAL, check.status());
        assertTrue(check.message().contains("did not answer GET /task") && check.message().contains("503"),
                check.message());
        assertTrue(emitted.hasMetric("container.memory.usage"), "stats still go out, tagged from the last read");
        assertEquals(1, context.counter("collector.errors", "reason:metadata_refresh_failed"));
    }

    @Test
    void criticalWhenTaskTimesOut() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = secondScrape(scraper, () -> ecs.latency("/task", Duration.ofSeconds(30)));

        ServiceCheck check = onlyCheck(emitted);
        assertEquals(Status.CRITICAL, check.status());
        assertTrue(check.message().contains("timed out"), check.message());
    }

    @Test
    void criticalWhenTheConnectionIsDropped() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        // Every attempt: the JDK client itself retries a GET whose pooled connection closed without an answer.
        CollectingEmitter emitted = secondScrape(scraper, () -> ecs.resetNext(10, "/task"));

        assertEquals(Status.CRITICAL, onlyCheck(emitted).status());
    }

    @ParameterizedTest
    @EnumSource(Malformation.class)
    void warningWhenTaskAnswersSomethingThatIsNotTaskMetadata(Malformation how) {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = secondScrape(scraper, () -> ecs.malformedNext(1, "/task", how));

        ServiceCheck check = onlyCheck(emitted);
        assertEquals(Status.WARNING, check.status(), check.message());
        assertTrue(check.message().contains("not task metadata"), check.message());
    }

    @Test
    void warningWhenTheStatsFail() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = secondScrape(scraper, () -> ecs.failNext(1, 500, "/task/stats"));

        ServiceCheck check = onlyCheck(emitted);
        assertEquals(Status.WARNING, check.status());
        assertTrue(check.message().contains("GET /task/stats failed") && check.message().contains("500"),
                check.message());
    }

    @Test
    void warningWhenTheStatsAreNotStats() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = secondScrape(scraper,
                () -> ecs.malformedNext(1, "/task/stats", Malformation.NOT_JSON));

        ServiceCheck check = onlyCheck(emitted);
        assertEquals(Status.WARNING, check.status());
        assertTrue(check.message().contains("not container stats"), check.message());
    }

    @Test
    void theTasksProblemWinsOverTheStats() {
        Scraper scraper = fargateTask(ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = secondScrape(scraper, ecs::down);

        assertEquals(Status.CRITICAL, onlyCheck(emitted).status());
    }

    @Test
    void noneOnEc2WhereTheContainersAreDockers() {
        Scraper scraper = against(EcsMetadataSimulator.recorded(
                TestData.ecsCorpus().resolve("ec2/task-bridge-with-stopped-container.json"),
                TestData.ecsCorpus().resolve("ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json")),
                ContainerStatsConfig.DEFAULT);

        CollectingEmitter emitted = scrape(scraper);

        assertTrue(emitted.hasMetric("container.memory.usage", "ecs_container_name:ecs-exporter", "runtime:docker"),
                "the task is scraped");
        assertTrue(emitted.serviceChecks().isEmpty(), "the Agent runs the ecs_fargate check on Fargate only");
    }

    @Test
    void sentOnlyWhereTheAgentWouldRunTheEcsFargateCheck() {
        assertEquals(1, scrape(fargateTask(ContainerStatsConfig.DEFAULT)).serviceChecks().size());
        close();

        CollectingEmitter withoutTheSet = scrape(fargateTask(new ContainerStatsConfig(false, true, false)));
        assertTrue(withoutTheSet.hasMetric("container.memory.usage"));
        assertTrue(withoutTheSet.serviceChecks().isEmpty(), "fargate_check and the ecs.fargate set are one check");
        close();

        ecs = null;
        context = TestPluginContext.builder().metadataEnvironment(Map.of()).build();
        CollectingEmitter outsideATask = scrape(
                (Scraper) new ContainerStatsFactory().create(ContainerStatsConfig.DEFAULT, context));
        assertTrue(outsideATask.all().isEmpty(), "no metadata endpoint: no Fargate task to report on");
        assertEquals(1, context.counter("collector.errors", "reason:metadata_unavailable"));
    }
}
