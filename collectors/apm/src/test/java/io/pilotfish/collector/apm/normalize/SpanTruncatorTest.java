package io.pilotfish.collector.apm.normalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Agent's truncator: resource, meta keys and values, metric keys ({@code truncator_test.go}). */
class SpanTruncatorTest {

    private static final SpanTruncator TRUNCATOR = new SpanTruncator();

    static Span span(String resource, Map<String, String> meta, Map<String, Double> metrics) {
        return Span.of("svc", "op", resource, 1, 2, 0, 1_700_000_000_000_000_000L, 10, 0, meta, metrics, "sql");
    }

    @Test
    void leavesASpanWithinTheLimitsAlone() {
        Span span = span("SELECT 1", Map.of("k", "v"), Map.of("m", 1.0));
        assertSame(span, TRUNCATOR.truncate(span));
    }

    @Test
    void truncatesTheResourceToItsLimitInBytes() {
        Span span = span("a".repeat(6000), null, null);
        assertEquals("a".repeat(5000), TRUNCATOR.truncate(span).resource());
        assertSame(span, new SpanTruncator(SpanTruncator.BIG_MAX_RESOURCE_BYTES).truncate(span));
        // 2-byte characters: 2500 of them fit, the cut never splits one
        assertEquals("é".repeat(2500), TRUNCATOR.truncate(span("é".repeat(2501) + "x", null, null)).resource());
        assertEquals("a" + "é".repeat(2499), TRUNCATOR.truncate(span("a" + "é".repeat(2500), null, null)).resource());
    }

    @Test
    void truncatesMetaKeysAndValuesWithAnEllipsis() {
        Map<String, String> meta = new HashMap<>();
        meta.put("k".repeat(201), "short");
        meta.put("long", "v".repeat(25_001));
        meta.put("both" + "k".repeat(300), "v".repeat(30_000));
        meta.put("kept", "value");
        Span out = TRUNCATOR.truncate(span("r", meta, null));
        Map<String, String> expected = new HashMap<>();
        expected.put("k".repeat(200) + "...", "short");
        expected.put("long", "v".repeat(25_000) + "...");
        expected.put("both" + "k".repeat(196) + "...", "v".repeat(25_000) + "...");
        expected.put("kept", "value");
        assertEquals(expected, out.meta());
        assertEquals(4, meta.size(), "the input map is not changed");
    }

    @Test
    void neverCutsStructuredMetaTags() {
        String document = "{\"triggers\":[" + "1,".repeat(20_000) + "1]}";
        Map<String, String> meta = Map.of("_dd.appsec.json", document, "_dd.iast.json", document,
                "_dd.x.msgpack", document, "_dd.x.protobuf", document);
        Span span = span("r", meta, null);
        assertSame(span, TRUNCATOR.truncate(span));
        assertTrue(SpanTruncator.isStructuredMetaKey("_dd.appsec.json"));
        assertFalse(SpanTruncator.isStructuredMetaKey("appsec.json"));
        assertFalse(SpanTruncator.isStructuredMetaKey("_dd.appsec"));
        Span plain = TRUNCATOR.truncate(span("r", Map.of("appsec.json", document), null));
        assertTrue(plain.meta().get("appsec.json").endsWith("..."));
    }

    @Test
    void truncatesMetricKeys() {
        Span out = TRUNCATOR.truncate(span("r", null, Map.of("m".repeat(250), 3.0, "ok", 1.0)));
        assertEquals(Map.of("m".repeat(200) + "...", 3.0, "ok", 1.0), out.metrics());
    }

    @Test
    void rejectsANonPositiveResourceLimit() {
        assertThrows(IllegalArgumentException.class, () -> new SpanTruncator(0));
        assertThrows(IllegalArgumentException.class, () -> new SpanTruncator(-5));
    }
}
