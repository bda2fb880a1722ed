package io.pilotfish.collector.apm.normalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Agent's {@code TestIsMeasured}, {@code TestIsPartialSnapshot}, top-level get/set and header cases. */
class SpanFlagsTest {

    static Span span(Map<String, String> meta, Map<String, Double> metrics) {
        return Span.of("svc", "op", "res", 1, 2, 0, 1_700_000_000_000_000_000L, 10, 0, meta, metrics, "web");
    }

    @Test
    void readsTopLevelFromEitherFlag() {
        assertFalse(SpanFlags.isTopLevel(span(null, null)), "by default, spans are not top-level");
        assertTrue(SpanFlags.isTopLevel(span(null, Map.of("_top_level", 1.0))));
        assertTrue(SpanFlags.isTopLevel(span(null, Map.of("_dd.top_level", 1.0))));
        assertFalse(SpanFlags.isTopLevel(span(null, Map.of("_top_level", 0.0, "_dd.top_level", 2.0))));
    }

    @Test
    void setsTopLevelKeepingTheOtherMetrics() {
        Span plain = span(null, Map.of("custom", 42.0));
        Span flagged = SpanFlags.withTopLevel(plain);
        assertEquals(Map.of("custom", 42.0, "_top_level", 1.0), flagged.metrics());
        assertTrue(SpanFlags.isTopLevel(flagged));
        assertSame(flagged, SpanFlags.withTopLevel(flagged));
        assertEquals(Map.of("custom", 42.0), plain.metrics(), "the original is not changed");
    }

    @Test
    void readsMeasured() {
        assertFalse(SpanFlags.isMeasured(span(null, null)));
        assertTrue(SpanFlags.isMeasured(span(null, Map.of("_dd.measured", 1.0))));
        assertFalse(SpanFlags.isMeasured(span(null, Map.of("_dd.measured", 0.0))));
    }

    @Test
    void readsPartialSnapshots() {
        assertFalse(SpanFlags.isPartialSnapshot(span(null, null)), "complete by default");
        assertFalse(SpanFlags.isPartialSnapshot(span(null, Map.of("_dd.partial_version", -10.0))));
        assertTrue(SpanFlags.isPartialSnapshot(span(null, Map.of("_dd.partial_version", 0.0))));
        assertTrue(SpanFlags.isPartialSnapshot(span(null, Map.of("_dd.partial_version", 3_000_000_000.0))));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("spanKinds")
    void readsTheSpanKindsStatsAreComputedFor(String kind, boolean eligible) {
        assertEquals(eligible, SpanFlags.hasStatsSpanKind(span(Map.of("span.kind", kind), null)));
    }

    static Stream<Arguments> spanKinds() {
        return Stream.of(
                Arguments.of("server", true), Arguments.of("consumer", true), Arguments.of("client", true),
                Arguments.of("producer", true), Arguments.of("SERVER", true), Arguments.of("Client", true),
                // Go lower-cases İ to i
                Arguments.of("clİent", true),
                Arguments.of("internal", false), Arguments.of("", false), Arguments.of("servers", false),
                Arguments.of("serve", false), Arguments.of(" server", false), Arguments.of("ſerver", false));
    }

    @Test
    void decidesStatsEligibilityAsTheConcentrator() {
        Span plain = span(null, null);
        Span client = span(Map.of("span.kind", "client"), null);
        Span topLevel = span(null, Map.of("_top_level", 1.0));
        Span measured = span(null, Map.of("_dd.measured", 1.0));
        Span partial = span(null, Map.of("_top_level", 1.0, "_dd.partial_version", 1.0));
        assertFalse(SpanFlags.isStatsEligible(plain, true));
        assertTrue(SpanFlags.isStatsEligible(client, true));
        assertFalse(SpanFlags.isStatsEligible(client, false));
        assertTrue(SpanFlags.isStatsEligible(topLevel, false));
        assertTrue(SpanFlags.isStatsEligible(measured, false));
        assertFalse(SpanFlags.isStatsEligible(partial, true));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("headerValues")
    void readsTheComputedTopLevelHeaderAsTheReceiver(String value, boolean yes) {
        assertEquals(yes, SpanFlags.headerSaysYes(value));
    }

    static Stream<Arguments> headerValues() {
        return Stream.of(
                Arguments.of(null, false), Arguments.of("", false),
                Arguments.of("0", false), Arguments.of("f", false), Arguments.of("F", false),
                Arguments.of("false", false), Arguments.of("FALSE", false), Arguments.of("False", false),
                Arguments.of("1", true), Arguments.of("t", true), Arguments.of("true", true),
                Arguments.of("yes", true), Arguments.of("fAlSe", true), Arguments.of("no", true));
    }
}
