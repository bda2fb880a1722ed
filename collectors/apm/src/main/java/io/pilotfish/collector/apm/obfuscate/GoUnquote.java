package io.pilotfish.collector.apm.obfuscate;

/**
 * Go's {@code strconv.Unquote} for a double-quoted string, which the Agent uses to read a JSON string before SQL
 * obfuscation: Go escapes, not JSON's ({@code \/} and surrogate pairs are rejected, {@code \x41}, {@code \101} and
 * {@code \v} accepted). Linear.
 */
final class GoUnquote {

    private GoUnquote() {
    }

    /** The string's value, or null if it is not a valid Go double-quoted string. */
    static String unquote(String s) {
        int n = s.length();
        if (n < 2 || s.charAt(0) != '"' || s.charAt(n - 1) != '"') {
            return null;
        }
        StringBuilder out = new StringBuilder(n);
        int i = 1;
        int end = n - 1;
        while (i < end) {
            char c = s.charAt(i);
            if (c == '"' || c == '\n') {
                return null;
            }
            if (c != '\\') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return null;
            }
            char e = s.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000B');
                case '\\' -> out.append('\\');
                case '"' -> out.append('"');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > end) {
                        return null;
                    }
                    int value = 0;
                    for (int j = 0; j < digits; j++) {
                        int d = hexValue(s.charAt(i + j));
                        if (d < 0) {
                            return null;
                        }
                        value = value << 4 | d;
                    }
                    i += digits;
                    if (e != 'x' && (value > Character.MAX_CODE_POINT || (value >= 0xD800 && value <= 0xDFFF)
                            || value < 0)) {
                        return null; // not a valid rune, e.g. half of a JSON surrogate pair
                    }
                    out.appendCodePoint(value);
                }
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    if (i + 2 > end) {
                        return null;
                    }
                    int value = e - '0';
                    for (int j = 0; j < 2; j++) {
                        int d = s.charAt(i + j) - '0';
                        if (d < 0 || d > 7) {
                            return null;
                        }
                        value = value << 3 | d;
                    }
                    i += 2;
                    if (value > 255) {
                        return null;
                    }
                    out.append((char) value);
                }
                default -> {
                    return null;
                }
            }
        }
        return out.toString();
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
