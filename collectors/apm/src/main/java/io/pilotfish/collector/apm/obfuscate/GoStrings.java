package io.pilotfish.collector.apm.obfuscate;

import java.util.ArrayList;
import java.util.List;

/**
 * Go's string functions as the Agent's obfuscators use them, where Java's differ: Go's white space is
 * {@code unicode.IsSpace} (NBSP included, the ASCII separators U+001C..U+001F not) and its upper-casing maps one
 * character to one ({@code ß} stays {@code ß}).
 */
final class GoStrings {

    private GoStrings() {
    }

    /** {@code unicode.IsSpace}: ASCII and Latin-1 blanks plus the Unicode White_Space characters. */
    static boolean isSpace(int c) {
        if (c < 0x100) {
            return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
        }
        return c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F
                || c == 0x205F || c == 0x3000;
    }

    /** {@code strings.TrimSpace}. */
    static String trimSpace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) {
                break;
            }
            start += Character.charCount(cp);
        }
        while (end > start) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(start, end);
    }

    /** {@code strings.ToUpper}, per code point. */
    static String toUpper(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || (c >= 'a' && c <= 'z')) {
                StringBuilder out = new StringBuilder(s.length());
                s.codePoints().forEach(cp -> out.appendCodePoint(Character.toUpperCase(cp)));
                return out.toString();
            }
        }
        return s;
    }

    /** {@code strings.Fields}: the pieces between runs of white space. */
    static List<String> fields(String s) {
        List<String> fields = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isSpace(cp)) {
                if (start >= 0) {
                    fields.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            fields.add(s.substring(start));
        }
        return fields;
    }
}
