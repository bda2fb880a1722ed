package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected outputs are Go's {@code json.Marshal} of the same values. */
class GoJsonTest {

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 1", "0.5, 0.5", "0.1, 0.1", "0.16, 0.16", "0.6666666666666666, 0.6666666666666666",
            "0.000685, 0.000685", "0.000001, 0.000001", "1e-7, 1e-7", "1.5e-7, 1.5e-7", "1.25e-10, 1.25e-10",
            "123456789, 123456789", "1e20, 100000000000000000000", "1e21, 1e+21", "-0.25, -0.25"})
    void formatsNumbersAsGo(double value, String expected) {
        assertEquals(expected, GoJson.formatFloat(value));
    }

    @Test
    void escapesStringsAsGo() {
        StringBuilder out = new StringBuilder();
        GoJson.appendString(out, "a\"b\\c<d>&e\n\t\r\b\f\u0001\u2028\u2029é🛰\ud800");
        assertEquals("\"a\\\"b\\\\c\\u003cd\\u003e\\u0026e\\n\\t\\r\\b\\f\\u0001\\u2028\\u2029é🛰\\ufffd\"",
                out.toString());
    }

    @Test
    void ordersKeysByUtf8Bytes() {
        assertTrue(GoJson.compareUtf8("service:,env:", "service:a,env:") < 0);
        assertTrue(GoJson.compareUtf8("service:web,env:", "service:web,env:none") < 0);
        // U+FF5E sorts before U+1F6F0 in UTF-8, after it in UTF-16
        assertTrue(GoJson.compareUtf8("\uff5e", "🛰") < 0);
        assertEquals(0, GoJson.compareUtf8("same", "same"));
    }
}
