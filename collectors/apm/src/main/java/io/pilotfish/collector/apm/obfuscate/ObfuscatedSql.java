package io.pilotfish.collector.apm.obfuscate;

import java.util.Objects;

/**
 * An obfuscated query.
 *
 * @param query     the query with its literals replaced by {@code ?}, comments and aliases dropped, one space between
 *                  tokens: the span's new resource
 * @param tablesCsv the tables it reads or writes, comma-separated, for the {@code sql.tables} tag; empty unless the
 *                  {@code table_names} feature is on
 */
public record ObfuscatedSql(String query, String tablesCsv) {
    public ObfuscatedSql {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(tablesCsv, "tablesCsv");
    }
}
