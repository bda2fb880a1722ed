package io.pilotfish.health;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON (RFC 8259) reader for the health answer, and the string quoting its writer needs, so the probe needs
 * no library. Objects are read as
 * {@code Map<String, Object>}, arrays as {@code List<Object>}, strings as {@code String}, numbers as {@code Double},
 * {@code true}/{@code false} as {@code Boolean} and {@code null} as {@code null}.
 */
final class Json {

    /** Deeper nesting is refused rather than risking the stack on a hostile or broken answer. */
    static final int MAX_DEPTH = 64;

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** {@code text} as a JSON string, quotes included: control characters, quotes and backslashes escaped. */
    static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16))
                                .append(Character.forDigit(c & 0xf, 16));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** The one JSON value in {@code text} (whitespace around it allowed). */
    static Object parse(String text) throws MalformedJsonException {
        Json json = new Json(text);
        json.skipWhitespace();
        Object value = json.value(0);
        json.skipWhitespace();
        if (json.at < text.length()) {
            throw json.error("unexpected " + json.describeNext() + " after the value");
        }
        return value;
    }

    private Object value(int depth) throws MalformedJsonException {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        if (at >= text.length()) {
            throw error("unexpected end, expected a value");
        }
        char c = text.charAt(at);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected " + describeNext() + ", expected a value");
        }
    }

    private Map<String, Object> object(int depth) throws MalformedJsonException {
        Map<String, Object> members = new LinkedHashMap<>();
        at++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            at++;
            return members;
        }
        while (true) {
            if (peek() != '"') {
                throw error("unexpected " + describeNext() + ", expected a member name");
            }
            String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            members.put(name, value(depth + 1));
            skipWhitespace();
            char next = peek();
            at++;
            if (next == '}') {
                return members;
            }
            if (next != ',') {
                at--;
                throw error("unexpected " + describeNext() + ", expected ',' or '}'");
            }
            skipWhitespace();
        }
    }

    private List<Object> array(int depth) throws MalformedJsonException {
        List<Object> items = new ArrayList<>();
        at++; // '['
        skipWhitespace();
        if (peek() == ']') {
            at++;
            return items;
        }
        while (true) {
            items.add(value(depth + 1));
            skipWhitespace();
            char next = peek();
            at++;
            if (next == ']') {
                return items;
            }
            if (next != ',') {
                at--;
                throw error("unexpected " + describeNext() + ", expected ',' or ']'");
            }
            skipWhitespace();
        }
    }

    private String string() throws MalformedJsonException {
        at++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (at >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                at--;
                throw error("unescaped control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (at >= text.length()) {
                throw error("unterminated string");
            }
            char escape = text.charAt(at++);
            switch (escape) {
                case '"', '\\', '/' -> out.append(escape);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                // A character outside the BMP is two \\u escapes (a surrogate pair): appended one after the other,
                // they make the character.
                case 'u' -> out.append(hexCharacter());
                default -> {
                    at -= 2;
                    throw error("invalid escape \\" + escape);
                }
            }
        }
    }

    private char hexCharacter() throws MalformedJsonException {
        if (at + 4 > text.length()) {
            throw error("incomplete \\u escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(at + i), 16);
            if (digit < 0) {
                throw error("invalid \\u escape");
            }
            value = value * 16 + digit;
        }
        at += 4;
        return (char) value;
    }

    private Double number() throws MalformedJsonException {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else if (!digits()) {
            throw error("invalid number");
        }
        if (peek() == '.') {
            at++;
            if (!digits()) {
                throw error("invalid number: a digit must follow '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            at++;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            if (!digits()) {
                throw error("invalid number: a digit must follow the exponent");
            }
        }
        return Double.valueOf(text.substring(start, at));
    }

    private boolean digits() {
        int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
        return at > start;
    }

    private void literal(String word) throws MalformedJsonException {
        if (!text.startsWith(word, at)) {
            throw error("unexpected " + describeNext() + ", expected a value");
        }
        at += word.length();
    }

    private void expect(char wanted) throws MalformedJsonException {
        if (peek() != wanted) {
            throw error("unexpected " + describeNext() + ", expected '" + wanted + "'");
        }
        at++;
    }

    /** The next character, or NUL at the end (never valid where it is checked). */
    private char peek() {
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private void skipWhitespace() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private String describeNext() {
        if (at >= text.length()) {
            return "end";
        }
        char c = text.charAt(at);
        return c < 0x20 || c > 0x7e ? String.format("character U+%04X", (int) c) : "'" + c + "'";
    }

    private MalformedJsonException error(String what) {
        return new MalformedJsonException("not valid JSON: " + what + " at offset " + at);
    }

    /** The text is not JSON; the message says what and where. */
    static final class MalformedJsonException extends Exception {
        MalformedJsonException(String message) {
            super(message, null, false, false);
        }
    }
}
