package io.pilotfish.collector.apm.obfuscate;

import java.util.Locale;

/**
 * The SQL dialect the tokenizer follows. The Agent's default obfuscator always runs {@link #GENERIC} for spans (it
 * passes a span's {@code db.type} on only to go-sqllexer); the others are there for callers that know the dialect.
 */
public enum Dbms {
    /** No dialect: dollar-quoted strings, backticks and {@code [x]} as plain brackets, {@code #} comments. */
    GENERIC,
    /** {@code [identifier]}, {@code #temp} tables, {@code $action}. */
    MSSQL,
    /** JSON operators ({@code ->}, {@code #>}, {@code @>}, {@code ?|}, ...) and {@code @} as an operator. */
    POSTGRESQL,
    MYSQL,
    ORACLE;

    /** The dialect named as the Agent names them ({@code mssql}, {@code postgresql}, ...); anything else is generic. */
    public static Dbms fromDbType(String dbType) {
        if (dbType == null) {
            return GENERIC;
        }
        return switch (dbType.toLowerCase(Locale.ROOT)) {
            case "mssql" -> MSSQL;
            case "postgresql" -> POSTGRESQL;
            case "mysql" -> MYSQL;
            case "oracle" -> ORACLE;
            default -> GENERIC;
        };
    }
}
