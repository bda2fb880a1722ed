package io.pilotfish.spi.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogRecordTest {

    @Test
    void aRecordWeighsAtLeastItsMessageAndGrowsWithItsAttributes() {
        byte[] line = "x".repeat(10_000).getBytes(StandardCharsets.UTF_8);
        LogRecord bare = new LogRecord(line, 1, null, null, null, null, null, null);
        LogRecord rich = new LogRecord(line, 1, "error", "checkout", "java", "", TagSet.of("env:prod"),
                Map.of("dd.trace_id", "123", "http", Map.of("status", 500, "path", List.of("a", "b"))));

        assertTrue(bare.estimatedBytes() >= 10_000, "the message's bytes count: " + bare.estimatedBytes());
        assertTrue(rich.estimatedBytes() > bare.estimatedBytes() + 200, "attributes and tags count too");
        assertEquals(SignalKind.LOG, bare.kind());
        assertEquals("", bare.status());
        assertEquals(TagSet.EMPTY, bare.tags());
    }

    @Test
    void attributesAreTheRecordsOwnAndNestingIsWeighedWithoutRecursingForever() {
        Map<String, Object> attributes = new HashMap<>(Map.of("k", "v"));
        LogRecord record = new LogRecord(new byte[0], 0, "", "", "", "", TagSet.EMPTY, attributes);
        assertThrows(UnsupportedOperationException.class, () -> record.attributes().put("x", "y"));

        Object deep = "leaf";
        for (int i = 0; i < 10_000; i++) {
            deep = List.of(deep);
        }
        long bytes = LogRecord.attributeBytes(deep, 0);
        assertTrue(bytes > 0 && bytes < 10_000, "counted flat past 16 levels: " + bytes);
    }

    @Test
    void textAndCopies() {
        LogRecord record = LogRecord.of("caf\u00e9 ok", 5, "info", "svc", "python", TagSet.of("a:b"));
        assertEquals("caf\u00e9 ok", record.messageText());
        LogRecord masked = record.withMessage("[masked]".getBytes(StandardCharsets.UTF_8));
        assertEquals("[masked]", masked.messageText());
        assertEquals(record.tags(), masked.tags());
        assertEquals(TagSet.of("c:d"), record.withTags(TagSet.of("c:d")).tags());
    }
}
