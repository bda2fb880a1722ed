package io.pilotfish.collector.apm.obfuscate;

/**
 * A query the Agent's SQL obfuscator cannot read. The trace-agent then replaces the resource (and the query tags) with
 * {@value SqlObfuscator#NON_PARSABLE}, so nothing of the query leaks. Thrown at whatever rate applications send such
 * queries, so it carries no stack trace; the message never quotes the query.
 */
public final class SqlObfuscationException extends Exception {

    /** Why, for a counter. */
    public enum Reason {
        /** A quoted string, identifier or dollar-quoted string without its closing quote. */
        UNTERMINATED_STRING,
        /** A block comment without its closing marker. */
        UNTERMINATED_COMMENT,
        /** A {@code {fn ...}} escape sequence without its closing brace. */
        UNTERMINATED_ESCAPE_SEQUENCE,
        /** A character the tokenizer does not accept there, e.g. {@code !*} or a lone {@code \}. */
        UNEXPECTED_CHARACTER,
        /** Tokens the filters cannot accept, e.g. a non-identifier inside a bracketed alias. */
        UNEXPECTED_TOKEN,
        /** Nothing was left after comments and the like were removed (an empty or comment-only query). */
        EMPTY_RESULT
    }

    private final Reason reason;
    private final int position;

    SqlObfuscationException(Reason reason, int position, String detail) {
        super(detail + (position >= 0 ? " at character " + position : ""), null, false, false);
        this.reason = reason;
        this.position = position;
    }

    public Reason reason() {
        return reason;
    }

    /** Where in the query (a char index), or -1 when the problem is the whole query. */
    public int position() {
        return position;
    }
}
