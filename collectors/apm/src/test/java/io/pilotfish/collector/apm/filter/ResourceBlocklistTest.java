package io.pilotfish.collector.apm.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.processing.regex.GoRegex;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code blacklister_test.go} and the Agent's parsing of {@code DD_APM_IGNORE_RESOURCES}. */
class ResourceBlocklistTest {

    private static ResourceBlocklist of(String... patterns) {
        return ResourceBlocklist.compile(ResourceBlocklist.VARIABLE, String.join(",", patterns), List.of(patterns));
    }

    @ParameterizedTest(name = "{0} on {1}: allowed {2}")
    @CsvSource(delimiterString = "~~", value = {
        "/foo/bar ~~ /foo/bar ~~ false",
        "/foo/b.r ~~ /foo/bar ~~ false",
        "[0-9]+ ~~ /abcde ~~ true",
        "[0-9]+ ~~ /abcde123 ~~ false",
        "\\(foobar\\) ~~ (foobar) ~~ false",
        "\\(foobar\\) ~~ (bar) ~~ true",
        "(GET|POST) /healthcheck ~~ GET /foobar ~~ true",
        "(GET|POST) /healthcheck ~~ GET /healthcheck ~~ false",
        "(GET|POST) /healthcheck ~~ POST /healthcheck ~~ false",
        "SELECT COUNT\\(\\*\\) FROM BAR ~~ SELECT COUNT(*) FROM BAR ~~ false",
        "\\[123 ~~ [123 ~~ false",
    })
    void blacklisterTable(String pattern, String resource, boolean allowed) {
        assertEquals(allowed, !of(pattern).blocks(resource));
    }

    @Test
    void anyPatternOfSeveralBlocks() {
        ResourceBlocklist list = of("ABC+", "W+");
        assertTrue(list.blocks("ABCCCC"));
        assertTrue(list.blocks("WWW"));
        assertFalse(list.blocks("xyz"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[123", "]123[", "{6}*"})
    void anInvalidPatternIsAConfigErrorNamingItAndTheVariable(String pattern) {
        // the Agent logs "Invalid resource filter" and runs without the pattern
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> ResourceBlocklist.fromEnvironment(Map.of("DD_APM_IGNORE_RESOURCES", "GET /ok," + pattern)));
        assertEquals("DD_APM_IGNORE_RESOURCES", e.variable());
        assertTrue(e.getMessage().startsWith("DD_APM_IGNORE_RESOURCES: "), e.getMessage());
        assertTrue(e.getMessage().contains('"' + pattern + '"'), e.getMessage());
        assertTrue(e.getMessage().contains("Go's syntax"), e.getMessage());
    }

    @Test
    void bothVariableNamesAreReadTheNewerFirst() {
        // config_test.go: "1,2,3" under either name
        assertEquals(List.of("1", "2", "3"),
                ResourceBlocklist.fromEnvironment(Map.of("DD_APM_IGNORE_RESOURCES", "1,2,3")).patterns());
        assertEquals(List.of("1", "2", "3"),
                ResourceBlocklist.fromEnvironment(Map.of("DD_IGNORE_RESOURCE", "1,2,3")).patterns());
        assertEquals(List.of("new"), ResourceBlocklist.fromEnvironment(
                Map.of("DD_APM_IGNORE_RESOURCES", "new", "DD_IGNORE_RESOURCE", "old")).patterns());
        assertEquals(List.of("old"), ResourceBlocklist.fromEnvironment(
                Map.of("DD_APM_IGNORE_RESOURCES", "", "DD_IGNORE_RESOURCE", "old")).patterns());
    }

    @Test
    void unsetOrBlankMeansNothingIgnored() {
        assertSame(ResourceBlocklist.empty(), ResourceBlocklist.fromEnvironment(Map.of()));
        assertSame(ResourceBlocklist.empty(),
                ResourceBlocklist.fromEnvironment(Map.of("DD_APM_IGNORE_RESOURCES", " ")));
        assertTrue(ResourceBlocklist.empty().isEmpty());
        assertFalse(ResourceBlocklist.empty().blocks("anything"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // separated by commas; blanks before a pattern dropped
        "GET /health, GET /ping       | GET /health;GET /ping",
        // a pattern with a comma in double quotes
        "`\"^GET /a{1,3}$\",POST /b`  | ^GET /a{1,3}$;POST /b",
        // "" is a quote inside a quoted field
        "`\"say \"\"hi\"\"\"`         | say \"hi\"",
        // a stray quote in an unquoted field is kept (LazyQuotes)
        "`a\"b,c`                     | a\"b;c",
        // and after a quoted part that does not end the field
        "`\"a\"b\",c`                 | a\"b;c",
        // an unterminated quote runs to the end
        "`\"a,b`                      | a,b",
        // blanks after a pattern are kept
        "`a ,b`                       | a ;b",
    })
    void patternsAreReadAsCommaSeparatedValues(String raw, String expected) {
        ResourceBlocklist list = ResourceBlocklist.fromEnvironment(Map.of("DD_APM_IGNORE_RESOURCES", raw));
        assertEquals(List.of(expected.split(";")), list.patterns());
    }

    @Test
    void aQuotedPatternWithACommaMatches() {
        ResourceBlocklist list = ResourceBlocklist.fromEnvironment(
                Map.of("DD_APM_IGNORE_RESOURCES", "\"^GET /a{1,3}$\", Api::HealthchecksController#index$"));
        assertTrue(list.blocks("GET /aaa"));
        assertFalse(list.blocks("GET /aaaa"));
        assertTrue(list.blocks("Api::HealthchecksController#index"));
    }

    @Test
    void aPatternEndingInABlankIsWarnedAbout() {
        ResourceBlocklist list = ResourceBlocklist.fromEnvironment(
                Map.of("DD_APM_IGNORE_RESOURCES", "GET /health , GET /ping"));
        assertEquals(1, list.warnings().size());
        assertTrue(list.warnings().get(0).contains("\"GET /health \""), list.warnings().get(0));
        assertFalse(list.blocks("GET /health"));
        assertTrue(list.blocks("GET /ping"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /health,", "a,,b", ",a"})
    void anEmptyPatternIsRefused(String raw) {
        // the Agent would compile "" and drop every trace
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> ResourceBlocklist.fromEnvironment(Map.of("DD_APM_IGNORE_RESOURCES", raw)));
        assertTrue(e.getMessage().startsWith("DD_APM_IGNORE_RESOURCES: "), e.getMessage());
        assertTrue(e.getMessage().contains('"' + raw + "\" holds an empty pattern"), e.getMessage());
    }

    @Test
    void onlyOneLineIsAccepted() {
        assertEquals(List.of("a", "b"), ResourceBlocklist.fromEnvironment(
                Map.of("DD_APM_IGNORE_RESOURCES", "\n\r\na,b\r\n")).patterns());
        assertEquals(List.of("a\nb"), ResourceBlocklist.fromEnvironment(
                Map.of("DD_APM_IGNORE_RESOURCES", "\"a\nb\"")).patterns());
        FilterConfigException e = assertThrows(FilterConfigException.class,
                () -> ResourceBlocklist.fromEnvironment(Map.of("DD_IGNORE_RESOURCE", "a,b\nc")));
        assertEquals("DD_IGNORE_RESOURCE", e.variable());
        assertTrue(e.getMessage().contains("one line"), e.getMessage());
    }

    @Test
    void aRunawayPatternIsCountedAndKeepsTheTrace() {
        ResourceBlocklist list = of("a*a*a*a*a*a*b");
        assertFalse(list.blocks("a".repeat(300)));
        assertEquals(1, list.abandonedMatches());
        assertFalse(of("(x|y)*z").blocks("x".repeat(GoRegex.MAX_MATCHED_CHARS)));
    }
}
