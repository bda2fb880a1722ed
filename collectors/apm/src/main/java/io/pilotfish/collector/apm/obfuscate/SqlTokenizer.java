package io.pilotfish.collector.apm.obfuscate;

import io.pilotfish.collector.apm.obfuscate.SqlObfuscationException.Reason;
import java.util.function.Function;

/**
 * The Datadog Agent's SQL lexer ({@code pkg/obfuscate/sql_tokenizer.go}): not a parser, just enough of SQL, CQL and
 * their dialects to find literals, comments and keywords. Its quirks are kept on purpose, since the resource it
 * produces must equal the Agent's for stats and monitors to line up; each is noted where it happens.
 *
 * <p>One pass over the query, each character read once (a {@code $func$} body is read twice at most): time linear in
 * the input, no regular expressions, no recursion beyond one nested {@code $func$} body. Not thread-safe; one per
 * query.
 */
final class SqlTokenizer {

    /** The end of the query. Token kinds below it are the character itself ({@code '('}, {@code ','}, ...). */
    static final int END = 0x110001;
    static final int LEX_ERROR = 0x200000;
    static final int ID = LEX_ERROR + 1;
    static final int LIMIT = ID + 1;
    static final int NULL = LIMIT + 1;
    static final int STRING = NULL + 1;
    static final int DOUBLE_QUOTED_STRING = STRING + 1;
    static final int DOLLAR_QUOTED_STRING = DOUBLE_QUOTED_STRING + 1;
    static final int DOLLAR_QUOTED_FUNC = DOLLAR_QUOTED_STRING + 1;
    static final int NUMBER = DOLLAR_QUOTED_FUNC + 1;
    static final int BOOLEAN_LITERAL = NUMBER + 1;
    static final int VALUE_ARG = BOOLEAN_LITERAL + 1;
    static final int LIST_ARG = VALUE_ARG + 1;
    static final int COMMENT = LIST_ARG + 1;
    static final int VARIABLE = COMMENT + 1;
    static final int SAVEPOINT = VARIABLE + 1;
    static final int PREPARED_STATEMENT = SAVEPOINT + 1;
    static final int ESCAPE_SEQUENCE = PREPARED_STATEMENT + 1;
    static final int NULL_SAFE_EQUAL = ESCAPE_SEQUENCE + 1;
    static final int LE = NULL_SAFE_EQUAL + 1;
    static final int GE = LE + 1;
    static final int NE = GE + 1;
    static final int NOT = NE + 1;
    static final int AS = NOT + 1;
    static final int ALTER = AS + 1;
    static final int DROP = ALTER + 1;
    static final int CREATE = DROP + 1;
    static final int GRANT = CREATE + 1;
    static final int REVOKE = GRANT + 1;
    static final int COMMIT = REVOKE + 1;
    static final int BEGIN = COMMIT + 1;
    static final int TRUNCATE = BEGIN + 1;
    static final int SELECT = TRUNCATE + 1;
    static final int FROM = SELECT + 1;
    static final int UPDATE = FROM + 1;
    static final int DELETE = UPDATE + 1;
    static final int INSERT = DELETE + 1;
    static final int INTO = INSERT + 1;
    static final int JOIN = INTO + 1;
    static final int TABLE_NAME = JOIN + 1;
    static final int COLON_CAST = TABLE_NAME + 1;
    static final int JSON_SELECT = COLON_CAST + 1;
    static final int JSON_SELECT_TEXT = JSON_SELECT + 1;
    static final int JSON_SELECT_PATH = JSON_SELECT_TEXT + 1;
    static final int JSON_SELECT_PATH_TEXT = JSON_SELECT_PATH + 1;
    static final int JSON_CONTAINS = JSON_SELECT_PATH_TEXT + 1;
    static final int JSON_CONTAINS_LEFT = JSON_CONTAINS + 1;
    static final int JSON_KEY_EXISTS = JSON_CONTAINS_LEFT + 1;
    static final int JSON_ANY_KEYS_EXIST = JSON_KEY_EXISTS + 1;
    static final int JSON_ALL_KEYS_EXIST = JSON_ANY_KEYS_EXIST + 1;
    static final int JSON_DELETE = JSON_ALL_KEYS_EXIST + 1;
    // Kinds the obfuscator's filters give to tokens they replaced or dropped.
    static final int FILTERED_GROUPABLE = JSON_DELETE + 1;
    static final int FILTERED_GROUPABLE_PARENTHESIS = FILTERED_GROUPABLE + 1;
    static final int FILTERED = FILTERED_GROUPABLE_PARENTHESIS + 1;
    static final int FILTERED_BRACKETED_IDENTIFIER = FILTERED + 1;

    private final String sql;
    private final int length;
    private final Dbms dbms;
    private final boolean literalEscapes;
    private final boolean dollarQuotedFunc;
    /** Obfuscates a {@code $func$} body; null when it cannot be read, and it then stays a plain string. */
    private final Function<String, String> funcBodyObfuscator;

    private boolean started;
    private int lastChar;      // the character under the cursor, or END
    private int lastStart;     // its index (length at the end)
    private int offset;        // the index after it
    private int tokenStart;    // where the token being read began
    private int curlys;        // open braces of a top-level {call ...} escape
    private boolean seenEscape;

    // The token last scanned: the source range [textStart, textEnd) unless text is set.
    private int textStart;
    private int textEnd;
    private String text;

    private SqlObfuscationException error;

    SqlTokenizer(String sql, boolean literalEscapes, Dbms dbms, boolean dollarQuotedFunc,
                 Function<String, String> funcBodyObfuscator) {
        this.sql = sql;
        this.length = sql.length();
        this.literalEscapes = literalEscapes;
        this.dbms = dbms;
        this.dollarQuotedFunc = dollarQuotedFunc;
        this.funcBodyObfuscator = funcBodyObfuscator;
    }

    /** Whether a backslash was met inside a string: the obfuscator then retries with the other escape rule. */
    boolean seenEscape() {
        return seenEscape;
    }

    /** The error behind the last {@link #LEX_ERROR}. */
    SqlObfuscationException error() {
        return error;
    }

    /** The text of the last token. */
    String text() {
        return text != null ? text : sql.substring(textStart, textEnd);
    }

    /** Appends the text of the last token without copying it first. */
    void appendText(StringBuilder out) {
        if (text != null) {
            out.append(text);
        } else {
            out.append(sql, textStart, textEnd);
        }
    }

    /** The first character of the last token, or -1 if it is empty. */
    int firstCodePoint() {
        if (text != null) {
            return text.isEmpty() ? -1 : text.codePointAt(0);
        }
        return textStart < textEnd ? sql.codePointAt(textStart) : -1;
    }

    /** Reads the next token and returns its kind; {@link #END} at the end, {@link #LEX_ERROR} on bad input. */
    int scan() {
        if (!started) {
            started = true;
            advance();
        }
        skipBlank();
        int ch = lastChar;
        if (isLeadingLetter(ch) && !(dbms == Dbms.POSTGRESQL && ch == '@')) {
            return scanIdentifier();
        }
        if (isDigit(ch)) {
            return scanNumber(false);
        }
        int chStart = lastStart;
        advance();
        switch (ch) {
            case END:
                return END;
            case ':':
                if (lastChar == ':') {
                    advance();
                    return take(COLON_CAST);
                }
                if (isSpace(lastChar)) {
                    return take(':'); // e.g. "autovacuum: VACUUM ..."
                }
                if (lastChar != '=') {
                    return scanBindVar();
                }
                return take(':'); // ":=" is ':' then '='
            case '~':
                if (lastChar == '*') {
                    advance();
                }
                return take('~');
            case '?':
                if (dbms == Dbms.POSTGRESQL) {
                    if (lastChar == '|') {
                        advance();
                        return take(JSON_ANY_KEYS_EXIST);
                    }
                    if (lastChar == '&') {
                        advance();
                        return take(JSON_ALL_KEYS_EXIST);
                    }
                    return take(JSON_KEY_EXISTS);
                }
                return take('?');
            case '=', ',', ';', '(', ')', '+', '*', '&', '|', '^', ']':
                return take(ch);
            case '[':
                if (dbms == Dbms.MSSQL) {
                    return scanString(']', DOUBLE_QUOTED_STRING);
                }
                return take('[');
            case '.':
                if (isDigit(lastChar)) {
                    return scanNumber(true);
                }
                return take('.');
            case '/':
                if (lastChar == '/') {
                    advance();
                    return scanLineComment();
                }
                if (lastChar == '*') {
                    advance();
                    return scanBlockComment();
                }
                return take('/');
            case '-':
                return scanAfterMinus();
            case '#':
                return scanAfterHash();
            case '<':
                if (lastChar == '>') {
                    advance();
                    return take(NE);
                }
                if (lastChar == '=') {
                    advance();
                    if (lastChar == '>') {
                        advance();
                        return take(NULL_SAFE_EQUAL);
                    }
                    return take(LE);
                }
                if (lastChar == '@' && dbms == Dbms.POSTGRESQL) {
                    advance();
                    return take(JSON_CONTAINS_LEFT);
                }
                return take('<');
            case '>':
                if (lastChar == '=') {
                    advance();
                    return take(GE);
                }
                return take('>');
            case '!':
                if (lastChar == '=') {
                    advance();
                    return take(NE);
                }
                if (lastChar == '~') {
                    advance();
                    if (lastChar == '*') {
                        advance();
                    }
                    return take(NE);
                }
                if (isValidCharAfterOperator(lastChar)) {
                    return take(NOT);
                }
                return fail(Reason.UNEXPECTED_CHARACTER, "unexpected " + describe(lastChar) + " after '!'");
            case '\'':
                return scanString('\'', STRING);
            case '"':
                return scanString('"', DOUBLE_QUOTED_STRING);
            case '`':
                return scanString('`', ID);
            case '%':
                if (lastChar == '(') {
                    return scanVariableIdentifier();
                }
                if (isLetter(lastChar)) {
                    advance(); // a format parameter such as %s
                    return take(VARIABLE);
                }
                return take('%'); // modulo
            case '$':
                return scanAfterDollar();
            case '@':
                // Only PostgreSQL gets here: elsewhere '@' starts an identifier.
                if (lastChar == '>') {
                    advance();
                    return take(JSON_CONTAINS);
                }
                return take('@');
            case '{':
                if (chStart == 0 || curlys > 0) {
                    // A top-level JDBC escape such as {call proc(?)} keeps its shape rather than becoming one '?'.
                    curlys++;
                    return take('{');
                }
                return scanEscapeSequence();
            case '}':
                if (curlys == 0) {
                    return fail(Reason.UNEXPECTED_CHARACTER, "unexpected '}' outside an escape sequence");
                }
                curlys--;
                return take('}');
            default:
                return fail(Reason.UNEXPECTED_CHARACTER, "unexpected " + describe(ch));
        }
    }

    private int scanAfterMinus() {
        if (lastChar == '-') {
            advance();
            return scanLineComment();
        }
        if (lastChar == '>') {
            if (dbms == Dbms.POSTGRESQL) {
                advance();
                if (lastChar == '>') {
                    advance();
                    return take(JSON_SELECT_TEXT);
                }
                return take(JSON_SELECT);
            }
            // The Agent falls through to the number case here: "a -> b" reads '-' as a number.
            return scanNumber(false);
        }
        if (isDigit(lastChar)) {
            return scanNumber(false);
        }
        if (lastChar == '.') {
            advance();
            if (isDigit(lastChar)) {
                return scanNumber(true);
            }
            // The Agent puts '.' back as the current character without moving its read position back: the '-' token
            // takes the '.', and the character after it is read again under the '.' ("-.x" gives "-." then "x").
            lastStart = (lastChar == END ? length : offset) - 1;
            offset = lastStart + 1;
            lastChar = '.';
        }
        return take('-');
    }

    private int scanAfterHash() {
        if (dbms == Dbms.MSSQL) {
            return scanIdentifier(); // #temp and ##global tables
        }
        if (dbms == Dbms.POSTGRESQL) {
            if (lastChar == '>') {
                advance();
                if (lastChar == '>') {
                    advance();
                    return take(JSON_SELECT_PATH_TEXT);
                }
                return take(JSON_SELECT_PATH);
            }
            if (lastChar == '-') {
                advance();
                return take(JSON_DELETE);
            }
            return take('#');
        }
        // A MySQL comment. The Agent skips the character after '#' unread, even a newline.
        advance();
        return scanLineComment();
    }

    private int scanAfterDollar() {
        if (isDigit(lastChar)) {
            return scanPreparedStatement();
        }
        if (dbms == Dbms.MSSQL && isLetter(lastChar)) {
            return scanIdentifier(); // $action in MERGE ... OUTPUT
        }
        int kind = scanDollarQuotedString();
        if (kind == DOLLAR_QUOTED_FUNC) {
            String body = funcBodyObfuscator.apply(text);
            if (body == null) {
                return DOLLAR_QUOTED_STRING;
            }
            text = "$func$" + body + "$func$";
        }
        return kind;
    }

    private void skipBlank() {
        while (isSpace(lastChar)) {
            advance();
        }
        tokenStart = lastStart;
    }

    private void advance() {
        if (offset >= length) {
            lastChar = END;
            lastStart = length;
            return;
        }
        int cp = sql.codePointAt(offset);
        lastStart = offset;
        offset += Character.charCount(cp);
        lastChar = cp;
    }

    /** Ends the token before the current character and returns its kind. */
    private int take(int kind) {
        textStart = tokenStart;
        textEnd = lastStart;
        text = null;
        tokenStart = lastStart;
        return kind;
    }

    private int fail(Reason reason, String detail) {
        if (error == null) {
            error = new SqlObfuscationException(reason, lastStart, detail);
        }
        return LEX_ERROR;
    }

    private int scanIdentifier() {
        advance(); // the first character, whatever it is (after '#' or '$' this may not be a letter)
        while (isLetter(lastChar) || isDigit(lastChar) || lastChar == '.' || lastChar == '*' || lastChar == '$') {
            advance();
        }
        take(ID);
        return keyword(textStart, textEnd);
    }

    private int scanVariableIdentifier() {
        do {
            advance();
        } while (lastChar != ')' && lastChar != END);
        advance();
        if (!isLetter(lastChar)) {
            return fail(Reason.UNEXPECTED_CHARACTER, "unexpected " + describe(lastChar) + " after a variable");
        }
        advance();
        return take(VARIABLE);
    }

    private int scanPreparedStatement() {
        int kind = scanNumber(false);
        return kind == LEX_ERROR ? LEX_ERROR : PREPARED_STATEMENT;
    }

    private int scanEscapeSequence() {
        while (lastChar != '}' && lastChar != END) {
            advance();
        }
        if (lastChar == END) {
            return fail(Reason.UNTERMINATED_ESCAPE_SEQUENCE, "escape sequence without '}'");
        }
        advance();
        return take(ESCAPE_SEQUENCE);
    }

    private int scanBindVar() {
        int kind = VALUE_ARG;
        if (lastChar == ':') {
            kind = LIST_ARG;
            advance();
        }
        if (!isLetter(lastChar) && !isDigit(lastChar)) {
            return fail(Reason.UNEXPECTED_CHARACTER, "bind variable starting with " + describe(lastChar));
        }
        while (isLetter(lastChar) || isDigit(lastChar) || lastChar == '.') {
            advance();
        }
        return take(kind);
    }

    private void scanMantissa(int base) {
        while (digitValue(lastChar) < base) {
            advance();
        }
    }

    private int scanNumber(boolean seenDecimalPoint) {
        if (seenDecimalPoint) {
            scanMantissa(10);
            scanExponent();
        } else if (lastChar == '0') {
            advance();
            if (lastChar == 'x' || lastChar == 'X') {
                advance();
                scanMantissa(16);
            } else {
                scanMantissa(8);
                if (lastChar == '8' || lastChar == '9') {
                    scanMantissa(10);
                }
                if (lastChar == '.' || lastChar == 'e' || lastChar == 'E') {
                    scanFractionAndExponent();
                }
            }
        } else {
            scanMantissa(10);
            scanFractionAndExponent();
        }
        take(NUMBER);
        if (textStart == textEnd) {
            return fail(Reason.UNEXPECTED_CHARACTER, "empty number");
        }
        return NUMBER;
    }

    private void scanFractionAndExponent() {
        if (lastChar == '.') {
            advance();
            scanMantissa(10);
        }
        scanExponent();
    }

    private void scanExponent() {
        if (lastChar == 'e' || lastChar == 'E') {
            advance();
            if (lastChar == '+' || lastChar == '-') {
                advance();
            }
            scanMantissa(10);
        }
    }

    /**
     * A quoted string or identifier without its quotes; a doubled delimiter stands for one, and a backslash escapes
     * the next character unless escapes are literal. An empty or blank one keeps its quotes, so that {@code ""} does
     * not vanish from the query.
     */
    private int scanString(int delim, int kind) {
        StringBuilder content = new StringBuilder();
        while (true) {
            int ch = lastChar;
            advance();
            if (ch == delim) {
                if (lastChar == delim) {
                    advance();
                } else {
                    break;
                }
            } else if (ch == '\\') {
                seenEscape = true;
                if (!literalEscapes) {
                    ch = lastChar;
                    advance();
                }
            }
            if (ch == END) {
                return fail(Reason.UNTERMINATED_STRING, "quoted text without its closing "
                        + describe(delim));
            }
            content.appendCodePoint(ch);
        }
        if ((kind == ID && content.isEmpty()) || isBlank(content)) {
            text = new StringBuilder(2).appendCodePoint(delim).appendCodePoint(delim).toString();
        } else {
            text = content.toString();
        }
        return kind;
    }

    /** A PostgreSQL {@code $tag$...$tag$} string; its text is the body. */
    private int scanDollarQuotedString() {
        if (scanString('$', STRING) == LEX_ERROR) {
            return LEX_ERROR;
        }
        // An empty tag comes back as "$$" from scanString, which is the delimiter itself.
        String delimiter = text.equals("$$") ? "$$" : "$" + text + "$";
        int[] delim = delimiter.codePoints().toArray();
        StringBuilder body = new StringBuilder();
        int matched = 0;
        while (true) {
            int ch = lastChar;
            advance();
            if (ch == END) {
                return fail(Reason.UNTERMINATED_STRING, "dollar-quoted string without its closing tag");
            }
            if (ch == delim[matched]) {
                matched++;
                if (matched == delim.length) {
                    break;
                }
                continue;
            }
            // As in the Agent, a partial match is not re-tried from this character.
            for (int i = 0; i < matched; i++) {
                body.appendCodePoint(delim[i]);
            }
            matched = 0;
            body.appendCodePoint(ch);
        }
        text = body.toString();
        return dollarQuotedFunc && delimiter.equals("$func$") ? DOLLAR_QUOTED_FUNC : DOLLAR_QUOTED_STRING;
    }

    private int scanLineComment() {
        while (lastChar != END) {
            if (lastChar == '\n') {
                advance();
                break;
            }
            advance();
        }
        return take(COMMENT);
    }

    private int scanBlockComment() {
        while (true) {
            if (lastChar == '*') {
                advance();
                if (lastChar == '/') {
                    advance();
                    break;
                }
                continue;
            }
            if (lastChar == END) {
                return fail(Reason.UNTERMINATED_COMMENT, "comment without '*/'");
            }
            advance();
        }
        return take(COMMENT);
    }

    /** The keyword the source range spells, ignoring case as Go's per-character upper-casing does, else ID. */
    private int keyword(int start, int end) {
        return switch (end - start) {
            case 2 -> is("AS", start) ? AS : ID;
            case 4 -> is("NULL", start) ? NULL : is("TRUE", start) ? BOOLEAN_LITERAL : is("DROP", start) ? DROP
                    : is("FROM", start) ? FROM : is("INTO", start) ? INTO : is("JOIN", start) ? JOIN : ID;
            case 5 -> is("FALSE", start) ? BOOLEAN_LITERAL : is("LIMIT", start) ? LIMIT : is("ALTER", start) ? ALTER
                    : is("GRANT", start) ? GRANT : is("BEGIN", start) ? BEGIN : ID;
            case 6 -> is("CREATE", start) ? CREATE : is("REVOKE", start) ? REVOKE : is("COMMIT", start) ? COMMIT
                    : is("SELECT", start) ? SELECT : is("UPDATE", start) ? UPDATE : is("DELETE", start) ? DELETE
                    : is("INSERT", start) ? INSERT : ID;
            case 8 -> is("TRUNCATE", start) ? TRUNCATE : ID;
            case 9 -> is("SAVEPOINT", start) ? SAVEPOINT : ID;
            default -> ID;
        };
    }

    private boolean is(String keyword, int start) {
        for (int i = 0; i < keyword.length(); i++) {
            if (Character.toUpperCase(sql.charAt(start + i)) != keyword.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBlank(CharSequence s) {
        for (int i = 0; i < s.length(); ) {
            int cp = Character.codePointAt(s, i);
            if (!isSpace(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static String describe(int ch) {
        return ch == END ? "end of query" : String.format("U+%04X", ch);
    }

    static boolean isLeadingLetter(int ch) {
        return ch == '_' || ch == '@' || (ch < END && Character.isLetter(ch));
    }

    static boolean isLetter(int ch) {
        return ch == '#' || isLeadingLetter(ch);
    }

    static boolean isDigit(int ch) {
        return ch >= '0' && ch <= '9';
    }

    private static int digitValue(int ch) {
        if (ch >= '0' && ch <= '9') {
            return ch - '0';
        }
        if (ch >= 'a' && ch <= 'f') {
            return ch - 'a' + 10;
        }
        if (ch >= 'A' && ch <= 'F') {
            return ch - 'A' + 10;
        }
        return 16;
    }

    private static boolean isValidCharAfterOperator(int c) {
        return c == '(' || c == '`' || c == '\'' || c == '"' || c == '+' || c == '-' || isSpace(c) || isLetter(c)
                || isDigit(c);
    }

    static boolean isSpace(int c) {
        return GoStrings.isSpace(c);
    }
}
