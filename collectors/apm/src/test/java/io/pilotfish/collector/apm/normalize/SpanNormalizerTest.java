package io.pilotfish.collector.apm.normalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanLink;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Agent's {@code normalizer_test.go} span cases ({@code TestNormalize*}), with its test span and counters. */
class SpanNormalizerTest {

    /** 2024-05-01T00:00:00Z: "now" for the start-date fixes. */
    private static final long NOW = 1_714_521_600_000_000_000L;
    private static final SpanNormalizer NORMALIZER =
            new SpanNormalizer(Clock.fixed(Instant.ofEpochSecond(0, NOW), ZoneOffset.UTC));

    /** The Agent's {@code newTestSpan}. */
    static Span testSpan() {
        return Span.of("django", "django.controller", "GET /some/raclette", 424242, 987654321, 1111,
                1448466874000000000L, 10000000, 0, new HashMap<>(Map.of("user", "leo", "pool", "fondue")),
                new HashMap<>(Map.of("cheese_weight", 100000.0)), "http");
    }

    static Span with(Span s, UnaryOperator<Map<String, String>> meta) {
        return new Span(s.service(), s.name(), s.resource(), s.traceId(), s.spanId(), s.parentId(), s.start(),
                s.duration(), s.error(), meta.apply(new HashMap<>(s.meta())), s.metrics(), s.type(), s.metaStruct(),
                s.links(), s.events());
    }

    static Span span(String service, String name, String resource, long traceId, long spanId, long parentId,
                     long start, long duration, String type) {
        Span t = testSpan();
        return Span.of(service, name, resource, traceId, spanId, parentId, start, duration, 0, t.meta(), t.metrics(),
                type);
    }

    @Test
    void leavesAValidSpanAloneWithoutCopying() {
        Span span = testSpan();
        NormalizationStats stats = new NormalizationStats();
        assertSame(span, NORMALIZER.normalize(span, "python", stats));
        assertTrue(stats.isEmpty(), stats.toString());
    }

    /** One changed field: what it becomes and the one reason counted (none for silent fixes). */
    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("fieldCases")
    void fixesOneFieldAndCountsIt(String label, Span in, String lang, UnaryOperator<Span> expected, SpanFix reason) {
        NormalizationStats stats = new NormalizationStats();
        Span out = NORMALIZER.normalize(in, lang, stats);
        assertEquals(expected.apply(in), out);
        if (reason == null) {
            assertTrue(stats.isEmpty(), stats.toString());
        } else {
            assertEquals(Map.of(reason, 1L), stats.spanFixes());
        }
    }

    static Stream<Arguments> fieldCases() {
        Span t = testSpan();
        long start = t.start();
        return Stream.of(
                Arguments.of("empty service, no language",
                        span("", t.name(), t.resource(), 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("unnamed-service", s.name(), s.resource(), 424242, 7, 1111,
                                start, 10, "http"),
                        SpanFix.SERVICE_EMPTY),
                Arguments.of("empty service, java",
                        span("", t.name(), t.resource(), 424242, 7, 1111, start, 10, "http"), "java",
                        (UnaryOperator<Span>) s -> span("unnamed-java-service", s.name(), s.resource(), 424242, 7,
                                1111, start, 10, "http"),
                        SpanFix.SERVICE_EMPTY),
                Arguments.of("long service",
                        span("CAMEMBERT".repeat(100), t.name(), t.resource(), 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("camembert".repeat(11) + "c", s.name(), s.resource(),
                                424242, 7, 1111, start, 10, "http"),
                        SpanFix.SERVICE_TRUNCATE),
                Arguments.of("service tag rules",
                        span("retargeting(api-Staging ", t.name(), t.resource(), 424242, 7, 1111, start, 10, "http"),
                        "",
                        (UnaryOperator<Span>) s -> span("retargeting_api-staging", s.name(), s.resource(), 424242, 7,
                                1111, start, 10, "http"),
                        null),
                Arguments.of("empty name",
                        span("django", "", t.resource(), 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", "unnamed_operation", s.resource(), 424242, 7, 1111,
                                start, 10, "http"),
                        SpanFix.SPAN_NAME_EMPTY),
                Arguments.of("long name",
                        span("django", "CAMEMBERT".repeat(100), t.resource(), 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", "CAMEMBERT".repeat(11) + "C", s.resource(),
                                424242, 7, 1111, start, 10, "http"),
                        SpanFix.SPAN_NAME_TRUNCATE),
                Arguments.of("name without letters",
                        span("django", "/", t.resource(), 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", "unnamed_operation", s.resource(), 424242, 7, 1111,
                                start, 10, "http"),
                        SpanFix.SPAN_NAME_INVALID),
                Arguments.of("name for metrics",
                        span("django", "trace-api.request", t.resource(), 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", "trace_api.request", s.resource(), 424242, 7, 1111,
                                start, 10, "http"),
                        null),
                Arguments.of("empty resource takes the normalised name",
                        span("django", "Web Request", "", 424242, 7, 1111, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", "Web_Request", "Web_Request", 424242, 7, 1111,
                                start, 10, "http"),
                        SpanFix.RESOURCE_EMPTY),
                Arguments.of("zipkin root: parent, trace and span ids all equal",
                        span("django", t.name(), t.resource(), 42, 42, 42, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", s.name(), s.resource(), 42, 42, 0, start, 10,
                                "http"),
                        null),
                Arguments.of("parent equal to the span id only is kept",
                        span("django", t.name(), t.resource(), 41, 42, 42, start, 10, "http"), "",
                        (UnaryOperator<Span>) s -> s, null),
                Arguments.of("zero duration is valid",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, start, 0, "http"), "",
                        (UnaryOperator<Span>) s -> s, null),
                Arguments.of("negative duration",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, start, -50, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", s.name(), s.resource(), 424242, 7, 1111, start, 0,
                                "http"),
                        SpanFix.INVALID_DURATION),
                Arguments.of("duration overflowing the end",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, start, Long.MAX_VALUE, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", s.name(), s.resource(), 424242, 7, 1111, start, 0,
                                "http"),
                        SpanFix.INVALID_DURATION),
                Arguments.of("start before 2000",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, 42, 10_000_000, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", s.name(), s.resource(), 424242, 7, 1111,
                                NOW - 10_000_000, 10_000_000, "http"),
                        SpanFix.INVALID_START_DATE),
                Arguments.of("start before 2000 with a duration longer than now",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, 42, NOW * 2, "http"), "",
                        (UnaryOperator<Span>) s -> span("django", s.name(), s.resource(), 424242, 7, 1111, NOW,
                                NOW * 2, "http"),
                        SpanFix.INVALID_START_DATE),
                Arguments.of("start on 2000-01-01 is valid",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, SpanNormalizer.YEAR_2000_NANOS, 10,
                                "http"), "",
                        (UnaryOperator<Span>) s -> s, null),
                Arguments.of("long type",
                        span("django", t.name(), t.resource(), 424242, 7, 1111, start, 10, "sql".repeat(1000)), "",
                        (UnaryOperator<Span>) s -> span("django", s.name(), s.resource(), 424242, 7, 1111, start, 10,
                                "sql".repeat(33) + "s"),
                        SpanFix.TYPE_TRUNCATE),
                Arguments.of("env",
                        with(t, m -> put(m, "env", "123DEVELOPMENT")), "",
                        (UnaryOperator<Span>) s -> with(s, m -> put(m, "env", "123development")), null),
                Arguments.of("empty env is left alone",
                        with(t, m -> put(m, "env", "")), "", (UnaryOperator<Span>) s -> s, null),
                Arguments.of("peer.service and _dd.base_service tag rules",
                        with(t, m -> put(put(m, "peer.service", "retargeting(api-Peer "), "_dd.base_service",
                                "retargeting(api-Base ")), "",
                        (UnaryOperator<Span>) s -> with(s, m -> put(put(m, "peer.service", "retargeting_api-peer"),
                                "_dd.base_service", "retargeting_api-base")),
                        null),
                Arguments.of("empty peer.service: no fallback",
                        with(t, m -> put(m, "peer.service", "")), "", (UnaryOperator<Span>) s -> s, null),
                Arguments.of("long peer.service",
                        with(t, m -> put(m, "peer.service", "BRIE".repeat(100))), "",
                        (UnaryOperator<Span>) s -> with(s, m -> put(m, "peer.service", "brie".repeat(25))),
                        SpanFix.PEER_SERVICE_TRUNCATE),
                Arguments.of("invalid peer.service becomes empty",
                        with(t, m -> put(m, "peer.service", "🐶")), "",
                        (UnaryOperator<Span>) s -> with(s, m -> put(m, "peer.service", "")),
                        SpanFix.PEER_SERVICE_INVALID),
                Arguments.of("long _dd.base_service",
                        with(t, m -> put(m, "_dd.base_service", "ROQUEFORT".repeat(100))), "",
                        (UnaryOperator<Span>) s -> with(s, m -> put(m, "_dd.base_service",
                                "roquefort".repeat(11) + "r")),
                        SpanFix.BASE_SERVICE_TRUNCATE),
                Arguments.of("invalid _dd.base_service becomes empty",
                        with(t, m -> put(m, "_dd.base_service", "$")), "",
                        (UnaryOperator<Span>) s -> with(s, m -> put(m, "_dd.base_service", "")),
                        SpanFix.BASE_SERVICE_INVALID));
    }

    private static Map<String, String> put(Map<String, String> m, String k, String v) {
        m.put(k, v);
        return m;
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("statusCodes")
    void dropsInvalidHttpStatusCodes(String code, boolean valid) {
        Span in = with(testSpan(), m -> put(m, "http.status_code", code));
        NormalizationStats stats = new NormalizationStats();
        Span out = NORMALIZER.normalize(in, "", stats);
        assertEquals(valid, SpanNormalizer.isValidStatusCode(code));
        if (valid) {
            assertSame(in, out);
            assertTrue(stats.isEmpty());
        } else {
            assertFalse(out.meta().containsKey("http.status_code"));
            assertEquals("leo", out.meta().get("user"));
            assertEquals(Map.of(SpanFix.INVALID_HTTP_STATUS_CODE, 1L), stats.spanFixes());
        }
    }

    static Stream<Arguments> statusCodes() {
        return Stream.of(
                Arguments.of("100", true), Arguments.of("200", true), Arguments.of("599", true),
                Arguments.of("0200", true), Arguments.of("00000000000000000000000000404", true),
                Arguments.of("99", false), Arguments.of("600", false), Arguments.of("Invalid status code", false),
                Arguments.of("", false), Arguments.of("+200", false), Arguments.of("-200", false),
                Arguments.of("200 ", false), Arguments.of("2_00", false), Arguments.of("18446744073709551617", false));
    }

    @Test
    void rejectsZeroIdsWithTheAgentsReason() {
        Span t = testSpan();
        assertNull(SpanNormalizer.rejection(t));
        assertEquals(TraceDropReason.TRACE_ID_ZERO,
                SpanNormalizer.rejection(span("a", "b", "c", 0, 7, 1, t.start(), 1, "")));
        assertEquals(TraceDropReason.SPAN_ID_ZERO,
                SpanNormalizer.rejection(span("a", "b", "c", 1, 0, 1, t.start(), 1, "")));
        assertEquals(TraceDropReason.TRACE_ID_ZERO,
                SpanNormalizer.rejection(span("a", "b", "c", 0, 0, 1, t.start(), 1, "")));
        assertThrows(IllegalArgumentException.class, () -> NORMALIZER.normalize(
                span("a", "b", "c", 0, 7, 1, t.start(), 1, ""), "", new NormalizationStats()));
    }

    @Test
    void keepsEverythingElseUnchanged() {
        Span t = testSpan();
        Span in = new Span("", "", "", t.traceId(), t.spanId(), t.parentId(), t.start(), t.duration(), 1, t.meta(),
                t.metrics(), t.type(), Map.of("_dd.stack", new byte[] {1}), null, null);
        Span out = NORMALIZER.normalize(in, "", new NormalizationStats());
        assertEquals(1, out.error());
        assertSame(in.meta(), out.meta(), "meta untouched: not copied");
        assertSame(in.metrics(), out.metrics());
        assertSame(in.metaStruct(), out.metaStruct());
        assertEquals(t.traceId(), out.traceId());
        assertEquals(t.spanId(), out.spanId());
    }

    @Test
    void normalizesSpanLinkNamesWithoutCounting() {
        Span t = testSpan();
        SpanLink empty = new SpanLink(3, 2, 1, Map.of("link.name", ""), "", 0);
        SpanLink invalid = new SpanLink(3, 2, 1, Map.of("link.name", "!@#$%^&*()_+"), "", 0);
        SpanLink valid = new SpanLink(3, 2, 1, Map.of("link.name", "valid_name", "other", "x"), "dd=s:1", 0x80000001);
        SpanLink unnamed = new SpanLink(3, 2, 1, Map.of(), "", 0);
        Span in = new Span(t.service(), t.name(), t.resource(), t.traceId(), t.spanId(), t.parentId(), t.start(),
                t.duration(), 0, t.meta(), t.metrics(), t.type(), null, List.of(empty, invalid, valid, unnamed), null);
        NormalizationStats stats = new NormalizationStats();
        Span out = NORMALIZER.normalize(in, "", stats);
        assertEquals("unnamed_operation", out.links().get(0).attributes().get("link.name"));
        assertEquals("unnamed_operation", out.links().get(1).attributes().get("link.name"));
        assertSame(valid, out.links().get(2));
        assertSame(unnamed, out.links().get(3));
        assertEquals(0x80000001, out.links().get(2).flags());
        assertTrue(stats.isEmpty());

        Span clean = new Span(t.service(), t.name(), t.resource(), t.traceId(), t.spanId(), t.parentId(), t.start(),
                t.duration(), 0, t.meta(), t.metrics(), t.type(), null, List.of(valid), null);
        assertSame(clean, NORMALIZER.normalize(clean, "", stats));
    }

    @Test
    void countsEveryFixOfASpanInOneGo() {
        Span in = Span.of("", "", "", 5, 6, 0, -1, 10, 0, Map.of("http.status_code", "700", "env", "Prod"), null,
                "t".repeat(101));
        NormalizationStats stats = new NormalizationStats();
        Span out = NORMALIZER.normalize(in, "", stats);
        assertEquals(Map.of(SpanFix.SERVICE_EMPTY, 1L, SpanFix.SPAN_NAME_EMPTY, 1L, SpanFix.RESOURCE_EMPTY, 1L,
                SpanFix.INVALID_DURATION, 1L, SpanFix.INVALID_START_DATE, 1L, SpanFix.TYPE_TRUNCATE, 1L,
                SpanFix.INVALID_HTTP_STATUS_CODE, 1L), stats.spanFixes());
        // a negative start makes MAX - start wrap, so the duration goes too, as in the Agent
        assertEquals(0, out.duration());
        assertEquals(NOW, out.start());
        assertEquals(Map.of("env", "prod"), out.meta());
        assertEquals(100, out.type().length());
    }
}
