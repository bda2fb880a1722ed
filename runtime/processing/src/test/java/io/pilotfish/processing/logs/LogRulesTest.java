package io.pilotfish.processing.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.processing.logs.LogRules.Outcome;
import io.pilotfish.processing.logs.ProcessingRule.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogRulesTest {

    /** The Agent's documentation example. */
    static final String CARDS = "(?:4[0-9]{12}(?:[0-9]{3})?|[25][1-7][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}"
            + "|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\\d{3})\\d{11})";

    private static LogRules rules(ProcessingRule... rules) {
        return LogRules.compile(List.of(rules));
    }

    private static Outcome apply(LogRules rules, String text) {
        return rules.apply(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String kept(Outcome outcome) {
        return new String(assertInstanceOf(Outcome.Kept.class, outcome).message(), StandardCharsets.UTF_8);
    }

    @Test
    void excludeAtMatchDropsDatadogEmails() {
        LogRules rules = rules(new ProcessingRule(Type.EXCLUDE_AT_MATCH, "exclude_datadoghq_users",
                "\\w+@datadoghq.com", null));
        assertEquals(new Outcome.Dropped("exclude_datadoghq_users"),
                apply(rules, "User john.doe@datadoghq.com logged in"));
        assertEquals("User john@example.com logged in", kept(apply(rules, "User john@example.com logged in")));
    }

    @Test
    void includeAtMatchKeepsOnlyMatches() {
        LogRules rules = rules(new ProcessingRule(Type.INCLUDE_AT_MATCH, "include_datadoghq_users",
                "^.*datadoghq.com$", null));
        assertEquals("login jane@datadoghq.com", kept(apply(rules, "login jane@datadoghq.com")));
        assertEquals(new Outcome.Dropped("include_datadoghq_users"), apply(rules, "login jane@example.com"));
        // Go's $ is the end of the text, not before a final newline
        assertEquals(new Outcome.Dropped("include_datadoghq_users"), apply(rules, "login jane@datadoghq.com\n"));
    }

    @Test
    void maskSequencesReplacesCreditCards() {
        LogRules rules = rules(new ProcessingRule(Type.MASK_SEQUENCES, "mask_credit_cards", CARDS,
                "[masked_card]"));
        Outcome outcome = apply(rules, "paid with 4111111111111111 and 5500000000000004, order 12");
        assertEquals("paid with [masked_card] and [masked_card], order 12", kept(outcome));
        assertTrue(((Outcome.Kept) outcome).masked());
        Outcome untouched = apply(rules, "no card here");
        assertFalse(((Outcome.Kept) untouched).masked());
    }

    @Test
    void maskSequencesExpandsNamedGroups() {
        LogRules rules = rules(new ProcessingRule(Type.MASK_SEQUENCES, "mask_user_email",
                "(?P<user>\\w+)@(?P<domain>[\\w.]+)", "${user}@[masked_domain]"),
                new ProcessingRule(Type.MASK_SEQUENCES, "mask_api_key", "(api_key=)\\w+", "${1}[masked]"));
        assertEquals("mail bob@[masked_domain] with api_key=[masked]",
                kept(apply(rules, "mail bob@corp.example.com with api_key=abc123")));
    }

    @Test
    void rulesRunInOrderEachOnThePreviousResult() {
        LogRules maskThenExclude = rules(
                new ProcessingRule(Type.MASK_SEQUENCES, "mask", "token=\\w+", "token=[masked]"),
                new ProcessingRule(Type.EXCLUDE_AT_MATCH, "drop_masked", "\\[masked\\]", null));
        assertEquals(new Outcome.Dropped("drop_masked"), apply(maskThenExclude, "token=abc"));
        LogRules excludeThenMask = rules(
                new ProcessingRule(Type.EXCLUDE_AT_MATCH, "drop_masked", "\\[masked\\]", null),
                new ProcessingRule(Type.MASK_SEQUENCES, "mask", "token=\\w+", "token=[masked]"));
        assertEquals("token=[masked]", kept(apply(excludeThenMask, "token=abc")));
    }

    @Test
    void globalRulesRunBeforeASourcesRules() {
        LogRules global = rules(new ProcessingRule(Type.MASK_SEQUENCES, "global_mask", "secret", "[s]"));
        LogRules source = rules(new ProcessingRule(Type.INCLUDE_AT_MATCH, "source_include", "\\[s\\]", null));
        LogRules both = global.then(source);
        assertEquals(2, both.size());
        assertEquals("a [s]", kept(apply(both, "a secret")));
        assertEquals(new Outcome.Dropped("source_include"), apply(source.then(global), "a secret"));
        assertSame(global, global.then(LogRules.NONE));
        assertSame(source, LogRules.NONE.then(source));
    }

    @Test
    void sameArrayBackWhenNothingChanged() {
        byte[] message = "hello".getBytes(StandardCharsets.UTF_8);
        assertSame(message, ((Outcome.Kept) LogRules.NONE.apply(message)).message());
        LogRules rules = rules(new ProcessingRule(Type.MASK_SEQUENCES, "m", "zzz", "y"),
                new ProcessingRule(Type.EXCLUDE_AT_MATCH, "e", "zzz", null));
        assertSame(message, ((Outcome.Kept) rules.apply(message)).message());
        assertTrue(LogRules.NONE.isEmpty());
        assertTrue(LogRules.compile(List.of(new ProcessingRule(Type.MULTI_LINE, "ml", "x", null))).isEmpty());
    }

    @Test
    void abandonedMasksDropAndAbandonedFiltersKeep() {
        String heavy = "a".repeat(60_000); // (a|b)*c backtracks past its budget on this in Java's engine
        List<String> seen = new ArrayList<>();
        LogRules.Listener listener = new LogRules.Listener() {
            @Override
            public void abandoned(String rule, Type type, boolean dropped) {
                seen.add(rule + ":" + dropped);
            }
        };
        LogRules exclude = rules(new ProcessingRule(Type.EXCLUDE_AT_MATCH, "ex", "(a|b)*c", null));
        assertInstanceOf(Outcome.Kept.class, exclude.apply(heavy.getBytes(StandardCharsets.UTF_8), listener));
        LogRules include = rules(new ProcessingRule(Type.INCLUDE_AT_MATCH, "in", "(a|b)*c", null));
        assertInstanceOf(Outcome.Kept.class, include.apply(heavy.getBytes(StandardCharsets.UTF_8), listener));
        LogRules mask = rules(new ProcessingRule(Type.MASK_SEQUENCES, "mask", "(a|b)*c", "x"));
        assertEquals(new Outcome.Dropped("mask"), mask.apply(heavy.getBytes(StandardCharsets.UTF_8), listener));
        assertEquals(List.of("ex:false", "in:false", "mask:true"), seen);
    }

    @Test
    void invalidUtf8IsMatchedWithoutThrowing() {
        byte[] broken = {'k', 'e', 'y', '=', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, 'x'};
        LogRules rules = rules(new ProcessingRule(Type.MASK_SEQUENCES, "m", "key=\\S+", "key=[m]"));
        assertEquals("key=[m]", kept(rules.apply(broken)));
    }
}
