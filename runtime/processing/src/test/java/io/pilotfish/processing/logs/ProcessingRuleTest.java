package io.pilotfish.processing.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ProcessingRuleTest {

    private static final String KEY = "DD_LOGS_CONFIG_PROCESSING_RULES";

    @Test
    void readsTheAgentsJsonForm() {
        List<ProcessingRule> rules = ProcessingRule.parseJson("""
                [{"type":"exclude_at_match","name":"exclude_datadoghq_users","pattern":"\\\\w+@datadoghq.com"},
                 {"type":"include_at_match","name":"include_datadoghq_users","pattern":"\\\\w+@datadoghq.com"},
                 {"type":"mask_sequences","name":"mask_credit_cards","replace_placeholder":"[masked_card]",
                  "pattern":"(?:4[0-9]{12}(?:[0-9]{3})?)"},
                 {"type":"multi_line","name":"new_log_start_with_date","pattern":"\\\\d{4}-\\\\d{2}-\\\\d{2}"}]
                """, KEY);
        assertEquals(4, rules.size());
        assertEquals(new ProcessingRule(ProcessingRule.Type.EXCLUDE_AT_MATCH, "exclude_datadoghq_users",
                "\\w+@datadoghq.com", null), rules.get(0));
        assertEquals(ProcessingRule.Type.INCLUDE_AT_MATCH, rules.get(1).type());
        assertEquals("[masked_card]", rules.get(2).replacePlaceholder());
        assertEquals(ProcessingRule.Type.MULTI_LINE, rules.get(3).type());
        assertNull(rules.get(3).replacePlaceholder());
    }

    @Test
    void blankIsNoRules() {
        assertEquals(List.of(), ProcessingRule.parseJson("  ", KEY));
        assertEquals(List.of(), ProcessingRule.parseJson(null, KEY));
        assertEquals(List.of(), ProcessingRule.parseJson("[]", KEY));
    }

    @Test
    void anEmptyPlaceholderRemovesTheMatch() {
        List<ProcessingRule> rules = ProcessingRule.parseJson(
                "[{\"type\":\"mask_sequences\",\"name\":\"m\",\"pattern\":\"x\",\"replace_placeholder\":\"\"}]", KEY);
        assertEquals("", rules.get(0).replacePlaceholder());
    }

    /** Each problem names the key, the rule and what is wrong, and never repeats the JSON or the pattern. */
    @ParameterizedTest
    @ValueSource(strings = {
            "[{\"type\":\"drop_it\",\"name\":\"r1\",\"pattern\":\"s3cr3t-value\"}]|rule 0 ('r1') has an unknown type 'drop_it'",
            "[{\"type\":\"exclude_at_match\",\"name\":\"r1\"}]|rule 0 ('r1') has no pattern",
            "[{\"type\":\"exclude_at_match\",\"name\":\"r1\",\"pattern\":\"\"}]|rule 0 ('r1') has no pattern",
            "[{\"type\":\"exclude_at_match\",\"name\":\"r1\",\"pattern\":\"s3cr3t-value(\"}]|rule 0 ('r1') has a pattern that Go would not compile",
            "[{\"type\":\"exclude_at_match\",\"name\":\"r1\",\"pattern\":\"(?<=s3cr3t-value)x\"}]|rule 0 ('r1') has a pattern that Go would not compile",
            "[{\"type\":\"mask_sequences\",\"name\":\"cards\",\"pattern\":\"s3cr3t-value\"}]|rule 0 ('cards') (mask_sequences) has no replace_placeholder",
            "[{\"type\":\"mask_sequences\",\"name\":\"cards\",\"pattern\":\"s3cr3t-value\",\"replace_placeholder\":1}]|has no replace_placeholder string",
            "[{\"type\":\"exclude_at_match\",\"pattern\":\"s3cr3t-value\"}]|rule 0 has no name",
            "[{\"type\":\"exclude_at_match\",\"name\":\"ok\",\"pattern\":\"a\"},{\"type\":\"exclude_at_match\",\"name\":\"r2\",\"pattern\":\"s3cr3t-value\",\"patern\":\"x\"}]|rule 1 ('r2') has an unknown field 'patern'",
            "[{\"name\":\"r1\",\"pattern\":\"s3cr3t-value\"}]|rule 0 ('r1') has no type",
            "{\"type\":\"exclude_at_match\",\"name\":\"r1\",\"pattern\":\"s3cr3t-value\"}|expected a JSON list",
            "[\"s3cr3t-value\"]|rule 0 is not a JSON object",
            "[{\"type\":\"exclude_at_match\",\"name\":\"r1\",\"pattern\":\"s3cr3t-value\"}|not valid JSON",
            "[{'type':'exclude_at_match','pattern':'s3cr3t-value'}]|not valid JSON",
    })
    void problemsNameTheKeyAndRuleButNotTheJson(String testCase) {
        String json = testCase.substring(0, testCase.indexOf('|'));
        String expected = testCase.substring(testCase.indexOf('|') + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProcessingRule.parseJson(json, KEY));
        assertTrue(e.getMessage().startsWith(KEY + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
    }

    @Test
    void multiLinePatternsAreCompiledAnchored() {
        MultiLineSettings settings = MultiLineSettings.from(ProcessingRule.parseJson(
                "[{\"type\":\"multi_line\",\"name\":\"a\",\"pattern\":\"\\\\d{4}-\\\\d{2}\"},"
                        + "{\"type\":\"multi_line\",\"name\":\"b\",\"pattern\":\"x\"}]", KEY), true, false);
        assertEquals("^\\d{4}-\\d{2}", settings.startPattern().source());
        assertTrue(settings.startPattern().find("2024-01 x"));
        assertFalse(settings.startPattern().find("at 2024-01 x"));
        assertEquals(MultiLineSettings.DEFAULT_MAX_BYTES, settings.maxBytes());
    }

    @Test
    void defaults() {
        MultiLineSettings d = MultiLineSettings.defaults();
        assertNull(d.startPattern());
        assertTrue(d.stackTraces());
        assertFalse(d.autoDetect());
        assertEquals(java.time.Duration.ofSeconds(1), d.flushTimeout());
        assertEquals(256_000, d.maxBytes());
    }
}
