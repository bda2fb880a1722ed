package io.pilotfish.processing.regex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FirstCharsTest {

    /** pattern, characters a match may start with, characters it may not. */
    @ParameterizedTest
    @CsvSource(delimiterString = " ;; ", ignoreLeadingAndTrailingWhitespace = false, value = {
            "(?:4[0-9]{12}(?:[0-9]{3})?|[25][1-7][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}) ;; 4256 ;; abc -",
            "\\w+@datadoghq.com ;; aZ_0 ;; @ .-",
            "GET /(?:health|ready) ;; G ;; gHE/",
            "(?i)token=\\S+ ;; tT ;; x=",
            "(?:(?i)k)ey ;; kK ;; eE",
            "(?i)x|A ;; xXaA ;; bB",
            "(?:(?i)x|A)|B ;; xXaAB ;; b",
            "\\bDEBUG\\b ;; D ;; d ",
            "a?b*c ;; abc ;; d",
            "x{0,3}y ;; xy ;; z",
            "[^a-z]x ;; A0- ;; ab",
            "\\{x\\} ;; { ;; x",
            "a{,2} ;; a ;; {",
            "(?P<user>\\w+)@ ;; u_9 ;; @",
    })
    void firstCharacters(String pattern, String may, String mayNot) {
        FirstChars first = FirstChars.of(pattern);
        assertNotNull(first, pattern);
        for (char c : may.toCharArray()) {
            assertTrue(first.mayStartWith(c), pattern + " may start with " + c);
        }
        for (char c : (mayNot == null ? "" : mayNot).toCharArray()) {
            assertFalse(first.mayStartWith(c), pattern + " may not start with " + c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a*", "(a|)", "^$", "\\b", ".x", "\\Dx", "\\pLx", "[[:alpha:]]x", "x|.", "\\x41",
            "\\Qa\\E", "(?:)", "^.*datadoghq.com$",
            "[^\\W]x"})
    void noPrefilterWhenAMatchMayBeEmptyOrStartAnywhere(String pattern) {
        assertNull(FirstChars.of(pattern), pattern);
    }

    @ParameterizedTest
    @ValueSource(strings = {"(?i)\u017Fx", "(?i)\u212A"})
    void foldedNonAsciiLettersReachAscii(String pattern) {
        FirstChars first = FirstChars.of(pattern);
        assertTrue(first == null || (first.mayStartWith('s') && first.mayStartWith('k')), pattern);
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " ;; ", value = {
            "[25][1-7][0-9]{3} ;; card 4111 or 5512345 here ;; true",
            "(?i)\u017Fx ;; a SX b ;; true",
            "(?i)x\u212A ;; xk ;; true",
            "^b ;; ab ;; false",
            "\\bx ;; ax x ;; true",
    })
    void sameAnswersWithAndWithoutThePrefilter(String pattern, String text, boolean expected) {
        same(pattern, text, expected);
    }

    @Test
    void controlCharacters() {
        FirstChars first = FirstChars.of("\\s+end");
        for (char c : new char[] {'\t', ' ', '\n', '\r', '\f', 0x0B}) {
            assertTrue(first.mayStartWith(c), "\\s may start with " + (int) c);
        }
        assertFalse(first.mayStartWith('e'));
        same("(?m)^b", "a\nb", true);
        same("\\s+end", "the\u000Bend", true);
    }

    private static void same(String pattern, String text, boolean expected) {
        GoRegex with = GoRegex.compile(pattern);
        GoRegex without = GoRegex.compile(pattern, GoRegex.MAX_MATCHED_CHARS, false);
        assertEquals(expected, with.find(text));
        assertEquals(expected, without.find(text));
        GoRegex.Replacement r = with.replacement("[$0]");
        assertEquals(without.replaceAll(text, without.replacement("[$0]")), with.replaceAll(text, r));
    }
}
