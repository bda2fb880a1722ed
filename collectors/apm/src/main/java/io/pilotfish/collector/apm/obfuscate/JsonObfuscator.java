package io.pilotfish.collector.apm.obfuscate;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.JsonSettings;
import java.util.Objects;
import java.util.Set;

/**
 * The Datadog Agent's JSON obfuscator ({@code pkg/obfuscate/json.go}) for MongoDB queries and Elasticsearch/OpenSearch
 * bodies: every value becomes {@code "?"}, keys stay; the values under a key in {@code keep_values} stay whole; the
 * string under a key in {@code obfuscate_sql_values} goes through SQL obfuscation. Blanks outside strings are
 * dropped.
 *
 * <p>Truncated or invalid JSON is not an error: what was read is returned, obfuscated, followed by {@code ...}, as the
 * Agent does (tracers cut long bodies). Several documents in a row are each obfuscated. One pass, constant work per
 * character, nesting bounded by the scanner. Thread-safe.
 */
public final class JsonObfuscator {

    /** Written in place of a value the SQL obfuscator rejected, as the Agent writes it. */
    static final String SQL_FAILED = "Datadog-agent failed to obfuscate SQL string. Enable agent debug logs for more "
            + "info.";

    private final Set<String> keepKeys;
    private final Set<String> sqlKeys;
    private final SqlObfuscator sql;

    /** @param sql the obfuscator for {@code obfuscate_sql_values} keys */
    public JsonObfuscator(JsonSettings settings, SqlObfuscator sql) {
        this.keepKeys = settings.keepValues();
        this.sqlKeys = settings.obfuscateSqlValues();
        this.sql = Objects.requireNonNull(sql, "sql");
    }

    /** The body with its values obfuscated; the empty string stays empty. */
    public String obfuscate(String json) {
        if (json.isEmpty()) {
            return json;
        }
        JsonScanner scanner = new JsonScanner();
        StringBuilder out = new StringBuilder(json.length());
        StringBuilder token = new StringBuilder(); // the key, or the SQL value, being read
        boolean[] closures = new boolean[16]; // true for an object, false for an array
        int closureCount = 0;
        int keepDepth = 0;      // the depth at which keeping stops
        boolean key = false;    // reading a key
        boolean wiped = false;  // "?" already written for the current value
        boolean keeping = false;
        boolean transforming = false; // collecting a string for SQL obfuscation
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            int op = scanner.step(c);
            int depth = closureCount;
            switch (op) {
                case JsonScanner.BEGIN_OBJECT, JsonScanner.BEGIN_ARRAY -> {
                    if (closureCount == closures.length) {
                        closures = java.util.Arrays.copyOf(closures, closureCount * 2);
                    }
                    closures[closureCount++] = op == JsonScanner.BEGIN_OBJECT;
                    key = op == JsonScanner.BEGIN_OBJECT;
                    wiped = false;
                    transforming = false;
                }
                case JsonScanner.END_ARRAY, JsonScanner.END_OBJECT, JsonScanner.OBJECT_VALUE,
                     JsonScanner.ARRAY_VALUE -> {
                    if ((op == JsonScanner.END_ARRAY || op == JsonScanner.END_OBJECT) && closureCount > 1) {
                        closureCount--; // as in the Agent, the outermost closure is never taken off
                    }
                    key = closureCount == 0 || closures[closureCount - 1];
                    wiped = false;
                    if (transforming) {
                        out.append('"').append(obfuscateSql(token.toString())).append('"');
                        transforming = false;
                        token.setLength(0);
                    } else if (keeping && depth < keepDepth) {
                        keeping = false;
                    }
                }
                case JsonScanner.BEGIN_LITERAL, JsonScanner.CONTINUE -> {
                    if (transforming) {
                        token.append(c);
                        continue;
                    }
                    if (key) {
                        token.append(c);
                    } else if (!keeping) {
                        if (!wiped) {
                            out.append("\"?\"");
                            wiped = true;
                        }
                        continue;
                    }
                }
                case JsonScanner.OBJECT_KEY -> {
                    String name = trimQuotes(token);
                    if (!keeping && keepKeys.contains(name)) {
                        keeping = true;
                        keepDepth = depth + 1;
                    } else if (!transforming && sqlKeys.contains(name)) {
                        transforming = true;
                    }
                    token.setLength(0);
                    key = false;
                }
                case JsonScanner.SKIP_SPACE -> {
                    continue;
                }
                case JsonScanner.ERROR -> {
                    return out.append("...").toString();
                }
                default -> {
                }
            }
            out.append(c);
        }
        if (scanner.eof() == JsonScanner.ERROR) {
            out.append("...");
        }
        return out.toString();
    }

    private String obfuscateSql(String quoted) {
        String value = GoUnquote.unquote(quoted);
        try {
            return sql.obfuscate(value == null ? quoted : value).query();
        } catch (SqlObfuscationException e) {
            return SQL_FAILED;
        }
    }

    /** The key without the quotes around it (all of them, as Go's {@code bytes.Trim}). */
    private static String trimQuotes(CharSequence key) {
        int start = 0;
        int end = key.length();
        while (start < end && key.charAt(start) == '"') {
            start++;
        }
        while (end > start && key.charAt(end - 1) == '"') {
            end--;
        }
        return key.subSequence(start, end).toString();
    }
}
