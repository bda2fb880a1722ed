package io.pilotfish.collector.apm.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.filter.TagReplacer.ReplaceRule;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeType;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code replacer_test.go} and the Agent's reading of {@code DD_APM_REPLACE_TAGS}. */
class TagReplacerTest {

    private static TagReplacer rules(String[]... rules) {
        List<ReplaceRule> list = new ArrayList<>();
        for (String[] rule : rules) {
            list.add(new ReplaceRule(rule[0], rule[1], rule[2]));
        }
        return TagReplacer.compile(TagReplacer.VARIABLE, list);
    }

    private static String[] rule(String name, String pattern, String repl) {
        return new String[] {name, pattern, repl};
    }

    /** The test helper of replacer_test.go: "resource.name" sets the resource, other keys the string tags. */
    private static Span span(Map<String, String> tags, Map<String, Double> metrics) {
        Map<String, String> meta = new LinkedHashMap<>(tags);
        String resource = meta.remove("resource.name");
        return Span.of("svc", "op", resource, 1, 2, 0, 0, 1, 0, meta, new LinkedHashMap<>(metrics), "web");
    }

    private static void assertTags(Map<String, String> want, Span span) {
        want.forEach((k, v) -> assertEquals(v, k.equals("resource.name") ? span.resource() : span.meta().get(k), k));
    }

    @Test
    void replacerTracesFirstCase() {
        TagReplacer replacer = rules(
                rule("http.url", "(token/)([^/]*)", "${1}?"),
                rule("http.url", "guid", "[REDACTED]"),
                rule("custom.tag", "(/foo/bar/).*", "${1}extra"),
                rule("a", "b", "c"),
                rule("counter", "1", "2"));
        Map<String, String> got = Map.of("http.url", "some/guid/token/abcdef/abc", "custom.tag", "/foo/bar/foo");
        Span root = span(got, Map.of("counter", 1.0));
        Span child = span(got, Map.of("counter", 1.0));
        List<Span> out = replacer.replace(List.of(root, child));
        for (Span s : out) { // every span, not only the root
            assertTags(Map.of("http.url", "some/[REDACTED]/token/?/abc", "custom.tag", "/foo/bar/extra"), s);
            assertEquals(2.0, s.metrics().get("counter"));
        }
    }

    @Test
    void replacerTracesSecondCase() {
        TagReplacer replacer = rules(
                rule("*", "(token/)([^/]*)", "${1}?"),
                rule("*", "this", "that"),
                rule("http.url", "guid", "[REDACTED]"),
                rule("custom.tag", "(/foo/bar/).*", "${1}extra"),
                rule("resource.name", "prod", "stage"));
        Map<String, String> got = Map.of(
                "resource.name", "this is prod",
                "http.url", "some/[REDACTED]/token/abcdef/abc",
                "other.url", "some/guid/token/abcdef/abc",
                "custom.tag", "/foo/bar/foo",
                "_special", "this should not be changed");
        List<Span> out = replacer.replace(List.of(span(got, Map.of()), span(got, Map.of())));
        for (Span s : out) {
            assertTags(Map.of(
                    "resource.name", "that is stage",
                    "http.url", "some/[REDACTED]/token/?/abc",
                    "other.url", "some/guid/token/?/abc",
                    "custom.tag", "/foo/bar/extra",
                    "_special", "this should not be changed"), s);
        }
    }

    @Test
    void aRuleNamesOneKeyExactly() {
        // replacer.go looks the rule's name up as a key: "nested.value" does not reach "nested.value.1"
        TagReplacer replacer = rules(rule("nested.value", "foo", "bar"), rule("nested.counter", "100", "200"));
        Span s = span(Map.of("nested.value", "foo", "nested.value.1", "foo"),
                Map.of("nested.counter", 100.0, "nested.counter.one", 100.0));
        Span out = replacer.replace(s);
        assertEquals("bar", out.meta().get("nested.value"));
        assertEquals("foo", out.meta().get("nested.value.1"));
        assertEquals(200.0, out.metrics().get("nested.counter"));
        assertEquals(100.0, out.metrics().get("nested.counter.one"));
    }

    @Test
    void spanEventAttributesTakeTheTypeOfTheirNewText() {
        TagReplacer replacer = rules(
                rule("http.url", "(token/)([^/]*)", "${1}?"),
                rule("http.url", "guid", "[REDACTED]"),
                rule("custom.tag", "(/foo/bar/).*", "${1}extra"),
                rule("a", "b", "c"),
                rule("some.num", "1", "one!"),
                rule("some.dbl", "42.1", "42.5"),
                rule("is.potato", "true", "false"),
                rule("my.nums", "42", "100"));
        Map<String, AttributeValue> got = new LinkedHashMap<>();
        got.put("http.url", AttributeValue.of("some/guid/token/abcdef/abc"));
        got.put("custom.tag", AttributeValue.of("/foo/bar/foo"));
        got.put("some.num", AttributeValue.of(1L));
        got.put("some.dbl", AttributeValue.of(42.1));
        got.put("is.potato", AttributeValue.of(true));
        got.put("my.nums", array(AttributeValue.of(123L), AttributeValue.of(42L)));
        Span s = new Span("svc", "op", "res", 1, 2, 0, 0, 1, 0, null, null, "", null, null,
                List.of(new SpanEvent(0, "foo", got)));
        Map<String, AttributeValue> want = replacer.replace(s).events().get(0).attributes();
        assertEquals(AttributeValue.of("some/[REDACTED]/token/?/abc"), want.get("http.url"));
        assertEquals(AttributeValue.of("/foo/bar/extra"), want.get("custom.tag"));
        assertEquals(AttributeValue.of("one!"), want.get("some.num"));
        assertEquals(AttributeValue.of(42.5), want.get("some.dbl"));
        assertEquals(AttributeValue.of(false), want.get("is.potato"));
        assertEquals(array(AttributeValue.of(123L), AttributeValue.of(100L)), want.get("my.nums"));
    }

    private static AttributeValue array(AttributeValue... values) {
        return new AttributeValue(AttributeType.ARRAY, null, false, 0, 0, List.of(values));
    }

    @Test
    void allTagsRuleRetypesEventAttributesAsTheAgentDoes() {
        TagReplacer replacer = rules(rule("*", "nomatch", "x"));
        Map<String, AttributeValue> attrs = new LinkedHashMap<>();
        attrs.put("whole", AttributeValue.of(42.0));
        attrs.put("_hidden", AttributeValue.of(7.0));
        attrs.put("text", AttributeValue.of("12"));
        Span s = new Span("svc", "op", "res", 1, 2, 0, 0, 1, 0, null, null, "", null, null,
                List.of(new SpanEvent(5, "ev", attrs)));
        SpanEvent event = replacer.replace(s).events().get(0);
        assertEquals(AttributeValue.of(42L), event.attributes().get("whole")); // "42" reads as an integer
        assertEquals(AttributeValue.of(7.0), event.attributes().get("_hidden"));
        assertEquals(AttributeValue.of("12"), event.attributes().get("text")); // strings stay strings
        assertEquals(5, event.timeUnixNano());
        assertEquals("ev", event.name());
    }

    @Test
    void aNumericTagThatNoLongerReadsAsANumberBecomesAStringTag() {
        TagReplacer replacer = rules(rule("http.status_code", "^4", "client error "), rule("*", "200", "202"));
        Span s = span(Map.of(), Map.of("http.status_code", 404.0, "other", 200.0, "_sampling_priority_v1", 200.0));
        Span out = replacer.replace(s);
        assertEquals("client error 04", out.meta().get("http.status_code"));
        assertFalse(out.metrics().containsKey("http.status_code"));
        assertEquals(202.0, out.metrics().get("other"));
        assertEquals(200.0, out.metrics().get("_sampling_priority_v1")); // hidden from "*"
    }

    @Test
    void numbersAreWrittenAsGoWritesThem() {
        TagReplacer replacer = rules(rule("*", "^(.*)$", "<$1>"));
        Span s = span(Map.of(), Map.of("a", 1.0, "b", 0.000001, "c", 1e21, "d", -2.5));
        Span out = replacer.replace(s);
        assertEquals("<1>", out.meta().get("a"));
        assertEquals("<0.000001>", out.meta().get("b"));
        assertEquals("<1000000000000000000000>", out.meta().get("c"));
        assertEquals("<-2.5>", out.meta().get("d"));
        assertTrue(out.metrics().isEmpty());
    }

    @Test
    void aTagInBothMapsEndsAsTheMetricsText() {
        // the string tag is replaced first, then the numeric one overwrites it when it is no longer a number
        TagReplacer replacer = rules(rule("k", "1", "x"));
        Span out = replacer.replace(span(Map.of("k", "1"), Map.of("k", 1.0)));
        assertEquals("x", out.meta().get("k"));
        assertFalse(out.metrics().containsKey("k"));
    }

    @Test
    void unchangedSpansAndListsAreTheSameInstances() {
        TagReplacer replacer = rules(rule("http.url", "secret", "?"));
        Span plain = span(Map.of("http.url", "/a"), Map.of("m", 1.0));
        Span secret = span(Map.of("http.url", "/secret"), Map.of());
        List<Span> none = List.of(plain, plain);
        assertSame(none, replacer.replace(none));
        assertSame(plain, replacer.replace(plain));
        List<Span> out = replacer.replace(List.of(plain, secret));
        assertSame(plain, out.get(0));
        assertNotSame(secret, out.get(1));
        assertEquals("/?", out.get(1).meta().get("http.url"));
        assertEquals("/secret", secret.meta().get("http.url")); // spans are never changed in place
        List<Span> empty = List.of();
        assertSame(empty, TagReplacer.empty().replace(empty));
    }

    @Test
    void removeStackTracesAddsARuleAfterTheUsersOnes() {
        TagReplacer replacer = TagReplacer.fromEnvironment(Map.of(
                "DD_APM_REPLACE_TAGS", "[{\"name\":\"error.stack\",\"pattern\":\"secret\",\"repl\":\"x\"}]",
                "DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", "true"));
        assertEquals(List.of(new ReplaceRule("error.stack", "secret", "x"), TagReplacer.STACK_TRACE_RULE),
                replacer.rules());
        Span out = replacer.replace(span(Map.of("error.stack", "at a()\nat b()\n", "error.msg", "boom"), Map.of()));
        assertEquals("?", out.meta().get("error.stack"));
        assertEquals("boom", out.meta().get("error.msg"));
        assertEquals(List.of(
                Map.of("name", "error.stack", "pattern", "secret", "repl", "x"),
                Map.of("name", "error.stack", "pattern", "(?s).*", "repl", "?")), replacer.describe());
        assertTrue(TagReplacer.fromEnvironment(Map.of("DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", "false")).isEmpty());
    }

    @Test
    void rulesFromTheVariable() {
        // config_test.go: a rule without "repl" deletes what matched
        TagReplacer replacer = TagReplacer.fromEnvironment(Map.of("DD_APM_REPLACE_TAGS",
                "[{\"name\":\"name1\", \"pattern\":\"pattern1\"}, "
                        + "{\"name\":\"name2\",\"pattern\":\"pattern2\",\"repl\":\"replace2\"}]"));
        assertEquals(List.of(new ReplaceRule("name1", "pattern1", ""), new ReplaceRule("name2", "pattern2",
                "replace2")), replacer.rules());
        assertSame(TagReplacer.empty(), TagReplacer.fromEnvironment(Map.of("DD_APM_REPLACE_TAGS", "[]")));
        assertSame(TagReplacer.empty(), TagReplacer.fromEnvironment(Map.of()));
        // field names in any case, as the Agent's decoder matches them
        assertEquals(List.of(new ReplaceRule("a", "b", "c")), TagReplacer.fromEnvironment(Map.of(
                "DD_APM_REPLACE_TAGS", "[{\"Name\":\"a\",\"PATTERN\":\"b\",\"Repl\":\"c\"}]")).rules());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"name\":\"a\",\"pattern\":\"b\"}",
        "[{\"name\":\"a\",\"pattern\":\"b\"}",
        "[\"a\"]",
        "[{\"name\":\"a\",\"pattern\":\"b\"}] []",
        "name=a",
    })
    void malformedJsonIsRefused(String raw) {
        // the Agent logs "Bad format" and runs without any rule
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> TagReplacer.fromEnvironment(Map.of("DD_APM_REPLACE_TAGS", raw)));
        assertEquals("DD_APM_REPLACE_TAGS", e.variable());
        assertTrue(e.getMessage().startsWith("DD_APM_REPLACE_TAGS: cannot read "), e.getMessage());
        assertTrue(e.getMessage().contains("write [{\"name\""), e.getMessage());
    }

    @Test
    void aRuleWithoutNameOrPatternIsRefused() {
        FilterConfigException e = assertThrows(FilterConfigException.class, () -> TagReplacer.fromEnvironment(
                Map.of("DD_APM_REPLACE_TAGS", "[{\"pattern\":\"x\",\"repl\":\"y\"}]")));
        assertEquals("DD_APM_REPLACE_TAGS: rule 1 has no \"name\"; give the tag to change, resource.name for the "
                + "resource, or * for every tag and the resource", e.getMessage());
        e = assertThrows(FilterConfigException.class, () -> TagReplacer.fromEnvironment(
                Map.of("DD_APM_REPLACE_TAGS", "[{\"name\":\"a\",\"pattern\":\"b\"},{\"name\":\"http.url\"}]")));
        assertTrue(e.getMessage().startsWith("DD_APM_REPLACE_TAGS: rule 2 (\"http.url\") has no \"pattern\""),
                e.getMessage());
    }

    @Test
    void unknownFieldsAndNonStringValuesAreRefused() {
        FilterConfigException e = assertThrows(FilterConfigException.class, () -> TagReplacer.fromEnvironment(
                Map.of("DD_APM_REPLACE_TAGS", "[{\"name\":\"a\",\"pattern\":\"b\",\"replace\":\"c\"}]")));
        assertTrue(e.getMessage().contains("unknown field \"replace\""), e.getMessage());
        e = assertThrows(FilterConfigException.class, () -> TagReplacer.fromEnvironment(
                Map.of("DD_APM_REPLACE_TAGS", "[{\"name\":\"a\",\"pattern\":\"b\",\"repl\":1}]")));
        assertTrue(e.getMessage().contains("\"repl\" of rule 1 is not a string"), e.getMessage());
    }

    @Test
    void anInvalidPatternIsRefusedNamingTheRule() {
        // the Agent stops applying its configuration at this error
        FilterConfigException e = assertThrows(FilterConfigException.class, () -> TagReplacer.fromEnvironment(
                Map.of("DD_APM_REPLACE_TAGS", "[{\"name\":\"http.url\",\"pattern\":\"(token\",\"repl\":\"?\"}]")));
        assertEquals("DD_APM_REPLACE_TAGS", e.variable());
        assertTrue(e.getMessage().contains("\"(token\""), e.getMessage());
        assertTrue(e.getMessage().contains("rule 1 (\"http.url\")"), e.getMessage());
    }

    @Test
    void aBadBooleanForStackTracesIsRefused() {
        FilterConfigException e = assertThrows(FilterConfigException.class, () -> TagReplacer.fromEnvironment(
                Map.of("DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", "yes")));
        assertEquals("DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", e.variable());
        assertTrue(e.getMessage().contains("\"yes\""), e.getMessage());
    }

    @Test
    void rewritingEnvIsWarnedAbout() {
        TagReplacer replacer = TagReplacer.fromEnvironment(Map.of("DD_APM_REPLACE_TAGS",
                "[{\"name\":\"env\",\"pattern\":\"prod\",\"repl\":\"production\"}]"));
        assertEquals(1, replacer.warnings().size());
        assertTrue(replacer.warnings().get(0).contains("env"), replacer.warnings().get(0));
    }

    @Test
    void aRunawayPatternScrubsTheWholeValueAndIsCounted() {
        TagReplacer replacer = rules(rule("q", "a*a*a*a*a*a*b", "x"));
        Span s = span(Map.of("q", "a".repeat(300)), Map.of());
        assertEquals("?", replacer.replace(s).meta().get("q"), "a value a rule could not finish is not let through");
        assertEquals(1, replacer.abandonedMatches());
    }
}
