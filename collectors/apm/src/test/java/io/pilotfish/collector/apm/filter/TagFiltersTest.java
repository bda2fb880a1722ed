package io.pilotfish.collector.apm.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.filter.TagFilters.Tag;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code TestFilteredByTags} ({@code pkg/trace/agent/agent_test.go}) and the variables' parsing (config_test.go). */
class TagFiltersTest {

    /** The four lists as JSON arrays, the way a task definition would give entries with any character. */
    private static TagFilters filters(List<String> require, List<String> reject, List<String> requireRegex,
                                      List<String> rejectRegex) {
        Map<String, String> env = new HashMap<>();
        put(env, TagFilters.REQUIRE, require);
        put(env, TagFilters.REJECT, reject);
        put(env, TagFilters.REGEX_REQUIRE, requireRegex);
        put(env, TagFilters.REGEX_REJECT, rejectRegex);
        return TagFilters.fromEnvironment(env);
    }

    private static void put(Map<String, String> env, String variable, List<String> entries) {
        if (!entries.isEmpty()) {
            env.put(variable, entries.stream().map(e -> '"' + e.replace("\\", "\\\\") + '"')
                    .collect(Collectors.joining(",", "[", "]")));
        }
    }

    static Stream<Arguments> agentTable() {
        List<String> none = List.of();
        return Stream.of(
                Arguments.of("keep-span-with-tag-from-required-list",
                        List.of("key:val"), none, none, none, Map.of("key", "val"), false),
                Arguments.of("keep-span-with-tag-value-diff-rejected-list",
                        none, List.of("key:val"), none, none, Map.of("key", "val4"), false),
                Arguments.of("keep-span-with-tag-diff-rejected-list",
                        none, List.of("something:else"), none, none, Map.of("key", "val"), false),
                Arguments.of("keep-span-with-tag-from-required-list-and-tag-value-diff-rejected-list",
                        List.of("something:else"), List.of("bad-key:bad-value"), none, none,
                        Map.of("something", "else", "bad-key", "other-value"), false),
                Arguments.of("keep-span-with-tag-from-required-list-whithout-value-and-tag-value-diff-rejected-list",
                        List.of("key:value", "key-only"), List.of("bad-key:bad-value"), none, none,
                        Map.of("key", "value", "key-only", "but-also-value", "bad-key", "not-bad-value"), false),
                Arguments.of("drop-span-with-tag-value-diff-required-list",
                        List.of("key:val"), none, none, none, Map.of("key", "val2"), true),
                Arguments.of("drop-span-with-tag-key-diff-required-list",
                        List.of("something:else"), none, none, none, Map.of("key", "val"), true),
                Arguments.of("drop-span-with-tag-from-rejected-list-without-value",
                        List.of("valid", "test"), List.of("test"), none, none,
                        Map.of("test", "random", "valid", "random"), true),
                Arguments.of("drop-span-with-tag-value-diff-required-list-and-tag-from-rejected-list",
                        List.of("valid-key:valid-value", "test"), List.of("test"), none, none,
                        Map.of("test", "random", "valid-key", "wrong-value"), true),
                Arguments.of("drop-span-with-tag-value-from-rejected-list",
                        none, List.of("key:val"), none, none, Map.of("key", "val"), true),
                Arguments.of("drop-span-with-tag-from-required-list-but-with-tag-from-rejected-list-without-value",
                        List.of("something:else", "key-only"), List.of("bad-key:bad-value", "bad-key-only"), none,
                        none, Map.of("something", "else", "key-only", "but-also-value", "bad-key-only", "random"),
                        true),
                Arguments.of("drop-span-with-tag-from-rejected-regexp-list",
                        List.of("key:valid"), none, List.of("something:^else[0-9]{1}$"), none,
                        Map.of("key", "valid", "something", "else11"), true),
                Arguments.of("drop-span-with-tag-from-rejected-regexp-list-but-without-tag-from-rejected-list",
                        none, List.of("test:bad"), none, List.of("bad-key:^bad-value$"),
                        Map.of("bad-key", "bad-value"), true),
                Arguments.of("keep-span-with-tag-from-required-regexp-list",
                        none, none, List.of("key:^val[0-9]{1}$"), none, Map.of("key", "val1"), false),
                Arguments.of("keep-span-with-tag-value-diff-rejected-regexp-list",
                        none, none, none, List.of("key:^val$"), Map.of("key", "val4"), false),
                Arguments.of("keep-span-with-tag-key-value-diff-rejected-regexp-list",
                        none, none, none, List.of("something:^else$"), Map.of("key", "val"), false),
                Arguments.of("keep-span-with-tag-from-required-regexp-list-and-tag-value-diff-rejected-regexp-list",
                        none, none, List.of("something:^else$"), List.of("bad-key:^bad-value$"),
                        Map.of("something", "else", "bad-key", "other-value"), false),
                Arguments.of("keep-span-with-tag-from-required-regexp-list-without-value-and-tag-value-diff-"
                                + "rejected-regexp-list",
                        none, none, List.of("key:^value$", "key-only"), List.of("bad-key:^bad-value$"),
                        Map.of("key", "value", "key-only", "but-also-value", "bad-key", "not-bad-value"), false),
                Arguments.of("drop-span-with-tag-value-diff-required-regexp-list",
                        none, none, List.of("key:^val$"), none, Map.of("key", "val2"), true),
                Arguments.of("drop-span-with-tag-key-diff-required-regexp-list",
                        none, none, List.of("something:^else$"), none, Map.of("key", "val"), true),
                Arguments.of("drop-span-with-tag-from-rejected-regexp-list-without-value",
                        none, none, List.of("valid", "test"), List.of("test"),
                        Map.of("test", "random", "valid", "random"), true),
                Arguments.of("drop-span-with-tag-value-diff-required-regexp-list-and-tag-from-required-regexp-"
                                + "list-without-value",
                        none, none, List.of("valid-key:^valid-value$", "test"), List.of("test"),
                        Map.of("test", "random", "valid-key", "wrong-value"), true),
                Arguments.of("drop-span-with-tag-from-rejected-regexp-list-and-without-required-regexp-list",
                        none, none, none, List.of("key:^val$"), Map.of("key", "val"), true),
                Arguments.of("drop-span-with-tag-from-required-regexp-list-but-with-tag-from-rejected-regexp-"
                                + "list-without-value",
                        none, none, List.of("something:^else$", "key-only"),
                        List.of("bad-key:^bad-value$", "bad-key-only"),
                        Map.of("something", "else", "key-only", "but-also-value", "bad-key-only", "random"), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("agentTable")
    void filteredByTags(String name, List<String> require, List<String> reject, List<String> requireRegex,
                        List<String> rejectRegex, Map<String, String> meta, boolean drop) {
        assertEquals(drop, filters(require, reject, requireRegex, rejectRegex).drops(meta));
    }

    @Test
    void regexValuesMatchAnywhereUnlessAnchored() {
        TagFilters f = filters(List.of(), List.of(), List.of(), List.of("http.url:health"));
        assertTrue(f.drops(Map.of("http.url", "http://host/healthz?x=1")));
        assertFalse(f.drops(Map.of("http.url", "http://host/ready")));
    }

    @Test
    void onlyStringTagsAreLookedAt() {
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "http.status_code:200"));
        assertTrue(f.drops(Map.of())); // a numeric tag of that name would not count either
        assertFalse(f.drops(Map.of("http.status_code", "200")));
    }

    @Test
    void spaceSeparatedEntries() {
        // config_test.go: `important1 important2:value1`
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "important1 important2:value1"));
        assertEquals(List.of(new Tag("important1", ""), new Tag("important2", "value1")), f.require());
        f = TagFilters.fromEnvironment(Map.of(TagFilters.REJECT, "bad1:value1"));
        assertEquals(List.of(new Tag("bad1", "value1")), f.reject());
    }

    @Test
    void jsonArrayEntriesMayHoldSpaces() {
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "[\"important1:value with a space\"]",
                TagFilters.REJECT, "[\"bad1:value with a space\",\"bad2:value with spaces\"]"));
        assertEquals(List.of(new Tag("important1", "value with a space")), f.require());
        assertEquals(List.of(new Tag("bad1", "value with a space"), new Tag("bad2", "value with spaces")),
                f.reject());
    }

    @Test
    void keysAndValuesAreTrimmedAndSplitAtTheFirstColon() {
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE,
                "[\" http.url : http://host:80/x \", \"env:\", \"\\tversion\"]"));
        assertEquals(List.of(new Tag("http.url", "http://host:80/x"), new Tag("env", ""), new Tag("version", "")),
                f.require());
    }

    @Test
    void runsOfSpacesMakeNoEmptyEntry() {
        // the Agent splits on each space; an empty required key would drop every trace
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "  a   b:c "));
        assertEquals(List.of(new Tag("a", ""), new Tag("b", "c")), f.require());
    }

    @Test
    void aRegexRuleForAKeyAlreadyInTheExactListIsSkipped() {
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "env:prod",
                TagFilters.REGEX_REQUIRE, "env:^stag service:^web", TagFilters.REGEX_REJECT, "env:^dev$"));
        assertFalse(f.drops(Map.of("env", "prod", "service", "web-api")));
        assertEquals(Map.of("require", List.of("service:^web"), "reject", List.of("env:^dev$")), f.describeRegex());
        assertEquals(1, f.warnings().size());
        assertTrue(f.warnings().get(0).startsWith("DD_APM_FILTER_TAGS_REGEX_REQUIRE: "), f.warnings().get(0));
    }

    @Test
    void describedAsTheAgentsInfo() {
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "important1 important2:value1",
                TagFilters.REGEX_REJECT, "[\"http.url:/health$\", \"debug\", \"user:\"]"));
        assertEquals(Map.of("require", List.of("important1", "important2:value1")), f.describeExact());
        assertEquals(Map.of("reject", List.of("http.url:/health$", "debug", "user:")), f.describeRegex());
        // "user:" has an empty expression, which matches any value
        assertTrue(f.drops(Map.of("important1", "x", "important2", "value1", "user", "")));
    }

    @Test
    void unsetOrBlankMeansNoFilter() {
        assertSame(TagFilters.empty(), TagFilters.fromEnvironment(Map.of()));
        assertSame(TagFilters.empty(), TagFilters.fromEnvironment(Map.of(TagFilters.REQUIRE, "  ")));
        assertFalse(TagFilters.empty().drops(Map.of()));
        assertEquals(Map.of(), TagFilters.empty().describeExact());
    }

    @ParameterizedTest
    @ValueSource(strings = {TagFilters.REQUIRE, TagFilters.REJECT, TagFilters.REGEX_REQUIRE, TagFilters.REGEX_REJECT})
    void anEntryWithoutAKeyIsRefused(String variable) {
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> TagFilters.fromEnvironment(Map.of(variable, "env:prod :value")));
        assertEquals(variable, e.variable());
        assertTrue(e.getMessage().startsWith(variable + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("\":value\""), e.getMessage());
        e = assertThrows(FilterConfigException.class, () -> TagFilters.fromEnvironment(Map.of(variable, "[\"\"]")));
        assertEquals(variable, e.variable());
    }

    @ParameterizedTest
    @ValueSource(strings = {"[\"a\"", "[\"a\", 1]", "[\"a\"] x", "[{\"a\": 1}]", "[null]"})
    void malformedJsonIsRefused(String raw) {
        // the Agent logs a warning and runs with no filter at all
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> TagFilters.fromEnvironment(Map.of(TagFilters.REJECT, raw)));
        assertTrue(e.getMessage().startsWith("DD_APM_FILTER_TAGS_REJECT: not a JSON array of strings"),
                e.getMessage());
    }

    @Test
    void anInvalidRegexIsRefused() {
        // the Agent logs an error and then dereferences the missing rule
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> TagFilters.fromEnvironment(Map.of(TagFilters.REGEX_REJECT, "http.url:(health")));
        assertEquals(TagFilters.REGEX_REJECT, e.variable());
        assertTrue(e.getMessage().contains("\"http.url:(health\""), e.getMessage());
        assertTrue(e.getMessage().contains("not a valid regular expression"), e.getMessage());
    }

    @Test
    void aRunawayRegexCountsAsNoMatch() {
        TagFilters f = TagFilters.fromEnvironment(Map.of(TagFilters.REGEX_REJECT, "q:a*a*a*a*a*a*c",
                TagFilters.REGEX_REQUIRE, "r:b*b*b*b*b*b*c"));
        assertFalse(f.drops(Map.of("q", "a".repeat(300), "r", "bc")));
        assertTrue(f.drops(Map.of("r", "b".repeat(300))));
        assertEquals(2, f.abandonedMatches());
    }
}
