package io.pilotfish.collector.apm.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.trace.Span;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The three filters together, as the receiver will use them. */
class TraceFiltersTest {

    private static Span root(String resource, Map<String, String> meta) {
        return Span.of("svc", "http.request", resource, 7, 7, 0, 0, 1, 0, meta, Map.of(), "web");
    }

    @Test
    void nothingConfiguredIsEmpty() {
        TraceFilters filters = TraceFilters.fromEnvironment(Map.of("DD_API_KEY", "x", "DD_APM_IGNORE_RESOURCES", ""));
        assertTrue(filters.isEmpty());
        assertSame(TraceFilters.none(), filters);
        assertNull(filters.check(root("GET /health", Map.of())));
        List<Span> spans = List.of(root("a", Map.of("error.stack", "x")));
        assertSame(spans, filters.replaceTags(spans));
        assertEquals(Map.of("filter_tags", Map.of(), "filter_tags_regex", Map.of()), filters.describe());
        assertEquals(List.of(), filters.tagReplaceRules());
        assertEquals(List.of(), filters.warnings());
    }

    @Test
    void anyOneSettingMakesItNonEmpty() {
        assertFalse(TraceFilters.fromEnvironment(Map.of("DD_IGNORE_RESOURCE", "x")).isEmpty());
        assertFalse(TraceFilters.fromEnvironment(Map.of("DD_APM_FILTER_TAGS_REGEX_REJECT", "x")).isEmpty());
        assertFalse(TraceFilters.fromEnvironment(Map.of("DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", "1")).isEmpty());
    }

    @Test
    void resourceIsCheckedBeforeTags() {
        TraceFilters filters = TraceFilters.fromEnvironment(Map.of(
                "DD_APM_IGNORE_RESOURCES", "GET /health",
                "DD_APM_FILTER_TAGS_REQUIRE", "env:prod",
                "DD_APM_FILTER_TAGS_REJECT", "synthetics"));
        assertEquals(DropReason.IGNORED_RESOURCE, filters.check(root("GET /health", Map.of())));
        assertEquals(DropReason.FILTERED_TAGS, filters.check(root("GET /users", Map.of())));
        assertEquals(DropReason.FILTERED_TAGS,
                filters.check(root("GET /users", Map.of("env", "prod", "synthetics", "1"))));
        assertNull(filters.check(root("GET /users", Map.of("env", "prod"))));
        assertEquals("ignored_resource", DropReason.IGNORED_RESOURCE.tag());
        assertEquals("filtered_tags", DropReason.FILTERED_TAGS.tag());
    }

    @Test
    void replaceTagsRewritesEverySpan() {
        TraceFilters filters = TraceFilters.fromEnvironment(Map.of(
                "DD_APM_REPLACE_TAGS", "[{\"name\":\"http.url\",\"pattern\":\"token=[^&]*\",\"repl\":\"token=?\"}]",
                "DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", "true"));
        Span a = root("GET /a", Map.of("http.url", "/a?token=abc&x=1"));
        Span b = Span.of("svc", "db", "SELECT", 7, 8, 7, 0, 1, 1, Map.of("error.stack", "trace"), Map.of(), "sql");
        Span c = Span.of("svc", "db", "SELECT", 7, 9, 7, 0, 1, 0, Map.of("db.name", "x"), Map.of(), "sql");
        List<Span> out = filters.replaceTags(List.of(a, b, c));
        assertEquals("/a?token=?&x=1", out.get(0).meta().get("http.url"));
        assertEquals("?", out.get(1).meta().get("error.stack"));
        assertSame(c, out.get(2));
        assertEquals(List.of(
                Map.of("name", "http.url", "pattern", "token=[^&]*", "repl", "token=?"),
                Map.of("name", "error.stack", "pattern", "(?s).*", "repl", "?")), filters.tagReplaceRules());
    }

    @Test
    void describedAsTheAgentsInfo() {
        TraceFilters filters = TraceFilters.fromEnvironment(Map.of(
                "DD_APM_IGNORE_RESOURCES", "GET /health,\"GET /a{1,2}\"",
                "DD_APM_FILTER_TAGS_REQUIRE", "env:prod",
                "DD_APM_FILTER_TAGS_REJECT", "[\"user.id:42\", \"synthetics\"]",
                "DD_APM_FILTER_TAGS_REGEX_REQUIRE", "version:^v[0-9]+$"));
        Map<String, Object> info = filters.describe();
        assertEquals(List.of("filter_tags", "filter_tags_regex", "ignore_resources"), List.copyOf(info.keySet()));
        assertEquals(Map.of("require", List.of("env:prod"), "reject", List.of("user.id:42", "synthetics")),
                info.get("filter_tags"));
        assertEquals(Map.of("require", List.of("version:^v[0-9]+$")), info.get("filter_tags_regex"));
        assertEquals(List.of("GET /health", "GET /a{1,2}"), info.get("ignore_resources"));
    }

    @Test
    void errorsNameTheVariable() {
        FilterConfigException e = assertThrows(FilterConfigException.class, () -> TraceFilters.fromEnvironment(
                Map.of("DD_APM_FILTER_TAGS_REGEX_REQUIRE", "version:v[0-9")));
        assertEquals("DD_APM_FILTER_TAGS_REGEX_REQUIRE", e.variable());
        assertTrue(e.getMessage().startsWith("DD_APM_FILTER_TAGS_REGEX_REQUIRE: "), e.getMessage());
        assertTrue(e instanceof IllegalArgumentException);
    }

    @Test
    void warningsAndAbandonedMatchesAreGathered() {
        TraceFilters filters = TraceFilters.fromEnvironment(Map.of(
                "DD_APM_IGNORE_RESOURCES", "a*a*a*a*a*a*b,GET /x ",
                "DD_APM_FILTER_TAGS_REJECT", "k:v",
                "DD_APM_FILTER_TAGS_REGEX_REJECT", "k:^v",
                "DD_APM_REPLACE_TAGS", "[{\"name\":\"env\",\"pattern\":\"a\",\"repl\":\"b\"}]"));
        assertEquals(3, filters.warnings().size());
        assertNull(filters.check(root("a".repeat(300), Map.of())));
        assertEquals(1, filters.abandonedMatches());
    }

    @Test
    void everyVariableReadIsListed() {
        assertEquals(List.of("DD_APM_IGNORE_RESOURCES", "DD_IGNORE_RESOURCE", "DD_APM_FILTER_TAGS_REQUIRE",
                "DD_APM_FILTER_TAGS_REJECT", "DD_APM_FILTER_TAGS_REGEX_REQUIRE", "DD_APM_FILTER_TAGS_REGEX_REJECT",
                "DD_APM_REPLACE_TAGS", "DD_APM_OBFUSCATION_REMOVE_STACK_TRACES"), TraceFilters.ENVIRONMENT_VARIABLES);
    }
}
