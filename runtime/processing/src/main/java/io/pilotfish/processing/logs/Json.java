package io.pilotfish.processing.logs;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader over UTF-8 bytes (RFC 8259), for log lines and for the rules' JSON form. Objects become
 * {@link LinkedHashMap}s (a repeated key keeps its last value), arrays {@link ArrayList}s, integers {@link Long} (or
 * {@link BigInteger} past a long: 64-bit trace ids stay exact), other numbers {@link BigDecimal} (exact text).
 * Nesting is bounded; a document nested deeper is refused, not cut. Errors say where and what, never the text.
 */
final class Json {

    /** Why a document was refused: the offset and what was expected, no content. */
    static final class Malformed extends Exception {
        Malformed(String reason, int offset) {
            super(reason + " at byte " + offset, null, false, false);
        }
    }

    private final byte[] in;
    private final int end;
    private final int maxDepth;
    private int pos;

    private Json(byte[] in, int from, int to, int maxDepth) {
        this.in = in;
        this.pos = from;
        this.end = to;
        this.maxDepth = maxDepth;
    }

    /** The one value that {@code in[from, to)} holds, with white space around it. */
    static Object parse(byte[] in, int from, int to, int maxDepth) throws Malformed {
        Json reader = new Json(in, from, to, maxDepth);
        reader.skipSpace();
        Object value = reader.value(0);
        reader.skipSpace();
        if (reader.pos != to) {
            throw new Malformed("text after the value", reader.pos);
        }
        return value;
    }

    static Object parse(String text, int maxDepth) throws Malformed {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return parse(bytes, 0, bytes.length, maxDepth);
    }

    private Object value(int depth) throws Malformed {
        if (pos >= end) {
            throw new Malformed("a value expected", pos);
        }
        byte b = in[pos];
        return switch (b) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (b == '-' || (b >= '0' && b <= '9')) {
                    yield number();
                }
                throw new Malformed("a value expected", pos);
            }
        };
    }

    private Map<String, Object> object(int depth) throws Malformed {
        if (depth > maxDepth) {
            throw new Malformed("nested deeper than " + maxDepth, pos);
        }
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (pos < end && in[pos] == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (pos >= end || in[pos] != '"') {
                throw new Malformed("a field name expected", pos);
            }
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            map.put(key, value(depth));
            skipSpace();
            if (pos < end && in[pos] == ',') {
                pos++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array(int depth) throws Malformed {
        if (depth > maxDepth) {
            throw new Malformed("nested deeper than " + maxDepth, pos);
        }
        pos++;
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (pos < end && in[pos] == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipSpace();
            list.add(value(depth));
            skipSpace();
            if (pos < end && in[pos] == ',') {
                pos++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private void expect(char c) throws Malformed {
        if (pos >= end || in[pos] != c) {
            throw new Malformed("'" + c + "' expected", pos);
        }
        pos++;
    }

    private Object literal(String word, Object value) throws Malformed {
        int n = word.length();
        if (end - pos < n) {
            throw new Malformed("a value expected", pos);
        }
        for (int i = 0; i < n; i++) {
            if (in[pos + i] != word.charAt(i)) {
                throw new Malformed("a value expected", pos);
            }
        }
        pos += n;
        return value;
    }

    private Object number() throws Malformed {
        int start = pos;
        if (in[pos] == '-') {
            pos++;
        }
        if (pos >= end) {
            throw new Malformed("a digit expected", pos);
        }
        if (in[pos] == '0') {
            pos++;
        } else if (in[pos] >= '1' && in[pos] <= '9') {
            digits();
        } else {
            throw new Malformed("a digit expected", pos);
        }
        boolean integer = true;
        if (pos < end && in[pos] == '.') {
            integer = false;
            pos++;
            if (pos >= end || in[pos] < '0' || in[pos] > '9') {
                throw new Malformed("a digit expected", pos);
            }
            digits();
        }
        if (pos < end && (in[pos] == 'e' || in[pos] == 'E')) {
            integer = false;
            pos++;
            if (pos < end && (in[pos] == '+' || in[pos] == '-')) {
                pos++;
            }
            if (pos >= end || in[pos] < '0' || in[pos] > '9') {
                throw new Malformed("a digit expected", pos);
            }
            digits();
        }
        String text = new String(in, start, pos - start, StandardCharsets.ISO_8859_1);
        if (integer) {
            if (pos - start <= 18) {
                return Long.parseLong(text);
            }
            BigInteger big = new BigInteger(text);
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        if (pos - start > 400) {
            throw new Malformed("a number too long", start); // BigDecimal's exponent arithmetic stays cheap
        }
        return new BigDecimal(text);
    }

    private void digits() {
        while (pos < end && in[pos] >= '0' && in[pos] <= '9') {
            pos++;
        }
    }

    private String string() throws Malformed {
        int start = ++pos;
        while (pos < end) {
            byte b = in[pos];
            if (b == '"') {
                String s = new String(in, start, pos - start, StandardCharsets.UTF_8);
                pos++;
                return s;
            }
            if (b == '\\') {
                return escapedString(start);
            }
            if ((b & 0xFF) < 0x20) {
                throw new Malformed("a control character in a string", pos);
            }
            pos++;
        }
        throw new Malformed("an unterminated string", start - 1);
    }

    private String escapedString(int start) throws Malformed {
        StringBuilder out = new StringBuilder(pos - start + 16);
        out.append(new String(in, start, pos - start, StandardCharsets.UTF_8));
        int run = pos;
        while (pos < end) {
            byte b = in[pos];
            if (b == '"' || b == '\\') {
                if (pos > run) {
                    out.append(new String(in, run, pos - run, StandardCharsets.UTF_8));
                }
                if (b == '"') {
                    pos++;
                    return out.toString();
                }
                if (pos + 1 >= end) {
                    break;
                }
                byte e = in[pos + 1];
                pos += 2;
                switch (e) {
                    case '"' -> out.append('"');
                    case '\\' -> out.append('\\');
                    case '/' -> out.append('/');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> out.append(hex4());
                    default -> throw new Malformed("an invalid escape", pos - 2);
                }
                run = pos;
                continue;
            }
            if ((b & 0xFF) < 0x20) {
                throw new Malformed("a control character in a string", pos);
            }
            pos++;
        }
        throw new Malformed("an unterminated string", start - 1);
    }

    private char hex4() throws Malformed {
        if (end - pos < 4) {
            throw new Malformed("four hex digits expected", pos);
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(in[pos + i], 16);
            if (d < 0) {
                throw new Malformed("four hex digits expected", pos);
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v; // a lone surrogate stays one; String's UTF-8 encoding later writes '?' for it
    }

    private void skipSpace() {
        while (pos < end) {
            byte b = in[pos];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return;
            }
            pos++;
        }
    }
}
