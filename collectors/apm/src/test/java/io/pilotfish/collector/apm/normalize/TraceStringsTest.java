package io.pilotfish.collector.apm.normalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Agent's {@code TestNormalizeTag}, {@code TestNormalizeName}, {@code TestNormalizeService},
 * {@code TestNormalizePeerService} and {@code TestTruncateString} tables ({@code traceutil/normalize}).
 */
class TraceStringsTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("tagCases")
    void normalizesTagsAsTheAgent(String in, String out) {
        assertEquals(out, TraceStrings.normalizeTag(in));
    }

    static Stream<Arguments> tagCases() {
        return Stream.of(
                Arguments.of("#test_starting_hash", "test_starting_hash"),
                Arguments.of("TestCAPSandSuch", "testcapsandsuch"),
                Arguments.of("Test Conversion Of Weird !@#$%^&**() Characters", "test_conversion_of_weird_characters"),
                Arguments.of("$#weird_starting", "weird_starting"),
                Arguments.of("allowed:c0l0ns", "allowed:c0l0ns"),
                Arguments.of("1love", "love"),
                Arguments.of("ünicöde", "ünicöde"),
                Arguments.of("ünicöde:metäl", "ünicöde:metäl"),
                Arguments.of("Data🐨dog🐶 繋がっ⛰てて", "data_dog_繋がっ_てて"),
                Arguments.of(" spaces   ", "spaces"),
                Arguments.of(" #hashtag!@#spaces #__<>#  ", "hashtag_spaces"),
                Arguments.of(":testing", ":testing"),
                Arguments.of("_foo", "foo"),
                Arguments.of(":::test", ":::test"),
                Arguments.of("contiguous_____underscores", "contiguous_underscores"),
                Arguments.of("foo_", "foo"),
                Arguments.of("\u017Fodd_\u017Fcase\u017F", "\u017Fodd_\u017Fcase\u017F"),
                Arguments.of("", ""),
                Arguments.of(" ", ""),
                Arguments.of("ok", "ok"),
                Arguments.of("™Ö™Ö™™Ö™", "ö_ö_ö"),
                Arguments.of("AlsO:ök", "also:ök"),
                Arguments.of(":still_ok", ":still_ok"),
                Arguments.of("___trim", "trim"),
                Arguments.of("12.:trim@", ":trim"),
                Arguments.of("12.:trim@@", ":trim"),
                Arguments.of("fun:ky__tag/1", "fun:ky_tag/1"),
                Arguments.of("fun:ky@tag/2", "fun:ky_tag/2"),
                Arguments.of("fun:ky@@@tag/3", "fun:ky_tag/3"),
                Arguments.of("tag:1/2.3", "tag:1/2.3"),
                Arguments.of("---fun:k####y_ta@#g/1_@@#", "fun:k_y_ta_g/1"),
                Arguments.of("AlsO:œ#@ö))œk", "also:œ_ö_œk"),
                // the Agent's "test\x99\x8faaa": invalid UTF-8 reaches us already repaired as U+FFFD
                Arguments.of("test\uFFFD\uFFFDaaa", "test_aaa"),
                Arguments.of("test\uFFFD\uFFFD", "test"),
                Arguments.of("a".repeat(888), "a".repeat(200)),
                // the scan stops after 400 bytes: the dogs take them all and 'b' is never reached
                Arguments.of("a" + "🐶".repeat(799) + "b", "a"),
                Arguments.of("a\uFFFD", "a"),
                Arguments.of("a\uFFFD\uFFFD", "a"),
                Arguments.of("a\uFFFD\uFFFDb", "a_b"),
                Arguments.of("A" + "0".repeat(197) + " " + "0".repeat(12), "a" + "0".repeat(197) + "_0"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("tagValueCases")
    void normalizesTagValuesKeepingTheirFirstCharacter(String in, String out) {
        assertEquals(out, TraceStrings.normalizeTagValue(in));
    }

    static Stream<Arguments> tagValueCases() {
        return Stream.of(
                Arguments.of("123DEVELOPMENT", "123development"),
                Arguments.of("1service-name", "1service-name"),
                Arguments.of("_foo", "_foo"),
                Arguments.of("🐨animal-db🐶", "_animal-db"),
                Arguments.of("retargeting(api-Staging ", "retargeting_api-staging"),
                // a lone surrogate is no letter: treated as the replacement character
                Arguments.of("ab\uD800cd", "ab_cd"),
                // an upper-case letter whose lower case takes another number of bytes stays as it is (İ -> i)
                Arguments.of("x\u0130y", "x\u0130y"),
                // the Kelvin sign (3 bytes) would lower-case to ASCII k: kept as is
                Arguments.of("\u212A", "\u212A"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("nameCases")
    void normalizesNamesAndCountsWhy(String name, String normalized, SpanFix reason) {
        NormalizationStats stats = new NormalizationStats();
        assertEquals(normalized, TraceStrings.normalizeName(name, stats));
        if (reason == null) {
            assertTrue(stats.isEmpty(), stats.toString());
        } else {
            assertEquals(1, stats.count(reason), stats.toString());
            assertEquals(1, stats.spanFixes().size(), stats.toString());
        }
    }

    static Stream<Arguments> nameCases() {
        return Stream.of(
                Arguments.of("", "unnamed_operation", SpanFix.SPAN_NAME_EMPTY),
                Arguments.of("good", "good", null),
                Arguments.of("Too-Long-.".repeat(11), "Too_Long.".repeat(10), SpanFix.SPAN_NAME_TRUNCATE),
                Arguments.of("bad-name", "bad_name", null),
                Arguments.of("pylons.controller", "pylons.controller", null),
                Arguments.of("trace-api.request", "trace_api.request", null),
                Arguments.of("/", "unnamed_operation", SpanFix.SPAN_NAME_INVALID),
                Arguments.of("!@#$%^&*()_+", "unnamed_operation", SpanFix.SPAN_NAME_INVALID),
                Arguments.of("CAMEMBERT".repeat(100), "CAMEMBERT".repeat(100).substring(0, 100),
                        SpanFix.SPAN_NAME_TRUNCATE),
                Arguments.of("123.name_", "name", null),
                Arguments.of("a__b", "a_b", null),
                Arguments.of("a_.b", "a.b", null),
                Arguments.of("a._b", "a._b", null),
                Arguments.of("a.-b", "a.b", null),
                Arguments.of("ünicöde", "nic_de", null),
                Arguments.of("http.request 🐶", "http.request", null),
                // only non-ASCII: no ASCII letter to start from
                Arguments.of("ünö", "n", null),
                Arguments.of("🐶🐨", "unnamed_operation", SpanFix.SPAN_NAME_INVALID));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("serviceCases")
    void normalizesServicesAndCountsWhy(String service, String normalized, SpanFix reason) {
        NormalizationStats stats = new NormalizationStats();
        assertEquals(normalized, TraceStrings.normalizeService(service, "", stats));
        assertEquals(reason == null ? 0 : 1, stats.spanFixes().size(), stats.toString());
        if (reason != null) {
            assertEquals(1, stats.count(reason));
        }
    }

    static Stream<Arguments> serviceCases() {
        return Stream.of(
                Arguments.of("good", "good", null),
                Arguments.of("127.0.0.1", "127.0.0.1", null),
                Arguments.of("127.site.platform-db-replica1", "127.site.platform-db-replica1", null),
                Arguments.of("hyphenated-service-name", "hyphenated-service-name", null),
                Arguments.of("🐨animal-db🐶", "_animal-db", null),
                Arguments.of("🐨1animal-db🐶", "_1animal-db", null),
                Arguments.of("1🐨1animal-db🐶", "1_1animal-db", null),
                Arguments.of("Too$Long$.".repeat(11), "too_long_.".repeat(10), SpanFix.SERVICE_TRUNCATE),
                Arguments.of("bad$service", "bad_service", null),
                Arguments.of("", "unnamed-service", SpanFix.SERVICE_EMPTY),
                Arguments.of("🐶", "unnamed-service", SpanFix.SERVICE_INVALID),
                Arguments.of("CAMEMBERT".repeat(100), "camembert".repeat(100).substring(0, 100),
                        SpanFix.SERVICE_TRUNCATE));
    }

    @Test
    void fallsBackToTheLanguageService() {
        NormalizationStats stats = new NormalizationStats();
        assertEquals("unnamed-java-service", TraceStrings.normalizeService("", "java", stats));
        assertEquals("unnamed-python-service", TraceStrings.normalizeService("$$$", "python", stats));
        assertEquals(1, stats.count(SpanFix.SERVICE_EMPTY));
        assertEquals(1, stats.count(SpanFix.SERVICE_INVALID));
        assertEquals("unnamed-service", TraceStrings.fallbackService(null));
    }

    @Test
    void peerServicesHaveNoFallbackAndTheirOwnReasons() {
        assertEquals("", TraceStrings.normalizePeerService(""));
        assertEquals("_animal-db", TraceStrings.normalizePeerService("🐨animal-db🐶"));
        NormalizationStats stats = new NormalizationStats();
        assertEquals("", TraceStrings.normalizePeerService("🐶", stats, SpanFix.PEER_SERVICE_TRUNCATE,
                SpanFix.PEER_SERVICE_INVALID));
        assertEquals("brie".repeat(25), TraceStrings.normalizePeerService("BRIE".repeat(100), stats,
                SpanFix.PEER_SERVICE_TRUNCATE, SpanFix.PEER_SERVICE_INVALID));
        assertEquals(1, stats.count(SpanFix.PEER_SERVICE_INVALID));
        assertEquals(1, stats.count(SpanFix.PEER_SERVICE_TRUNCATE));
    }

    @ParameterizedTest(name = "[{index}] {0} to {1} bytes")
    @MethodSource("truncateCases")
    void truncatesToUtf8BytesOnACharacterBoundary(String in, int limit, String out) {
        assertEquals(out, TraceStrings.truncateUtf8(in, limit));
        assertTrue(TraceStrings.utf8Length(out) <= limit);
    }

    static Stream<Arguments> truncateCases() {
        return Stream.of(
                Arguments.of("", 5, ""),
                Arguments.of("télé", 5, "tél"),
                Arguments.of("télé", 2, "t"),
                Arguments.of("ééééé", 5, "éé"),
                Arguments.of("ééééé", 18, "ééééé"),
                Arguments.of("ééééé", 10, "ééééé"),
                Arguments.of("ééééé", 6, "ééé"),
                Arguments.of("肋", 2, ""),
                Arguments.of("🠠a", 4, "🠠"),
                Arguments.of("⃠⃠a", 6, "⃠⃠"),
                Arguments.of("àa", 2, "à"),
                Arguments.of("🐶🐶", 7, "🐶"));
    }

    @Test
    void returnsNormalInputItself() {
        String tag = "env:prod-1.2/3";
        assertSame(tag, TraceStrings.normalizeTag(tag));
        String name = "servlet.request";
        assertSame(name, TraceStrings.normalizeName(name));
        String service = "billing-api";
        assertSame(service, TraceStrings.normalizeService(service, "java"));
        String shortText = "short";
        assertSame(shortText, TraceStrings.truncateUtf8(shortText, 5));
    }

    @Test
    void countsUtf8BytesAsGoDoes() {
        assertEquals(0, TraceStrings.utf8Length(""));
        assertEquals(1 + 2 + 3 + 4, TraceStrings.utf8Length("aé肋🐶"));
        assertEquals(3, TraceStrings.utf8Length("\uDC00"));
        assertFalse(TraceStrings.exceedsUtf8("é".repeat(50), 100));
        assertTrue(TraceStrings.exceedsUtf8("é".repeat(51), 100));
    }

    /** Whatever the input, the results stay within the Agent's limits. */
    @Test
    void randomTextStaysWithinTheLimits() {
        Random random = new Random(13);
        int[] alphabet = {'a', 'Z', '0', '_', '.', '-', '/', ':', ' ', '#', 'é', 'Ö', '繋', 0x1F436, 0xFFFD, 0xD800,
                0x0130, 0x212A, 0x017F};
        for (int round = 0; round < 5000; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(round % 10 == 0 ? 1200 : 60);
            for (int i = 0; i < length; i++) {
                text.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            }
            String in = text.toString();
            String tag = TraceStrings.normalizeTag(in);
            assertTrue(tag.codePointCount(0, tag.length()) <= TraceStrings.MAX_TAG_CHARS, in);
            assertFalse(tag.endsWith("_"), in);
            assertTrue(TraceStrings.utf8Length(TraceStrings.normalizeName(in)) <= TraceStrings.MAX_NAME_BYTES, in);
            String service = TraceStrings.normalizeService(in, "go");
            assertTrue(TraceStrings.utf8Length(service) <= TraceStrings.MAX_SERVICE_BYTES, in);
            assertEquals(service, TraceStrings.normalizeService(service, "go"), in);
        }
    }
}
