package io.pilotfish.collector.apm.obfuscate;

/**
 * The JSON state machine the Agent's JSON obfuscator follows (its copy of Go's {@code encoding/json} scanner): fed
 * one character at a time, it answers what that character means. As in the Agent, a new value may follow a complete
 * one (Elasticsearch bulk bodies are JSON documents one after another).
 *
 * <p>Unlike the Agent's copy, nesting is bounded ({@value #MAX_DEPTH}, the limit of Go's own scanner): deeper input is
 * a syntax error, so the stacks stay small whatever the input. No recursion; constant work per character.
 */
final class JsonScanner {

    // What a character means, as the Agent's scan* op codes.
    static final int CONTINUE = 0;
    static final int BEGIN_LITERAL = 1;
    static final int BEGIN_OBJECT = 2;
    static final int OBJECT_KEY = 3;
    static final int OBJECT_VALUE = 4;
    static final int END_OBJECT = 5;
    static final int BEGIN_ARRAY = 6;
    static final int ARRAY_VALUE = 7;
    static final int END_ARRAY = 8;
    static final int SKIP_SPACE = 9;
    static final int END = 10;
    static final int ERROR = 11;

    static final int MAX_DEPTH = 10_000;

    private static final byte PARSE_OBJECT_KEY = 0;
    private static final byte PARSE_OBJECT_VALUE = 1;
    private static final byte PARSE_ARRAY_VALUE = 2;

    // States: what the next character may be.
    private static final int S_BEGIN_VALUE = 0;
    private static final int S_BEGIN_VALUE_OR_EMPTY = 1;
    private static final int S_BEGIN_STRING_OR_EMPTY = 2;
    private static final int S_BEGIN_STRING = 3;
    private static final int S_END_VALUE = 4;
    private static final int S_END_TOP = 5;
    private static final int S_IN_STRING = 6;
    private static final int S_IN_STRING_ESC = 7;
    private static final int S_IN_STRING_ESC_U = 8; // followed by the count of hex digits still wanted
    private static final int S_NEG = 9;
    private static final int S_1 = 10;
    private static final int S_0 = 11;
    private static final int S_DOT = 12;
    private static final int S_DOT_0 = 13;
    private static final int S_E = 14;
    private static final int S_E_SIGN = 15;
    private static final int S_E_0 = 16;
    private static final int S_LITERAL = 17; // inside true, false or null: the rest of the word must follow
    private static final int S_ERROR = 18;

    private int state = S_BEGIN_VALUE;
    private byte[] parseState = new byte[16];
    private int depth;
    private boolean endTop;
    private boolean failed;
    private int hexLeft;
    private String literal;
    private int literalIndex;

    /** The meaning of the next character. */
    int step(char c) {
        return switch (state) {
            case S_BEGIN_VALUE -> beginValue(c);
            case S_BEGIN_VALUE_OR_EMPTY -> {
                if (c <= ' ' && isSpace(c)) {
                    yield SKIP_SPACE;
                }
                yield c == ']' ? endValue(c) : beginValue(c);
            }
            case S_BEGIN_STRING_OR_EMPTY -> {
                if (c <= ' ' && isSpace(c)) {
                    yield SKIP_SPACE;
                }
                if (c == '}' && depth > 0) {
                    parseState[depth - 1] = PARSE_OBJECT_VALUE;
                    yield endValue(c);
                }
                yield beginString(c);
            }
            case S_BEGIN_STRING -> beginString(c);
            case S_END_VALUE -> endValue(c);
            case S_END_TOP -> endTop(c);
            case S_IN_STRING -> {
                if (c == '"') {
                    state = S_END_VALUE;
                } else if (c == '\\') {
                    state = S_IN_STRING_ESC;
                } else if (c < 0x20) {
                    yield error();
                }
                yield CONTINUE;
            }
            case S_IN_STRING_ESC -> switch (c) {
                case 'b', 'f', 'n', 'r', 't', '\\', '/', '"' -> {
                    state = S_IN_STRING;
                    yield CONTINUE;
                }
                case 'u' -> {
                    state = S_IN_STRING_ESC_U;
                    hexLeft = 4;
                    yield CONTINUE;
                }
                default -> error();
            };
            case S_IN_STRING_ESC_U -> {
                if (!isHex(c)) {
                    yield error();
                }
                if (--hexLeft == 0) {
                    state = S_IN_STRING;
                }
                yield CONTINUE;
            }
            case S_NEG -> {
                if (c == '0') {
                    state = S_0;
                    yield CONTINUE;
                }
                if (c >= '1' && c <= '9') {
                    state = S_1;
                    yield CONTINUE;
                }
                yield error();
            }
            case S_1 -> {
                if (c >= '0' && c <= '9') {
                    yield CONTINUE;
                }
                yield afterZero(c);
            }
            case S_0 -> afterZero(c);
            case S_DOT -> {
                if (c >= '0' && c <= '9') {
                    state = S_DOT_0;
                    yield CONTINUE;
                }
                yield error();
            }
            case S_DOT_0 -> {
                if (c >= '0' && c <= '9') {
                    yield CONTINUE;
                }
                if (c == 'e' || c == 'E') {
                    state = S_E;
                    yield CONTINUE;
                }
                yield endValue(c);
            }
            case S_E -> {
                if (c == '+' || c == '-') {
                    state = S_E_SIGN;
                    yield CONTINUE;
                }
                yield exponentSign(c);
            }
            case S_E_SIGN -> exponentSign(c);
            case S_E_0 -> {
                if (c >= '0' && c <= '9') {
                    yield CONTINUE;
                }
                yield endValue(c);
            }
            case S_LITERAL -> {
                if (c != literal.charAt(literalIndex)) {
                    yield error();
                }
                if (++literalIndex == literal.length()) {
                    state = S_END_VALUE;
                }
                yield CONTINUE;
            }
            default -> ERROR;
        };
    }

    /**
     * Tells the scanner the input ended: {@link #END} if a complete value was read, else {@link #ERROR} (the input
     * was cut or wrong).
     */
    int eof() {
        if (failed) {
            return ERROR;
        }
        if (endTop) {
            return END;
        }
        step(' ');
        if (endTop) {
            return END;
        }
        failed = true;
        return ERROR;
    }

    private int beginValue(char c) {
        if (c <= ' ' && isSpace(c)) {
            return SKIP_SPACE;
        }
        switch (c) {
            case '{':
                if (!push(PARSE_OBJECT_KEY)) {
                    return error();
                }
                state = S_BEGIN_STRING_OR_EMPTY;
                return BEGIN_OBJECT;
            case '[':
                if (!push(PARSE_ARRAY_VALUE)) {
                    return error();
                }
                state = S_BEGIN_VALUE_OR_EMPTY;
                return BEGIN_ARRAY;
            case '"':
                state = S_IN_STRING;
                return BEGIN_LITERAL;
            case '-':
                state = S_NEG;
                return BEGIN_LITERAL;
            case '0':
                state = S_0;
                return BEGIN_LITERAL;
            case 't':
                return beginWord("rue");
            case 'f':
                return beginWord("alse");
            case 'n':
                return beginWord("ull");
            default:
                if (c >= '1' && c <= '9') {
                    state = S_1;
                    return BEGIN_LITERAL;
                }
                return error();
        }
    }

    private int beginWord(String rest) {
        state = S_LITERAL;
        literal = rest;
        literalIndex = 0;
        return BEGIN_LITERAL;
    }

    private int beginString(char c) {
        if (c <= ' ' && isSpace(c)) {
            return SKIP_SPACE;
        }
        if (c == '"') {
            state = S_IN_STRING;
            return BEGIN_LITERAL;
        }
        return error();
    }

    private int afterZero(char c) {
        if (c == '.') {
            state = S_DOT;
            return CONTINUE;
        }
        if (c == 'e' || c == 'E') {
            state = S_E;
            return CONTINUE;
        }
        return endValue(c);
    }

    private int exponentSign(char c) {
        if (c >= '0' && c <= '9') {
            state = S_E_0;
            return CONTINUE;
        }
        return error();
    }

    private int endValue(char c) {
        if (depth == 0) {
            state = S_END_TOP;
            endTop = true;
            return endTop(c);
        }
        if (c <= ' ' && isSpace(c)) {
            state = S_END_VALUE;
            return SKIP_SPACE;
        }
        switch (parseState[depth - 1]) {
            case PARSE_OBJECT_KEY:
                if (c == ':') {
                    parseState[depth - 1] = PARSE_OBJECT_VALUE;
                    state = S_BEGIN_VALUE;
                    return OBJECT_KEY;
                }
                return error();
            case PARSE_OBJECT_VALUE:
                if (c == ',') {
                    parseState[depth - 1] = PARSE_OBJECT_KEY;
                    state = S_BEGIN_STRING;
                    return OBJECT_VALUE;
                }
                if (c == '}') {
                    pop();
                    return END_OBJECT;
                }
                return error();
            default:
                if (c == ',') {
                    state = S_BEGIN_VALUE;
                    return ARRAY_VALUE;
                }
                if (c == ']') {
                    pop();
                    return END_ARRAY;
                }
                return error();
        }
    }

    /** After a complete value only blanks may follow, or (the Agent's change) the start of another value. */
    private int endTop(char c) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            state = S_BEGIN_VALUE;
            depth = 0;
            failed = false;
            endTop = false;
            return step(c);
        }
        return END;
    }

    private boolean push(byte parse) {
        if (depth == MAX_DEPTH) {
            return false;
        }
        if (depth == parseState.length) {
            parseState = java.util.Arrays.copyOf(parseState, Math.min(MAX_DEPTH, depth * 2));
        }
        parseState[depth++] = parse;
        return true;
    }

    private void pop() {
        depth--;
        if (depth == 0) {
            state = S_END_TOP;
            endTop = true;
        } else {
            state = S_END_VALUE;
        }
    }

    private int error() {
        state = S_ERROR;
        failed = true;
        return ERROR;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
