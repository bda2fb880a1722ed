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
                        "image_tag:1.4.2") : TagSet.of("task_arn:arn:from-metadata"));
        LogRecord fromDriver = mapper.map("app", 1, driverRecord("x", "stdout")).record();
        assertTrue(fromDriver.tags().containsAll(List.of("task_arn:arn:from-metadata", "image_tag:1.4.2",
                "container_name:checkout")), fromDriver.tags().toString());
        LogRecord fromLibrary = mapper.map("app.events", 1, Map.of("message", "hi")).record();
        assertEquals(TagSet.of("task_arn:arn:from-metadata"), fromLibrary.tags(), "no container: the task's tags");
    }
}
