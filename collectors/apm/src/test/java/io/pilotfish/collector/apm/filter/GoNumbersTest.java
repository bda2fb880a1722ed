package io.pilotfish.collector.apm.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Go's {@code strconv} formatting and parsing of the numbers the replacer rewrites as text. */
class GoNumbersTest {

    @ParameterizedTest
    @CsvSource({"1, 1", "100, 100", "1.5, 1.5", "-2.25, -2.25", "0.1, 0.1", "1e21, 1000000000000000000000",
        "1e-7, 0.0000001", "123456789.125, 123456789.125", "0.30000000000000004, 0.30000000000000004"})
    void formatFloatIsShortestWithoutExponent(double value, String expected) {
        assertEquals(expected, GoNumbers.formatFloat(value));
    }

    @Test
    void formatFloatSpecialValues() {
        assertEquals("17976931348623157" + "0".repeat(292), GoNumbers.formatFloat(Double.MAX_VALUE));
        assertEquals("0." + "0".repeat(323) + "5", GoNumbers.formatFloat(Double.MIN_VALUE));
        assertEquals("0", GoNumbers.formatFloat(0.0));
        assertEquals("-0", GoNumbers.formatFloat(-0.0));
        assertEquals("NaN", GoNumbers.formatFloat(Double.NaN));
        assertEquals("+Inf", GoNumbers.formatFloat(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", GoNumbers.formatFloat(Double.NEGATIVE_INFINITY));
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "+1.5, 1.5", "-.5, -0.5", "1., 1", "1e3, 1000", "1E-2, 0.01", "1_000, 1000",
        "1_000.5, 1000.5", "0x1p4, 16", "0x1.8p1, 3", "-0x_1p0, -1", "inf, Infinity", "+Infinity, Infinity",
        "-INF, -Infinity", "1e-400, 0"})
    void parseFloatAcceptsWhatGoAccepts(String text, double expected) {
        assertEquals(expected, GoNumbers.parseFloat(text));
    }

    @Test
    void parseFloatNaN() {
        assertEquals(Double.NaN, GoNumbers.parseFloat("nan"));
        assertEquals(Double.NaN, GoNumbers.parseFloat("NaN"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " 1", "1 ", ".", "e5", "1e", "1d", "1f", "0x10", "0x", "_1", "1_", "1__0", "1_.5",
        "+nan", "infinit", "1e400", "-1e400", "one!", "١", "0x1p", "--1", "Infinity!"})
    void parseFloatRefusesWhatGoRefuses(String text) {
        assertNull(GoNumbers.parseFloat(text));
    }

    @Test
    void parseInt() {
        assertEquals(5L, GoNumbers.parseInt("+5"));
        assertEquals(-42L, GoNumbers.parseInt("-42"));
        assertEquals(7L, GoNumbers.parseInt("007"));
        assertNull(GoNumbers.parseInt("5.0"));
        assertNull(GoNumbers.parseInt("1_000"));
        assertNull(GoNumbers.parseInt("99999999999999999999"));
        assertNull(GoNumbers.parseInt("١٢"));
        assertNull(GoNumbers.parseInt(""));
    }
}
