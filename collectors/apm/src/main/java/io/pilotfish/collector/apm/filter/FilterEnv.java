package io.pilotfish.collector.apm.filter;

import com.fasterxml.jackson.core.JsonFactory;
import io.pilotfish.spi.SafeText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How the Agent reads the filter variables from the environment ({@code pkg/config/setup/apm.go}). */
final class FilterEnv {

    static final JsonFactory JSON = new JsonFactory();

    private FilterEnv() {
    }

    /** A named variable: the one read, and its raw value. */
    record Setting(String variable, String value) {
    }

    /**
     * The first of the variables that is set, as the Agent's configuration binds several names to one setting (the
     * newest first); null when none is. An empty value counts as unset, as in the Agent; so does a blank one.
     */
    static Setting first(Map<String, String> env, String... variables) {
        for (String variable : variables) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                return new Setting(variable, value);
            }
        }
        return null;
    }

    /**
     * One record of comma-separated values as Go's {@code encoding/csv} reads it with {@code TrimLeadingSpace} and
     * {@code LazyQuotes} (the Agent's {@code splitCSVString}): blanks before a field are dropped, trailing ones
     * kept; a field in double quotes may hold commas, {@code ""} is a quote and a stray quote is kept as text. The
     * Agent reads the first line only; text on further lines is refused here rather than ignored.
     */
    static List<String> csvRecord(String variable, String raw) {
        String s = raw.replace("\r\n", "\n");
        if (s.endsWith("\r")) {
            s = s.substring(0, s.length() - 1);
        }
        int pos = 0;
        while (pos < s.length() && s.charAt(pos) == '\n') {
            pos++; // empty lines before the record are skipped
        }
        List<String> fields = new ArrayList<>();
        if (pos == s.length()) {
            return fields;
        }
        StringBuilder field = new StringBuilder();
        while (true) {
            int lineEnd = lineEnd(s, pos);
            while (pos < lineEnd && isGoSpace(s.codePointAt(pos))) {
                pos += Character.charCount(s.codePointAt(pos));
            }
            if (pos >= lineEnd || s.charAt(pos) != '"') {
                int comma = s.indexOf(',', pos);
                if (comma >= 0 && comma < lineEnd) {
                    fields.add(s.substring(pos, comma));
                    pos = comma + 1;
                    continue;
                }
                fields.add(s.substring(pos, lineEnd));
                pos = lineEnd;
                break;
            }
            pos++; // opening quote
            field.setLength(0);
            boolean moreFields = false;
            while (true) {
                int quote = s.indexOf('"', pos);
                if (quote < 0) {
                    field.append(s, pos, s.length()); // unterminated: the rest of the text, as LazyQuotes allows
                    pos = s.length();
                    break;
                }
                field.append(s, pos, quote);
                pos = quote + 1;
                char next = pos < s.length() ? s.charAt(pos) : '\n';
                if (next == '"') {
                    field.append('"');
                    pos++;
                } else if (next == ',') {
                    pos++;
                    moreFields = true;
                    break;
                } else if (next == '\n') {
                    break;
                } else {
                    field.append('"'); // a stray quote inside a quoted field
                }
            }
            fields.add(field.toString());
            if (!moreFields) {
                pos = lineEnd(s, pos);
                break;
            }
        }
        if (!s.substring(pos).isBlank()) {
            throw new FilterConfigException(variable, "holds more than one line: " + SafeText.quote(raw, 120)
                    + "; the Agent reads only the first, so write every pattern on one line, separated by commas");
        }
        return fields;
    }

    private static int lineEnd(String s, int from) {
        int newline = s.indexOf('\n', from);
        return newline < 0 ? s.length() : newline;
    }

    /**
     * A list of {@code key:value} filters as the Agent reads it: a JSON array of strings when the value starts with
     * {@code [}, else entries separated by spaces. Unlike the Agent, runs of spaces do not make empty entries (an
     * empty required tag would drop every trace).
     */
    static List<String> tagList(String variable, String raw) {
        String value = goTrimSpace(raw);
        List<String> items = new ArrayList<>();
        if (value.startsWith("[")) {
            try {
                items.addAll(io.pilotfish.collector.apm.EnvLists.jsonStrings(value));
            } catch (IOException e) {
                throw new FilterConfigException(variable, "not a JSON array of strings: " + SafeText.quote(raw, 120)
                        + "; write [\"key1:value one\", \"key2\"] or key1:value1 key2");
            }
            return items;
        }
        for (String item : raw.split(" ")) {
            if (!item.isEmpty()) {
                items.add(item);
            }
        }
        return items;
    }

    /** Go's {@code strconv.ParseBool}, which the Agent uses, without its silent fallback to false. */
    static boolean bool(Map<String, String> env, String variable, boolean defaultValue) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        return switch (raw.strip()) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new FilterConfigException(variable, "not a boolean: " + SafeText.quote(raw, 60)
                    + "; use true or false (the Agent would read it as false)");
        };
    }

    /** Go's {@code strings.TrimSpace}. */
    static String goTrimSpace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isGoSpace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isGoSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    /** Go's {@code unicode.IsSpace}. */
    static boolean isGoSpace(int c) {
        if (c < 0x100) {
            return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0;
        }
        return c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F
                || c == 0x205F || c == 0x3000;
    }
}
