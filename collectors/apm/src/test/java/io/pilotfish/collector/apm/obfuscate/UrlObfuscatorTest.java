package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.HttpSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Agent's {@code TestObfuscateHTTP} table ({@code http_test.go}), then how Go's {@code net/url} writes other
 * URLs back, which the Agent's output inherits.
 */
class UrlObfuscatorTest {

    private static String obfuscate(boolean query, boolean digits, String url) {
        return new UrlObfuscator(new HttpSettings(query, digits)).obfuscate(url);
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
            "false, false, http://foo.com/1/2/3?q=james => http://foo.com/1/2/3?q=james",
            "false, false, http://user:password@foo.com/1/2/3?q=james => http://foo.com/1/2/3?q=james",
            "true, false, http://foo.com/ => http://foo.com/",
            "true, false, http://foo.com/123 => http://foo.com/123",
            "true, false, http://foo.com/id/123/page/1?search=bar&page=2 => http://foo.com/id/123/page/1?",
            "true, false, http://foo.com/id/123/page/1?search=bar&page=2#fragment => "
                    + "http://foo.com/id/123/page/1?#fragment",
            "true, false, http://foo.com/id/123/page/1?blabla => http://foo.com/id/123/page/1?",
            "true, false, http://foo.com/id/123/pa%3Fge/1?blabla => http://foo.com/id/123/pa%3Fge/1?",
            "true, false, http://user:password@foo.com/1/2/3?q=james => http://foo.com/1/2/3?",
            "false, true, http://foo.com/ => http://foo.com/",
            "false, true, http://foo.com/name?query=search => http://foo.com/name?query=search",
            "false, true, http://foo.com/id/123/page/1?search=bar&page=2 => http://foo.com/id/?/page/??search=bar&page=2",
            "false, true, http://foo.com/id/a1/page/1qwe233?search=bar&page=2#fragment-123 => "
                    + "http://foo.com/id/?/page/??search=bar&page=2#fragment-123",
            "false, true, http://foo.com/123 => http://foo.com/?",
            "false, true, http://foo.com/123/abcd9 => http://foo.com/?/?",
            "false, true, http://foo.com/123/name/abcd9 => http://foo.com/?/name/?",
            "false, true, http://foo.com/1%3F3/nam%3Fe/abcd9 => http://foo.com/?/nam%3Fe/?",
            "false, true, http://user:password@foo.com/1/2/3?q=james => http://foo.com/?/?/??q=james",
            "true, true, http://foo.com/ => http://foo.com/",
            "true, true, http://foo.com/name/id => http://foo.com/name/id",
            "true, true, http://foo.com/name/id?query=search => http://foo.com/name/id?",
            "true, true, http://foo.com/id/123/page/1?search=bar&page=2 => http://foo.com/id/?/page/??",
            "true, true, http://foo.com/id/123/page/1?search=bar&page=2#fragment => http://foo.com/id/?/page/??#fragment",
            "true, true, http://foo.com/1%3F3/nam%3Fe/abcd9 => http://foo.com/?/nam%3Fe/?",
            "true, true, http://foo.com/id/123/pa%3Fge/1?blabla => http://foo.com/id/?/pa%3Fge/??",
            "true, true, http://user:password@foo.com/1/2/3?q=james => http://foo.com/?/?/??"})
    void obfuscatesAsTheAgent(String settings, String expected) {
        String[] parts = settings.split(", ", 3);
        assertEquals(expected, obfuscate(Boolean.parseBoolean(parts[0]), Boolean.parseBoolean(parts[1]), parts[2]));
    }

    /** Go's {@code url.Parse} and {@code String}: what comes back out when nothing is removed. */
    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
            "HTTP://Example.COM/a => http://Example.COM/a",
            "https://h/a b => https://h/a%20b",
            "https://h/caf\u00e9?x=\u00e9 => https://h/caf%C3%A9?x=\u00e9",
            "https://h/a(b)*!;@:,$ => https://h/a(b)*!;@:,$",
            "https://h/%zz => https://h/%zz",
            "/relative/path?x=1 => /relative/path?x=1",
            "//host:8080/p => //host:8080/p",
            "mailto:someone@example.com => mailto:someone@example.com",
            "http:/no-host => http:/no-host",
            "file:///etc/hosts => file:///etc/hosts",
            "http://[::1]:8126/v0.4/traces => http://[::1]:8126/v0.4/traces",
            "http://h/p#frag ment => http://h/p#frag%20ment",
            "http://h:port/p => http://h:port/p",
            ":nothing => :nothing",
            "http://us er:pw@h/ => http://us er:pw@h/"})
    void writesUrlsBackAsGo(String url, String expected) {
        assertEquals(expected, obfuscate(false, false, url));
    }

    /** A URL Go cannot parse stays as it is with both options off, and becomes "?" with either on. */
    @Test
    void hidesWhatCannotBeParsedWhenAnOptionIsOn() {
        String bad = "http://h:port/p?secret=1";
        assertEquals(bad, obfuscate(false, false, bad));
        assertEquals("?", obfuscate(true, false, bad));
        assertEquals("?", obfuscate(false, true, "http://us er:pw@h/1"));
        assertEquals("?", obfuscate(true, true, "a:b/c\u0001"));
    }

    @Test
    void staysLinearOnLongUrls() {
        String longPath = "http://h/" + "a1/%41/".repeat(300_000) + "?" + "q=1&".repeat(300_000);
        String result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> obfuscate(true, true, longPath));
        assertEquals("http://h/" + "?/A/".repeat(300_000) + "?", result);
    }
}
