package io.pilotfish.collector.apm.sample;

import java.math.BigDecimal;

/**
 * The bits of Go's {@code encoding/json} the rates body depends on, so Pilotfish's body is byte-for-byte the
 * Agent's: keys in UTF-8 byte order, strings escaped as {@code json.Marshal} escapes them (HTML characters
 * included), numbers in Go's shortest form ({@code 0.5}, {@code 1}, {@code 1e-7}).
 */
final class GoJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoJson() {
    }

    /** Orders strings as Go orders them: by code point, which is UTF-8 byte order. */
    static int compareUtf8(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> appendUnicodeEscape(out, c);
                default -> {
                    if (c < 0x20) {
                        appendUnicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        // Go writes invalid UTF-8 as the replacement character
                        appendUnicodeEscape(out, '\ufffd');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder out, char c) {
        out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                .append(HEX[c & 0xf]);
    }

    /**
     * Go's float64 encoding: the shortest decimal that reads back as the same double, in plain notation between
     * 1e-6 and 1e21 and in exponent notation outside ({@code 1e-7}, {@code 1.5e+21}). Finite values only.
     */
    static String formatFloat(double v) {
        if (v == 0) {
            return 1 / v < 0 ? "-0" : "0";
        }
        // Java's Double.toString gives the shortest round-tripping digits, as Go's strconv does
        BigDecimal shortest = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        double abs = Math.abs(v);
        if (abs >= 1e-6 && abs < 1e21) {
            return shortest.toPlainString();
        }
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        StringBuilder out = new StringBuilder(digits.length() + 8);
        if (v < 0) {
            out.append('-');
        }
        out.append(digits.charAt(0));
        if (digits.length() > 1) {
            out.append('.').append(digits, 1, digits.length());
        }
        // Go writes at least two exponent digits, then json trims "e-0X" to "e-X"
        out.append('e').append(exponent < 0 ? '-' : '+');
        if (exponent >= 0 && exponent < 10) {
            out.append('0');
        }
        out.append(Math.abs(exponent));
        return out.toString();
    }
}
