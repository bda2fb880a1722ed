package io.pilotfish.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SafeTextTest {

    @Test
    void controlBytesAreEscapedSoALineCannotBeEndedOrRecoloured() {
        assertEquals("bad\\x1b[31m:1|c\\r\\nWARN forged", SafeText.escape("bad\u001b[31m:1|c\r\nWARN forged"));
        assertEquals("a\\tb\\x00c\\x7fd\\x85e", SafeText.escape("a\tb\u0000c\u007fd\u0085e"));
    }

    @Test
    void formatCharactersAndSeparatorsAreEscapedButLettersOfAnyScriptStay() {
        // U+202E flips the rest of a line in a terminal; U+2028 is a line break to some viewers.
        assertEquals("x\\u202ey\\u2028z", SafeText.escape("x\u202Ey\u2028z"));
        assertEquals("caf\u00e9 \u65e5\u672c \uD83D\uDE00", SafeText.escape("caf\u00e9 \u65e5\u672c \uD83D\uDE00"));
        assertEquals("lone \\ud800 surrogate", SafeText.escape("lone \uD800 surrogate"));
    }

    @Test
    void printableTextIsReturnedAsItIs() {
        String text = "requests.count:1|c|#env:prod";
        assertSame(text, SafeText.escape(text));
    }

    @Test
    void anExcerptIsCutWithAMarker() {
        assertEquals("abc", SafeText.excerpt("abc", 5));
        assertEquals("abcde...(cut at 5 characters)", SafeText.excerpt("abcdefgh", 5));
        assertEquals("\"ab\\r...(cut at 3 characters)\"", SafeText.quote("ab\rc", 3));
        // A pair of surrogates is never cut in two.
        assertEquals("a...(cut at 2 characters)", SafeText.excerpt("a\uD83D\uDE00", 2));
    }

    @Test
    void theUserInfoOfAUrlIsMaskedKeepingSchemeHostPortAndPath() {
        assertEquals("http://***@intake.example:8080/prefix?x=1",
                SafeText.maskCredentials("http://user:pass@intake.example:8080/prefix?x=1"));
        assertEquals("https://***@proxy", SafeText.maskCredentials("https://token@proxy"), "a user name alone");
        assertEquals("http://***@proxy:3128", SafeText.maskCredentials("http://us%40er:p%3Ass%2Fw@proxy:3128"),
                "percent-encoded characters in the user-info");
        assertEquals("http://***@proxy:3128", SafeText.maskCredentials("http://user:p@ss@proxy:3128"),
                "a raw @ in the password");
        assertEquals("http://***@proxy:3128/", SafeText.maskCredentials("http://user:pa/ss@proxy:3128/"),
                "a raw / in the password");
    }

    @Test
    void urlsWithoutCredentialsAndAtSignsInPathsStayAsTheyAre() {
        for (String text : new String[] {"https://api.datadoghq.com/api/v2/series", "https://host/users/a@b",
                "https://host:443/p@x", "file:///tmp/a@b", "mail bob@example.com", "no url here"}) {
            assertEquals(text, SafeText.maskCredentials(text));
        }
    }

    @Test
    void everyUrlInFreeTextIsMasked() {
        assertEquals("pilotfish.datadog.url=\"ftp://***@h/x\" (from DD_DD_URL); proxy http://***@p:3128 failed",
                SafeText.maskCredentials("pilotfish.datadog.url=\"ftp://u:secret@h/x\" (from DD_DD_URL); proxy "
                        + "http://a:b@p:3128 failed"));
    }

    @Test
    void aUrlValueWithoutItsSchemeIsMaskedToo() {
        assertEquals("***@proxy:3128", SafeText.maskUrl("user:pass@proxy:3128"));
        assertEquals("http://***@proxy:3128", SafeText.maskUrl("http://user:pass@proxy:3128"));
        assertEquals("proxy.internal:3128", SafeText.maskUrl("proxy.internal:3128"));
        assertEquals("ops@example.com", SafeText.maskUrl("ops@example.com"));
    }

    @Test
    void cleanMasksThenEscapes() {
        String cleaned = SafeText.clean("GET http://u:p@h/\u001b[2J\nnext");
        assertEquals("GET http://***@h/\\x1b[2J\\nnext", cleaned);
        assertTrue(cleaned.chars().allMatch(c -> c >= 0x20 && c < 0x7f));
    }
}
