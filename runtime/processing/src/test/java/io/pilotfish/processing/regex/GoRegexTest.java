package io.pilotfish.processing.regex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Go's regexp semantics on Java's engine: where the two differ, Go's answer. */
class GoRegexTest {

    private static boolean find(String pattern, String text) {
        return GoRegex.compile(pattern).find(text);
    }

    private static String replaceAll(String pattern, String text, String repl) {
        GoRegex regex = GoRegex.compile(pattern);
        return regex.replaceAll(text, regex.replacement(repl));
    }

    @Test
    void dollarIsTheEndOfTheTextNotBeforeAFinalNewline() {
        assertFalse(find("foo$", "foo\n")); // Java's $ would match here
        assertTrue(find("foo$", "foo"));
        assertTrue(find("(?m)foo$", "foo\nbar"));
        assertFalse(find("^bar", "foo\nbar"));
        assertTrue(find("(?m)^bar", "foo\nbar"));
        assertTrue(find("(?m:^bar)$", "foo\nbar"));
    }

    @Test
    void dotExcludesOnlyNewline() {
        assertFalse(find("^a.b$", "a\nb"));
        assertTrue(find("^a.b$", "a\rb"));
        assertTrue(find("^a.b$", "a\u2028b"));
        assertTrue(find("(?s)^a.b$", "a\nb"));
    }

    @Test
    void bracesThatAreNotARepetitionAreLiteral() {
        assertTrue(find("^GET /users/{id}$", "GET /users/{id}"));
        assertTrue(find("a{,2}", "a{,2}"));
        assertTrue(find("^a{2}$", "aa"));
        assertTrue(find("^a{01}$", "a{01}"));
        assertTrue(find("^x{2,}$", "xxx"));
    }

    @Test
    void classesReadAsInGo() {
        assertTrue(find("^[[:alpha:]]+$", "abcXYZ"));
        assertFalse(find("^[[:alpha:]]+$", "abc1"));
        assertTrue(find("^[[:^digit:]]+$", "abc"));
        assertTrue(find("[a[]", "[")); // a literal '[' inside a class in Go
        assertTrue(find("^[a&&b]$", "&")); // no intersection in Go
        assertTrue(find("^[]a]$", "]"));
        assertTrue(find("^[a-c-e]+$", "b-e"));
        assertTrue(find("^[\\d\\s]+$", "1 2"));
        assertTrue(find("^\\p{Greek}+$", "αβγ"));
        assertTrue(find("^\\pL+$", "héllo"));
        assertTrue(find("^\\p{^Greek}+$", "abc"));
        assertTrue(find("^[\\p{Lu}]+$", "ABC"));
    }

    @Test
    void escapesReadAsInGo() {
        assertTrue(find("^\\v$", "\u000B"));
        assertFalse(find("^\\v$", "\n")); // \v is a class of vertical space in Java
        assertTrue(find("^\\101$", "A")); // octal
        assertTrue(find("^\\0$", "\0"));
        assertTrue(find("^\\x41\\x{263A}$", "A\u263A"));
        assertTrue(find("^\\Q.*+\\E$", ".*+"));
        assertTrue(find("^a\\.b$", "a.b"));
        assertTrue(find("^\\#\\ $", "# "));
    }

    @Test
    void caseFoldingIsUnicode() {
        assertTrue(find("(?i)^straße$", "STRAßE"));
        assertTrue(find("(?i)^éa$", "ÉA"));
    }

    @Test
    void flagsAreScopedToTheirGroup() {
        assertTrue(find("^(a(?i)b)c$", "aBc"));
        assertFalse(find("^(a(?i)b)c$", "aBC"));
        assertTrue(find("^(?i:ab)c$", "ABc"));
    }

    @Test
    void aBraceWithNothingToRepeatIsRefusedButLiteralBracesAreText() {
        assertTrue(find("^{x}$", "{x}"));
        assertTrue(find("^(){2}a$", "a"));
        assertTrue(find("^x|{$", "{"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"(a)\\1", "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)", "a*+", "a++", "a?+", "a{2}+",
        "a**", "(?U)a*", "(?x)a", "\\Z", "\\h", "[a", "a)", "(a", "\\", "\\8", "(?P<n>a)(?P<n>b)", "(?P<>a)",
        "x{1001}", "x{3,2}", "\\xZ", "\\C", "(?i-)a", "{2,3}", "a|{2}", "({2})", "(?:{1})", "(?i){2}", "a(?i){2}"})
    void rejectsWhatGoRejectsOrJavaAloneAccepts(String pattern) {
        assertThrows(IllegalArgumentException.class, () -> GoRegex.compile(pattern));
    }

    @Test
    void replaceAllSkipsAnEmptyMatchTouchingThePreviousMatch() {
        // Java's replaceAll gives "-b--c-" and "??"
        assertEquals("-b-c-", replaceAll("a*", "baaac", "-"));
        assertEquals("?", replaceAll("(?s).*", "line 1\nline 2", "?"));
        assertEquals("?", replaceAll("(?s).*", "", "?"));
        assertEquals("-a-b-c-", replaceAll("x*", "abc", "-"));
        assertEquals("-T-T-", replaceAll("a(x*)b", "-ab-axxb-", "T"));
    }

    @ParameterizedTest
    @CsvSource(delimiterString = "~~", value = {
        // Go's regexp documentation and replacer_test.go
        "a(x*)b ~~ -ab-axxb- ~~ $1 ~~ --xx-",
        "a(x*)b ~~ -ab-axxb- ~~ $1W ~~ ---",
        "a(x*)b ~~ -ab-axxb- ~~ ${1}W ~~ -W-xxW-",
        "(token/)([^/]*) ~~ some/token/abcdef/abc ~~ ${1}? ~~ some/token/?/abc",
        "(?P<first>\\w+) (?P<last>\\w+) ~~ Jane Doe ~~ ${last}, ${first} ~~ Doe, Jane",
        "(?<first>\\w+) (?<last>\\w+) ~~ Jane Doe ~~ $last $first ~~ Doe Jane",
        "(a) ~~ a ~~ $$1 ~~ $1",
        "(a) ~~ a ~~ cost: $ ~~ 'cost: $'",
        "(a) ~~ a ~~ ${1 ~~ ${1",
        "(a) ~~ a ~~ $2 ~~ ''",
        "(a) ~~ a ~~ $01 ~~ ''",
        "(a) ~~ a ~~ $0$0 ~~ aa",
        "(a)|(b) ~~ b ~~ [$1] ~~ []",
        "é ~~ café ~~ e ~~ cafe",
    })
    void replacementTemplatesExpandAsInGo(String pattern, String text, String repl, String expected) {
        assertEquals(expected, replaceAll(pattern, text, repl));
    }

    @Test
    void replaceAllReturnsTheTextItselfWithoutAMatch() {
        String text = "nothing to see";
        assertSame(text, replaceAll("secret", text, "?"));
    }

    @Test
    void backtrackingThatRunsAwayIsAbandoned() {
        GoRegex regex = GoRegex.compile("a*a*a*a*a*a*b");
        String text = "a".repeat(300);
        assertThrows(GoRegex.Abandoned.class, () -> regex.find(text));
        assertThrows(GoRegex.Abandoned.class, () -> regex.replaceAll(text, regex.replacement("x")));
    }

    @Test
    void deepRecursionIsAbandonedNotThrown() {
        GoRegex regex = GoRegex.compile("(a|b)*c");
        String text = "a".repeat(GoRegex.MAX_MATCHED_CHARS);
        assertThrows(GoRegex.Abandoned.class, () -> regex.find(text));
    }

    @Test
    void aLeadingRunIsTriedOncePerRunSoCommonExpressionsStayLinear() {
        String longText = "ab".repeat(GoRegex.MAX_MATCHED_CHARS / 2);
        // each would need hundreds of millions of reads, and be abandoned, if tried at every position
        assertFalse(find(".*secret.*", longText));
        assertFalse(find("(?s).*secret", longText));
        assertFalse(find("\\w+@\\w+", longText));
        assertFalse(find("(?i)[a-z]+secret", longText));
        assertSame(longText, replaceAll("[^/]*/", longText, "x"));
    }

    @Test
    void aLeadingRunFindsTheSameMatchesAsEveryPosition() {
        assertTrue(find(".*b", "aaa\nab"));
        assertEquals("aaa\nX", replaceAll(".*b", "aaa\nab", "X"));
        assertEquals("a#b#c#", replaceAll("\\d+", "a1b22c333", "#"));
        assertEquals("mail: ?, ?", replaceAll("\\w+@\\w+", "mail: ann@x, bob@y", "?"));
        assertEquals("-a-b-", replaceAll("\\d*", "a1b", "-"));
        assertTrue(find("(?i)[a-z]+secret", "12XSECRET"));
        assertTrue(find("[a-z]+\\b", "1 ab"));
        assertEquals("X", replaceAll(".*|b", "ab", "X")); // top-level alternation: no shortcut
    }

    @Test
    void textPastTheCapIsLeftAlone() {
        String text = "a".repeat(GoRegex.MAX_MATCHED_CHARS + 10);
        String replaced = replaceAll("a", text, "b");
        assertEquals("b".repeat(GoRegex.MAX_MATCHED_CHARS) + "a".repeat(10), replaced);
        // only the first characters are looked at, so $ matches at the cap (tag values are truncated before this)
        assertTrue(find("^a+$", text));
    }

    @Test
    void theSourceIsKeptAsWritten() {
        assertEquals("(?P<id>[0-9]+)$", GoRegex.compile("(?P<id>[0-9]+)$").source());
    }
}
