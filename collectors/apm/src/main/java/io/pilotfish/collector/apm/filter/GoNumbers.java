package io.pilotfish.collector.apm.filter;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.regex.Pattern;

/**
 * Go's {@code strconv} as the Agent's tag replacer uses it on numbers: a numeric tag is written out with
 * {@code FormatFloat(v, 'f', -1, 64)}, replaced as text and read back with {@code ParseFloat} (or
 * {@code ParseInt} for span-event attributes). Where the result no longer reads as a number, the Agent keeps it
 * as text, so the exact accepted syntax decides whether a tag stays numeric.
 */
final class GoNumbers {

    private static final Pattern DECIMAL = Pattern.compile(
            "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
    private static final Pattern HEX = Pattern.compile(
            "[+-]?0[xX](?:[0-9a-fA-F]+(?:\\.[0-9a-fA-F]*)?|\\.[0-9a-fA-F]+)[pP][+-]?[0-9]+");
    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

    private GoNumbers() {
    }

    /** {@code strconv.FormatFloat(v, 'f', -1, 64)}: the shortest decimal that reads back as v, never exponents. */
    static String formatFloat(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == 0) {
            return Double.doubleToRawLongBits(v) < 0 ? "-0" : "0";
        }
        // Double.toString gives the shortest round-tripping digits (since Java 19), as Go's -1 precision does,
        // but never fewer than two: where one digit would do (tiny subnormals) Go writes one
        BigDecimal shortest = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        if (shortest.precision() == 2) {
            BigDecimal oneDigit = new BigDecimal(v).round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (oneDigit.doubleValue() == v) {
                shortest = oneDigit.stripTrailingZeros();
            }
        }
        return shortest.toPlainString();
    }

    /**
     * {@code strconv.ParseFloat(s, 64)}, or null where Go returns an error: bad syntax, or a value too large for a
     * double (Go's range error). Accepts what Go does: signs, {@code inf}/{@code infinity}/{@code nan} in any case,
     * hexadecimal with a {@code p} exponent, and underscores between digits.
     */
    static Double parseFloat(String s) {
        Double special = special(s);
        if (special != null) {
            return special;
        }
        String plain = s;
        if (s.indexOf('_') >= 0) {
            if (!underscoresBetweenDigits(s)) {
                return null;
            }
            plain = s.replace("_", "");
        }
        if (!DECIMAL.matcher(plain).matches() && !HEX.matcher(plain).matches()) {
            return null;
        }
        double value = Double.parseDouble(plain);
        return Double.isInfinite(value) ? null : value;
    }

    /** {@code strconv.ParseInt(s, 10, 64)}, or null where Go returns an error. */
    static Long parseInt(String s) {
        if (!INTEGER.matcher(s).matches()) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null; // out of range
        }
    }

    /** Go's {@code special}: the whole text must be the word, optionally signed (but not for NaN). */
    private static Double special(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return null;
        }
        char first = s.charAt(0);
        boolean signed = first == '+' || first == '-';
        String word = signed ? s.substring(1) : s;
        if (word.equalsIgnoreCase("inf") || word.equalsIgnoreCase("infinity")) {
            return first == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!signed && word.equalsIgnoreCase("nan")) {
            return Double.NaN;
        }
        return null;
    }

    /** Go's {@code underscoreOK}: each underscore sits between digits, or right after a base prefix. */
    private static boolean underscoresBetweenDigits(String s) {
        int i = 0;
        if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
            i++;
        }
        char saw = '^';
        boolean hex = false;
        if (s.length() - i >= 2 && s.charAt(i) == '0' && "bBoOxX".indexOf(s.charAt(i + 1)) >= 0) {
            hex = s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X';
            i += 2;
            saw = '0';
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean digit = (c >= '0' && c <= '9')
                    || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (digit) {
                saw = '0';
            } else if (c == '_') {
                if (saw != '0') {
                    return false;
                }
                saw = '_';
            } else {
                if (saw == '_') {
                    return false;
                }
                saw = '!';
            }
        }
        return saw != '_';
    }
}
