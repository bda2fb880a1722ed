package io.pilotfish.collector.apm.obfuscate;

import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.AS;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.BOOLEAN_LITERAL;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.COMMENT;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.DELETE;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.DOLLAR_QUOTED_STRING;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.DOUBLE_QUOTED_STRING;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.END;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.ESCAPE_SEQUENCE;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.FILTERED;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.FILTERED_BRACKETED_IDENTIFIER;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.FILTERED_GROUPABLE;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.FILTERED_GROUPABLE_PARENTHESIS;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.FROM;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.ID;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.INTO;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.JOIN;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.LEX_ERROR;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.NULL;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.NUMBER;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.PREPARED_STATEMENT;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.SAVEPOINT;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.SELECT;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.STRING;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.TABLE_NAME;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.UPDATE;
import static io.pilotfish.collector.apm.obfuscate.SqlTokenizer.VARIABLE;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.SqlSettings;
import io.pilotfish.collector.apm.obfuscate.SqlObfuscationException.Reason;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The Datadog Agent's default SQL obfuscator ({@code pkg/obfuscate/sql.go}, the tokenizer path that runs when no
 * go-sqllexer mode is set): string, number, boolean and null literals, bind variables like {@code $1} and
 * {@code %(name)s}, and escape sequences become {@code ?}; lists such as {@code IN (1, 2, 3)} and repeated
 * {@code VALUES (...), (...)} groups collapse to {@code ( ? )}; comments, {@code AS} aliases and {@code ;} go; quoted
 * identifiers lose their quotes; tokens are joined by one space.
 *
 * <p>Whether a backslash escapes the next character in a string differs between databases. As the Agent does, a query
 * that fails to tokenize after a backslash was seen is retried with the other rule, and the rule that worked becomes
 * the one tried first from then on (shared by all threads).
 *
 * <p>Thread-safe. Time linear in the query.
 */
public final class SqlObfuscator {

    /** What the trace-agent puts in place of a query it cannot obfuscate. */
    public static final String NON_PARSABLE = "Non-parsable SQL query";

    private static final String QUESTION_MARK = "?";

    private final SqlSettings settings;
    private final ObfuscationCache<ObfuscatedSql> cache; // null when off
    private volatile boolean literalEscapes;

    /** @param cacheBytes the budget of the result cache; 0 for none */
    public SqlObfuscator(SqlSettings settings, long cacheBytes) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.cache = cacheBytes > 0 ? new ObfuscationCache<>(cacheBytes) : null;
    }

    /** The Agent's tokenizer with no feature flags and no cache. */
    public static SqlObfuscator withDefaults() {
        return new SqlObfuscator(SqlSettings.defaults(), 0);
    }

    /** Obfuscates a query with no dialect, as the trace-agent does for every span by default. */
    public ObfuscatedSql obfuscate(String query) throws SqlObfuscationException {
        return obfuscate(query, Dbms.GENERIC);
    }

    /**
     * Obfuscates a query following a dialect's rules.
     *
     * @throws SqlObfuscationException when the query cannot be tokenized or nothing is left of it
     */
    public ObfuscatedSql obfuscate(String query, Dbms dbms) throws SqlObfuscationException {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(dbms, "dbms");
        String key = null;
        if (cache != null) {
            key = dbms == Dbms.GENERIC ? query : dbms.ordinal() + "\u0000" + query;
            ObfuscatedSql cached = cache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        ObfuscatedSql result = obfuscateUncached(query, dbms);
        if (cache != null) {
            long cost = ObfuscationCache.ENTRY_OVERHEAD + key.length() + result.query().length()
                    + result.tablesCsv().length();
            cache.put(key, result, cost);
        }
        return result;
    }

    /** How many results the cache holds now (0 without a cache), for tests and status. */
    int cachedResults() {
        return cache == null ? 0 : cache.size();
    }

    /** Whether backslashes are currently read literally first (the rule learnt from earlier queries). */
    boolean literalEscapes() {
        return literalEscapes;
    }

    void literalEscapes(boolean literal) {
        literalEscapes = literal;
    }

    private ObfuscatedSql obfuscateUncached(String query, Dbms dbms) throws SqlObfuscationException {
        boolean literal = literalEscapes;
        SqlTokenizer first = tokenizer(query, literal, dbms);
        try {
            return attempt(first, query.length());
        } catch (SqlObfuscationException e) {
            if (!first.seenEscape()) {
                throw e;
            }
            ObfuscatedSql retried;
            try {
                retried = attempt(tokenizer(query, !literal, dbms), query.length());
            } catch (SqlObfuscationException ignored) {
                throw e; // the first error, as the Agent reports it
            }
            literalEscapes = !literal;
            return retried;
        }
    }

    private SqlTokenizer tokenizer(String query, boolean literal, Dbms dbms) {
        return new SqlTokenizer(query, literal, dbms, settings.dollarQuotedFunc(),
                body -> obfuscateFuncBody(body, literal, dbms));
    }

    /** A {@code $func$} body is obfuscated as a query of its own (without retry); null if it cannot be. */
    private String obfuscateFuncBody(String body, boolean literal, Dbms dbms) {
        SqlTokenizer tokenizer = new SqlTokenizer(body, literal, dbms, settings.dollarQuotedFunc(),
                inner -> null); // a body cannot hold another $func$: the delimiter would have ended it
        try {
            return attempt(tokenizer, body.length()).query();
        } catch (SqlObfuscationException e) {
            return null;
        }
    }

    /**
     * Runs the tokens through the Agent's four filters in its order (metadata, discard, replace, grouping), each
     * seeing the kind the previous token ended with, and joins what is left.
     */
    private ObfuscatedSql attempt(SqlTokenizer tokenizer, int inputLength) throws SqlObfuscationException {
        StringBuilder out = new StringBuilder(inputLength);
        Tables tables = settings.tableNames() ? new Tables(settings.replaceDigits()) : null;
        Token t = new Token(tokenizer);
        int lastToken = 0;
        int groupFilter = 0; // values in the current group: 3 for "?, ?, ?"
        int groupMulti = 0;  // groups in a row: 2 for "( ? ), ( ? )"
        while (true) {
            int token = tokenizer.scan();
            if (token == END) {
                break;
            }
            if (token == LEX_ERROR) {
                throw tokenizer.error();
            }
            t.reset();

            // Metadata: the token after FROM, JOIN, UPDATE or INTO names a table.
            if (tables != null) {
                boolean table = switch (lastToken) {
                    case FROM, JOIN -> Character.isLetter(t.firstCodePoint()); // not "FROM (SELECT ..."
                    case UPDATE, INTO -> true;
                    default -> false;
                };
                if (table) {
                    tables.add(t.text());
                    token = TABLE_NAME;
                }
            }

            // Discard: comments, ';', AS and its alias (with an MSSQL [bracketed alias]).
            boolean decided = false;
            if (lastToken == FILTERED_BRACKETED_IDENTIFIER && token != ']') {
                if (token != ID) {
                    throw new SqlObfuscationException(Reason.UNEXPECTED_TOKEN, -1,
                            "expected an identifier inside a bracketed alias");
                }
                token = FILTERED_BRACKETED_IDENTIFIER;
                t.drop();
                decided = true;
            } else if (lastToken == AS || lastToken == FILTERED_BRACKETED_IDENTIFIER) {
                if (token == '[') {
                    token = FILTERED_BRACKETED_IDENTIFIER;
                    t.drop();
                } else if (!settings.keepSqlAlias()) {
                    token = FILTERED;
                    t.drop();
                }
                decided = true;
            }
            if (!decided) {
                if (token == COMMENT) {
                    token = FILTERED;
                    t.drop();
                } else if (token == ';') {
                    token = FILTERED_GROUPABLE;
                    t.drop();
                } else if (token == AS && !settings.keepSqlAlias()) {
                    t.drop();
                }
            }

            // Replace: literals become '?'.
            if (lastToken == SAVEPOINT || (lastToken == '=' && token == DOUBLE_QUOTED_STRING)) {
                token = markGroupable(token);
                t.replace(QUESTION_MARK);
            } else {
                switch (token) {
                    case DOLLAR_QUOTED_STRING, STRING, NUMBER, NULL, VARIABLE, PREPARED_STATEMENT, BOOLEAN_LITERAL,
                         ESCAPE_SEQUENCE, '?' -> {
                        token = markGroupable(token);
                        t.replace(QUESTION_MARK);
                    }
                    case TABLE_NAME, ID -> {
                        if (settings.replaceDigits() && t.present()) {
                            t.replace(replaceDigits(t.text()));
                        }
                    }
                    default -> {
                    }
                }
            }

            // Grouping: one '?' per group of values, one group for repeated groups.
            if ((lastToken == '(' && isGroupable(token)) || (token == '(' && groupMulti > 0)) {
                groupMulti++;
            }
            boolean startOfSubquery = token == SELECT || token == DELETE || token == UPDATE || token == ID;
            if (groupMulti > 0 && lastToken == FILTERED_GROUPABLE_PARENTHESIS && startOfSubquery) {
                // The dropped '(' opened a subquery, not a group of values: put it back.
                groupFilter = 0;
                groupMulti = 0;
                t.replace("( " + (t.present() ? t.text() : ""));
            } else if (isGroupable(token)) {
                groupFilter++;
                if (groupFilter > 1) {
                    token = markGroupable(token);
                    t.drop();
                }
            } else if (groupFilter > 0 && (token == ',' || token == '?')) {
                token = markGroupable(token);
                t.drop();
            } else if (groupMulti > 1) {
                token = markGroupable(token);
                t.drop();
            } else if (token != ',' && token != '(' && token != ')') {
                groupFilter = 0;
                groupMulti = 0;
            }

            if (t.present()) {
                if (!out.isEmpty() && token != ',' && !(token == '=' && lastToken == ':')) {
                    out.append(' ');
                }
                t.appendTo(out);
            }
            lastToken = token;
        }
        if (out.isEmpty()) {
            throw new SqlObfuscationException(Reason.EMPTY_RESULT, -1, "nothing left of the query");
        }
        return new ObfuscatedSql(out.toString(), tables == null ? "" : tables.csv());
    }

    private static boolean isGroupable(int token) {
        return token == FILTERED_GROUPABLE || token == FILTERED_GROUPABLE_PARENTHESIS;
    }

    private static int markGroupable(int token) {
        return token == '(' ? FILTERED_GROUPABLE_PARENTHESIS : FILTERED_GROUPABLE;
    }

    /** Runs of ASCII digits become one '?': {@code jobs_2020_1597876964} gives {@code jobs_?_?}. */
    static String replaceDigits(String text) {
        StringBuilder out = null;
        boolean inDigits = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean digit = c >= '0' && c <= '9';
            if (digit && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                if (!digit) {
                    out.append(c);
                } else if (!inDigits) {
                    out.append('?');
                }
            }
            inDigits = digit;
        }
        return out == null ? text : out.toString();
    }

    /** The current token's text as the filters change it: the tokenizer's, replaced, or dropped. */
    private static final class Token {
        private final SqlTokenizer tokenizer;
        private boolean present;
        private String replaced;

        Token(SqlTokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        void reset() {
            present = true;
            replaced = null;
        }

        boolean present() {
            return present;
        }

        void drop() {
            present = false;
            replaced = null;
        }

        void replace(String text) {
            present = true;
            replaced = text;
        }

        String text() {
            return replaced != null ? replaced : tokenizer.text();
        }

        int firstCodePoint() {
            if (!present) {
                return -1;
            }
            return replaced != null ? (replaced.isEmpty() ? -1 : replaced.codePointAt(0))
                    : tokenizer.firstCodePoint();
        }

        void appendTo(StringBuilder out) {
            if (replaced != null) {
                out.append(replaced);
            } else {
                tokenizer.appendText(out);
            }
        }
    }

    /** The tables seen, each once, in order. */
    private static final class Tables {
        private final boolean replaceDigits;
        private final Set<String> seen = new HashSet<>();
        private final StringBuilder csv = new StringBuilder();

        Tables(boolean replaceDigits) {
            this.replaceDigits = replaceDigits;
        }

        void add(String name) {
            String table = replaceDigits ? replaceDigits(name) : name;
            if (seen.add(table)) {
                if (!csv.isEmpty()) {
                    csv.append(',');
                }
                csv.append(table);
            }
        }

        String csv() {
            return csv.toString();
        }
    }
}
