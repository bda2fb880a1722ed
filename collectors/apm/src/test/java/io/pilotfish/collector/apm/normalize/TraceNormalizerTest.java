package io.pilotfish.collector.apm.normalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Agent's {@code TestNormalizeTrace*}, {@code TestNormalizeChunk*}, {@code TestTagDecisionMaker}
 * ({@code normalizer_test.go}) and {@code TestTopLevel*} ({@code span_test.go}) cases, on whole chunks.
 */
class TraceNormalizerTest {

    private static final long START = 1_700_000_000_000_000_000L;
    private static final TracerInfo TRACER = new TracerInfo("", "java", "", "", "", null, "", "", "");
    private static final TraceNormalizer NORMALIZER = new TraceNormalizer(new SpanNormalizer(
            Clock.fixed(Instant.ofEpochSecond(1_714_521_600L), ZoneOffset.UTC)));

    static Span span(long traceId, long spanId, long parentId, String service) {
        return span(traceId, spanId, parentId, service, null, null);
    }

    static Span span(long traceId, long spanId, long parentId, String service, Map<String, String> meta,
                     Map<String, Double> metrics) {
        return Span.of(service, "web.request", "GET /", traceId, spanId, parentId, START, 1000, 0, meta, metrics,
                "web");
    }

    static TraceChunk chunk(Span... spans) {
        return chunk(TraceChunk.PRIORITY_NONE, "", null, spans);
    }

    static TraceChunk chunk(int priority, String origin, Map<String, String> tags, Span... spans) {
        return new TraceChunk(TRACER, priority, origin, List.of(spans), tags, false);
    }

    static ChunkResult.Kept kept(TraceChunk chunk, boolean clientComputedTopLevel, NormalizationStats stats) {
        return assertInstanceOf(ChunkResult.Kept.class,
                NORMALIZER.normalize(chunk, "java", clientComputedTopLevel, stats));
    }

    static ChunkResult.Kept kept(TraceChunk chunk) {
        return kept(chunk, false, new NormalizationStats());
    }

    /** Which spans end up with {@code _top_level}. */
    static List<Boolean> topLevel(TraceChunk chunk) {
        List<Boolean> flags = new ArrayList<>();
        for (Span span : chunk.spans()) {
            flags.add(span.metrics().get(SpanFlags.TOP_LEVEL) != null);
        }
        return flags;
    }

    // ---- dropped chunks ----------------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("droppedChunks")
    void dropsChunksTheAgentDrops(String label, TraceChunk chunk, TraceDropReason reason) {
        NormalizationStats stats = new NormalizationStats();
        ChunkResult result = NORMALIZER.normalize(chunk, "java", false, stats);
        assertEquals(new ChunkResult.Dropped(reason, chunk.spans().size()), result);
        assertEquals(Map.of(reason, 1L), stats.traceDrops());
        assertEquals(chunk.spans().size(), stats.droppedSpans());
    }

    static Stream<Arguments> droppedChunks() {
        return Stream.of(
                Arguments.of("trace id mismatch", chunk(span(1, 10, 0, "a"), span(2, 11, 10, "a")),
                        TraceDropReason.FOREIGN_SPAN),
                Arguments.of("same low bits, other _dd.p.tid",
                        chunk(span(1, 10, 0, "a", Map.of("_dd.p.tid", "0000000000000001"), null),
                                span(1, 11, 10, "a", Map.of("_dd.p.tid", "0000000000000002"), null)),
                        TraceDropReason.FOREIGN_SPAN),
                Arguments.of("a foreign span after the first",
                        chunk(span(1, 10, 0, "a"), span(1, 11, 10, "a"), span(3, 12, 10, "a")),
                        TraceDropReason.FOREIGN_SPAN),
                Arguments.of("trace id zero", chunk(span(0, 10, 0, "a")), TraceDropReason.TRACE_ID_ZERO),
                Arguments.of("span id zero", chunk(span(1, 10, 0, "a"), span(1, 0, 10, "a")),
                        TraceDropReason.SPAN_ID_ZERO));
    }

    @Test
    void countsTheFixesOfSpansBeforeTheOneThatDropsTheChunk() {
        NormalizationStats stats = new NormalizationStats();
        TraceChunk chunk = chunk(span(1, 10, 0, ""), span(1, 0, 10, "a"));
        NORMALIZER.normalize(chunk, "java", false, stats);
        assertEquals(1, stats.count(SpanFix.SERVICE_EMPTY));
        assertEquals(1, stats.count(TraceDropReason.SPAN_ID_ZERO));
    }

    // ---- 128-bit trace ids -------------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("sameTraceIds")
    void matchesTraceIdsAcross128Bits(String label, Span a, Span b, boolean same) {
        assertEquals(same, SpanFlags.sameTraceId(a, b));
        ChunkResult result = NORMALIZER.normalize(chunk(a, b), "java", false, new NormalizationStats());
        assertEquals(same, result instanceof ChunkResult.Kept, result.toString());
    }

    static Stream<Arguments> sameTraceIds() {
        Map<String, String> high = Map.of("_dd.p.tid", "6958127700000000");
        return Stream.of(
                Arguments.of("same 64-bit", span(12345, 1, 0, "a"), span(12345, 2, 1, "a"), true),
                Arguments.of("different 64-bit", span(12345, 1, 0, "a"), span(99999, 2, 1, "a"), false),
                Arguments.of("same 128-bit", span(12345, 1, 0, "a", high, null), span(12345, 2, 1, "a", high, null),
                        true),
                Arguments.of("same low, different high", span(12345, 1, 0, "a", high, null),
                        span(12345, 2, 1, "a", Map.of("_dd.p.tid", "1111111111111111"), null), false),
                Arguments.of("first has high bits, second not", span(12345, 1, 0, "a", high, null),
                        span(12345, 2, 1, "a"), true),
                Arguments.of("second has high bits, first not", span(12345, 1, 0, "a"),
                        span(12345, 2, 1, "a", high, null), true),
                Arguments.of("other meta does not matter",
                        span(12345, 1, 0, "a", Map.of("_dd.p.tid", "6958127700000000", "other", "a"), null),
                        span(12345, 2, 1, "a", Map.of("_dd.p.tid", "6958127700000000", "other", "b"), null), true),
                Arguments.of("negative low bits (uint64 above 2^63)", span(-5, 1, 0, "a"), span(-5, 2, 1, "a"),
                        true));
    }

    @Test
    void comparesEverySpanWithTheFirstOnly() {
        // the first span has no high bits: the others are each compared with it, not with one another
        Span first = span(7, 1, 0, "a");
        Span second = span(7, 2, 1, "a", Map.of("_dd.p.tid", "0000000000000001"), null);
        Span third = span(7, 3, 1, "a", Map.of("_dd.p.tid", "0000000000000002"), null);
        ChunkResult.Kept result = kept(chunk(first, second, third));
        assertEquals("0000000000000001", result.chunk().spans().get(1).meta().get("_dd.p.tid"));
    }

    // ---- spans inside the chunk ------------------------------------------------------------------------------

    @Test
    void keepsAChunkWithAnInvalidSpanAfterFixingIt() {
        NormalizationStats stats = new NormalizationStats();
        Span bad = Span.of("a", "", "GET /", 1, 11, 10, START, 5, 0, null, null, "web");
        ChunkResult.Kept result = kept(chunk(span(1, 10, 0, "a"), bad), true, stats);
        assertEquals("unnamed_operation", result.chunk().spans().get(1).name());
        assertEquals(Map.of(SpanFix.SPAN_NAME_EMPTY, 1L), stats.spanFixes());
        assertTrue(stats.traceDrops().isEmpty());
    }

    @Test
    void countsDuplicateSpanIdsButKeepsThem() {
        NormalizationStats stats = new NormalizationStats();
        ChunkResult.Kept result = kept(chunk(span(1, 10, 0, "a"), span(1, 10, 0, "a"), span(1, 10, 0, "a")), false,
                stats);
        assertEquals(3, result.chunk().spans().size());
        assertEquals(Map.of(SpanFix.DUPLICATE_SPAN_ID, 2L), stats.spanFixes());
    }

    @Test
    void returnsTheChunkItselfWhenNothingChanges() {
        Span root = span(1, 10, 0, "a", null, Map.of("_top_level", 1.0, "_sampling_priority_v1", 1.0));
        Span child = span(1, 11, 10, "a");
        TraceChunk chunk = chunk(1, "", null, root, child);
        NormalizationStats stats = new NormalizationStats();
        ChunkResult.Kept result = kept(chunk, false, stats);
        assertSame(chunk, result.chunk());
        assertSame(root, result.root());
        assertTrue(stats.isEmpty());
    }

    // ---- root, priority, origin, decision maker ------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("roots")
    void findsTheRootSpan(String label, TraceChunk chunk, int rootIndex) {
        assertEquals(rootIndex, kept(chunk).rootIndex());
    }

    static Stream<Arguments> roots() {
        return Stream.of(
                Arguments.of("parent 0", chunk(span(1, 1, 0, "a"), span(1, 2, 1, "a")), 0),
                Arguments.of("reported last", chunk(span(1, 2, 1, "a"), span(1, 3, 2, "a"), span(1, 1, 0, "a")), 2),
                Arguments.of("the last of two with parent 0", chunk(span(1, 1, 0, "a"), span(1, 2, 0, "a")), 1),
                Arguments.of("parent outside the chunk", chunk(span(1, 3, 2, "a"), span(1, 2, 99, "a"),
                        span(1, 4, 2, "a")), 1),
                Arguments.of("first of several orphans", chunk(span(1, 3, 98, "a"), span(1, 4, 99, "a")), 0),
                Arguments.of("cycle: the last span", chunk(span(1, 3, 4, "a"), span(1, 4, 3, "a")), 1),
                Arguments.of("zipkin self-parent becomes the root",
                        chunk(span(1, 2, 1, "a"), span(1, 1, 1, "a")), 1));
    }

    @Test
    void takesThePriorityFromTheRootWhenTheChunkHasNone() {
        Span child = span(1, 11, 10, "a", null, Map.of("_sampling_priority_v1", 2.0));
        Span root = span(1, 10, 0, "a", null, Map.of("_sampling_priority_v1", 1.0));
        assertEquals(1, kept(chunk(child, root)).chunk().priority());
    }

    @Test
    void takesThePriorityFromAnySpanWhenTheRootHasNone() {
        Span root = span(1, 10, 0, "a");
        Span child = span(1, 11, 10, "a", null, Map.of("_sampling_priority_v1", 1.0));
        Span other = span(1, 12, 10, "a", null, Map.of("_sampling_priority_v1", -1.0));
        assertEquals(1, kept(chunk(root, child, other)).chunk().priority());
        assertEquals(TraceChunk.PRIORITY_NONE, kept(chunk(root)).chunk().priority());
    }

    @Test
    void keepsThePriorityTheChunkHas() {
        Span root = span(1, 10, 0, "a", null, Map.of("_sampling_priority_v1", 1.0));
        assertEquals(0, kept(chunk(0, "", null, root)).chunk().priority());
    }

    @Test
    void takesTheOriginFromTheRootWhenTheChunkHasNone() {
        Span root = span(1, 10, 0, "a", Map.of("_dd.origin", "rum"), null);
        assertEquals("rum", kept(chunk(root)).chunk().origin());
        assertEquals("cloudrun", kept(chunk(TraceChunk.PRIORITY_NONE, "cloudrun", null, root)).chunk().origin());
        Span child = span(1, 11, 10, "a", Map.of("_dd.origin", "synthetics"), null);
        assertEquals("", kept(chunk(span(1, 10, 0, "a"), child)).chunk().origin(), "only the root's origin counts");
    }

    @Test
    void copiesTheFirstDecisionMakerToTheChunkTags() {
        Span root = span(1, 10, 0, "a");
        Span right = span(1, 11, 10, "a", Map.of("_dd.p.dm", "right"), null);
        Span wrong = span(1, 12, 10, "a", Map.of("_dd.p.dm", "wrong"), null);
        TraceChunk out = kept(chunk(TraceChunk.PRIORITY_NONE, "", Map.of("k", "v"), root, right, wrong)).chunk();
        assertEquals(Map.of("k", "v", "_dd.p.dm", "right"), out.tags());
        assertEquals("right", out.spans().get(1).meta().get("_dd.p.dm"), "left on the span too");
        TraceChunk tagged = kept(chunk(TraceChunk.PRIORITY_NONE, "", Map.of("_dd.p.dm", "-4"), root, right)).chunk();
        assertEquals(Map.of("_dd.p.dm", "-4"), tagged.tags());
    }

    // ---- top-level ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("topLevelCases")
    void computesTopLevelWhenTheTracerDidNot(String label, TraceChunk chunk, List<Boolean> expected) {
        assertEquals(expected, topLevel(kept(chunk).chunk()));
        assertEquals(expected, topLevel(chunk(TopLevel.compute(chunk.spans()).toArray(new Span[0]))));
    }

    static Stream<Arguments> topLevelCases() {
        return Stream.of(
                Arguments.of("typical", chunk(
                        span(1, 1, 0, "mcnulty"), span(1, 2, 1, "mcnulty"), span(1, 3, 2, "master-db"),
                        span(1, 4, 1, "redis"), span(1, 5, 1, "mcnulty")),
                        List.of(true, false, true, true, false)),
                Arguments.of("single", chunk(span(1, 1, 0, "mcnulty")), List.of(true)),
                Arguments.of("one service", chunk(
                        span(1, 2, 1, "mcnulty"), span(1, 3, 2, "mcnulty"), span(1, 1, 0, "mcnulty"),
                        span(1, 4, 1, "mcnulty"), span(1, 5, 1, "mcnulty")),
                        List.of(false, false, true, false, false)),
                Arguments.of("local roots", chunk(
                        span(1, 1, 0, "mcnulty"), span(1, 2, 1, "mcnulty"), span(1, 3, 2, "master-db"),
                        span(1, 4, 1, "redis"), span(1, 5, 1, "mcnulty"), span(1, 6, 4, "redis"),
                        span(1, 7, 4, "redis")),
                        List.of(true, false, true, true, false, false, false)),
                Arguments.of("parent in another chunk", chunk(span(1, 5, 4, "web"), span(1, 6, 5, "web")),
                        List.of(true, false)));
    }

    @Test
    void comparesServicesAfterNormalisingThem() {
        TraceChunk chunk = chunk(span(1, 1, 0, "Web"), span(1, 2, 1, "web"), span(1, 3, 2, "WEB "));
        assertEquals(List.of(true, false, false), topLevel(kept(chunk).chunk()));
        assertEquals(List.of(true, true, true), topLevel(chunk(TopLevel.compute(chunk.spans()).toArray(new Span[0]))),
                "raw services differ");
    }

    @Test
    void keepsOtherMetricsAndExistingFlags() {
        Span root = span(1, 1, 0, "mcnulty", null, Map.of("custom", 42.0));
        Span child = span(1, 2, 1, "mcnulty", null, Map.of("custom", 42.0, "_top_level", 1.0));
        TraceChunk out = kept(chunk(root, child)).chunk();
        assertEquals(Map.of("custom", 42.0, "_top_level", 1.0), out.spans().get(0).metrics());
        assertEquals(Map.of("custom", 42.0, "_top_level", 1.0), out.spans().get(1).metrics(),
                "a flag the tracer set is never removed");
        assertSame(child, out.spans().get(1));
    }

    @Test
    void mapsTheTracersTopLevelFlagWhenTheTracerComputedIt() {
        Span root = span(1, 1, 0, "a", null, Map.of("_dd.top_level", 1.0));
        Span notTop = span(1, 2, 1, "b");
        Span zero = span(1, 3, 1, "a", null, Map.of("_dd.top_level", 0.0));
        TraceChunk out = kept(chunk(root, notTop, zero), true, new NormalizationStats()).chunk();
        assertEquals(List.of(true, false, false), topLevel(out), "the tracer's word, not the agent's computation");
        assertEquals(1.0, out.spans().get(0).metrics().get("_dd.top_level"));
        assertSame(notTop, out.spans().get(1));
        assertEquals(List.of(true, false, false), topLevel(chunk(TopLevel.fromTracer(List.of(root, notTop, zero))
                .toArray(new Span[0]))));
    }

    @Test
    void handlesALargeChunk() {
        List<Span> spans = new ArrayList<>();
        spans.add(span(9, 1, 0, "svc0"));
        for (int i = 2; i <= 5000; i++) {
            spans.add(span(9, i, i / 2, "svc" + (i % 7 == 0 ? 1 : 0)));
        }
        TraceChunk out = kept(chunk(spans.toArray(new Span[0]))).chunk();
        long topLevel = topLevel(out).stream().filter(b -> b).count();
        long expected = 1 + spans.stream().filter(s -> s.parentId() != 0
                && !spans.get((int) s.parentId() - 1).service().equals(s.service())).count();
        assertEquals(expected, topLevel);
    }

    @Test
    void findsTheEnvAsTheAgentDoes() {
        Span root = span(1, 1, 0, "a");
        Span child = span(1, 2, 1, "a", Map.of("env", "prod"), null);
        assertEquals("prod", TraceNormalizer.env(root, List.of(root, child)));
        Span rootWithEnv = span(1, 1, 0, "a", Map.of("env", ""), null);
        assertEquals("", TraceNormalizer.env(rootWithEnv, List.of(rootWithEnv, child)));
        assertNull(TraceNormalizer.env(root, List.of(root)));
    }

    @Test
    void normalizesEveryFieldOfEverySpan() {
        Map<String, String> meta = new HashMap<>();
        meta.put("env", "Staging");
        Span root = Span.of("My Service", "Http Request", "", 1, 1, 0, 5, 10, 0, meta, null, "web");
        ChunkResult.Kept result = kept(chunk(root));
        Span out = result.root();
        assertEquals("my_service", out.service());
        assertEquals("Http_Request", out.name());
        assertEquals("Http_Request", out.resource());
        assertEquals("staging", out.meta().get("env"));
        assertEquals(1.0, out.metrics().get("_top_level"));
    }
}
