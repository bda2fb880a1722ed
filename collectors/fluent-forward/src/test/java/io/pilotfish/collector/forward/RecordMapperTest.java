package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.forward.firelens.FireLensRoutes;
import io.pilotfish.collector.forward.firelens.FluentBitConfig;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A forward record made into the log Fluent Bit's datadog output would send, with the Agent's ECS tags. */
class RecordMapperTest {

    private static final String TAG = "checkout-firelens-0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7";

    private static FireLensRoutes generated() throws Exception {
        Path conf = Path.of(RecordMapperTest.class.getResource("/firelens/generated-fluent-bit.conf").toURI());
        return FireLensRoutes.of(FluentBitConfig.read(conf, Map.of("FIRELENS_TEST_KEY", "k", "FIRELENS_TEST_SOURCE", "java")));
    }

    /**
     * What the awsfirelens log driver sends for one line: only these four fields; the ECS fields come from the
     * router's own record_modifier filter.
     */
    private static Map<String, Object> driverRecord(String line, String stream) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("container_id", "0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-1234567890");
        fields.put("container_name", "/checkout");
        fields.put("source", stream);
        fields.put("log", line);
        return fields;
    }

    @Test
    void aContainersLineBecomesItsLogWithTheOptionsOfItsOutput() throws Exception {
        LogRecord log = new RecordMapper(1024, generated()).map(TAG, 1_700_000_000_123L,
                driverRecord("payment failed: card declined", "stderr")).record();

        assertEquals("payment failed: card declined", log.messageText());
        assertEquals("error", log.status(), "stderr, as the Agent gives it");
        assertEquals("checkout", log.service());
        assertEquals("java", log.source());
        assertEquals(1_700_000_000_123L, log.timestamp());
        assertTrue(log.tags().containsAll(List.of("team:payments", "env:prod", "task_family:checkout",
                "task_version:42", "cluster_name:payments", "container_name:checkout", "ecs_container_name:checkout",
                "task_id:payments/0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7", "region:eu-west-1")), log.tags().toString());
        assertEquals(log.tags().size(), new java.util.HashSet<>(log.tags()).size(), "no tag twice: " + log.tags());
        assertEquals(Map.of("source", "stderr"), log.attributes(), "the ECS fields moved to tags, provider ecs");
    }

    @Test
    void withoutFireLensEveryRecordIsSentAndTheMessageFieldIsFound() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("message", "hello");
        fields.put("level", "warn");
        LogRecord log = new RecordMapper(1024, FireLensRoutes.none()).map("app.events", 5, fields).record();
        assertEquals("hello", log.messageText());
        assertEquals("", log.status(), "no stream: the intake reads the record's own level");
        assertEquals(Map.of("level", "warn"), log.attributes(), "the fluent tag is not sent");
        assertEquals(TagSet.EMPTY, log.tags());
        assertEquals("", log.service());
    }

    @Test
    void aRecordWithoutAMessageFieldIsSentWholeAsJson() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("event", "login");
        fields.put("user", Map.of("id", 7L));
        LogRecord log = new RecordMapper(1024, FireLensRoutes.none()).map("app", 5, fields).record();
        assertEquals("{\"event\":\"login\",\"user\":{\"id\":7}}", log.messageText());
    }

    @Test
    void recordsNoDatadogOutputTakesAreNotSent() throws Exception {
        RecordMapper mapper = new RecordMapper(1024, generated());
        assertNull(mapper.map("worker-firelens-1", 1, driverRecord("x", "stdout")).record(),
                "worker's output is cloudwatch_logs");
        assertNull(mapper.map("firelens-healthcheck", 1, Map.of("log", "ok")).record());
        assertFalse(mapper.map("checkout-firelens-2", 1, driverRecord("x", "stdout")).cut());
        RecordMapper.Mapped health = mapper.map(TAG, 1, driverRecord("GET /health 200", "stdout"));
        assertNull(health.record(), "the exclude-pattern's grep filter drops it, as Fluent Bit would");
        assertTrue(health.filtered());
    }

    @Test
    void theTaskMetadataGivesTheContainersTagsAsTheAgentsTaggerWould() {
        RecordMapper mapper = new RecordMapper(1024, FireLensRoutes.none(),
                id -> id.startsWith("0f7c") ? TagSet.of("task_arn:arn:from-metadata", "container_id:" + id,
                        "image_tag:1.4.2") : TagSet.of("task_arn:arn:from-metadata"), RecordMapper.ContainerLookup.NONE,
                false);
        LogRecord fromDriver = mapper.map("app", 1, driverRecord("x", "stdout")).record();
        assertTrue(fromDriver.tags().containsAll(List.of("task_arn:arn:from-metadata", "image_tag:1.4.2",
                "container_name:checkout")), fromDriver.tags().toString());
        LogRecord fromLibrary = mapper.map("app.events", 1, Map.of("message", "hi")).record();
        assertEquals(TagSet.of("task_arn:arn:from-metadata"), fromLibrary.tags(), "no container: the task's tags");
    }

    private static final String WORKER_ID = "0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-555";

    private static io.pilotfish.spi.ecs.ContainerMetadata container(String dockerId, String name, String image,
                                                                    Map<String, String> labels) {
        return new io.pilotfish.spi.ecs.ContainerMetadata(dockerId, name, "ecs-" + name, image, "sha256:1", labels,
                "RUNNING", "RUNNING", java.util.OptionalInt.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), "NORMAL", java.util.OptionalInt.empty(), java.util.Optional.empty(),
                List.of());
    }

    private static RecordMapper.ContainerLookup only(io.pilotfish.spi.ecs.ContainerMetadata c) {
        return (id, name) -> id.equals(c.dockerId()) || name.equals(c.name()) ? java.util.Optional.of(c)
                : java.util.Optional.empty();
    }

    private static Map<String, Object> workerRecord(String line) {
        Map<String, Object> fields = driverRecord(line, "stdout");
        fields.put("container_id", WORKER_ID);
        fields.put("container_name", "/worker");
        return fields;
    }

    /**
     * The generated configuration sends worker's logs to CloudWatch only. A com.datadoghq.ad.logs label makes the
     * Agent collect a container anyway, with the label's source, service, tags and rules.
     */
    @Test
    void aContainersDatadogLogsLabelCollectsItWithItsSourceServiceAndTags() throws Exception {
        var worker = container(WORKER_ID, "worker", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/worker:2.0",
                Map.of("com.datadoghq.ad.logs", "[{\"source\":\"python\",\"service\":\"billing\","
                        + "\"tags\":[\"team:billing\"],\"log_processing_rules\":[{\"type\":\"exclude_at_match\","
                        + "\"name\":\"no_health\",\"pattern\":\"health\"}]}]"));
        RecordMapper.Mapped mapped = new RecordMapper(1024, generated(), id -> TagSet.EMPTY, only(worker), false)
                .map("worker-firelens-1", 1, workerRecord("charged"));
        LogRecord log = mapped.record();
        assertEquals("python", log.source());
        assertEquals("billing", log.service());
        assertTrue(log.tags().contains("team:billing"), log.tags().toString());
        assertTrue(mapped.labels().rulesJson().contains("no_health"), mapped.labels().toString());
        assertEquals(WORKER_ID, mapped.stream(), "one stream per container, stdout and stderr together");
    }

    @Test
    void collectAllSendsEveryContainerNamedAfterItsImageUnlessUnifiedServiceTaggingNamesIt() throws Exception {
        var plain = container(WORKER_ID, "worker", "public.ecr.aws/acme/worker:2.0@sha256:abc", Map.of());
        LogRecord log = new RecordMapper(1024, generated(), id -> TagSet.EMPTY, only(plain), true)
                .map("worker-firelens-1", 1, workerRecord("charged")).record();
        assertEquals("worker", log.source(), "the short image name, as the Agent");
        assertEquals("worker", log.service());

        var tagged = container(WORKER_ID, "worker", "public.ecr.aws/acme/worker:2.0",
                Map.of("com.datadoghq.tags.service", "billing-worker"));
        assertEquals("billing-worker", new RecordMapper(1024, generated(), id -> TagSet.EMPTY, only(tagged), true)
                .map("worker-firelens-1", 1, workerRecord("charged")).record().service());

        assertNull(new RecordMapper(1024, generated(), id -> TagSet.EMPTY, only(plain), false)
                .map("worker-firelens-1", 1, workerRecord("charged")).record(), "off by default, as the Agent");
    }

    @Test
    void theOutputsOwnOptionsWinOverTheLabels() throws Exception {
        var checkout = container("0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-1234567890", "checkout", "acme/checkout:1",
                Map.of("com.datadoghq.ad.logs", "[{\"source\":\"go\",\"service\":\"other\"}]"));
        LogRecord log = new RecordMapper(1024, generated(), id -> TagSet.EMPTY, only(checkout), false)
                .map(TAG, 1, driverRecord("x", "stdout")).record();
        assertEquals("checkout", log.service(), "dd_service of the FireLens output");
        assertEquals("java", log.source());
    }

    @Test
    void anUnreadableLabelIsReportedOnceAndTheLogsStillGo() throws Exception {
        var broken = container(WORKER_ID, "worker", "acme/worker:1",
                Map.of("com.datadoghq.ad.logs", "[{\"source\": python}]"));
        List<String> problems = new java.util.ArrayList<>();
        RecordMapper mapper = new RecordMapper(1024, generated(), id -> TagSet.EMPTY, only(broken), true)
                .onLabelProblem((name, problem) -> problems.add(name + ": " + problem));
        for (int i = 0; i < 3; i++) {
            assertEquals("charged", mapper.map("worker-firelens-1", 1, workerRecord("charged")).record()
                    .messageText());
        }
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("worker: label com.datadoghq.ad.logs ignored: not JSON"),
                problems.toString());
    }
}
