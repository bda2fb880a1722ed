package io.pilotfish.collector.apm.obfuscate;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the trace-agent obfuscates in each span ({@code pkg/trace/agent/obfuscate.go}), by span type, with the
 * configured obfuscators:
 * <ul>
 *   <li>every string tag: card numbers, unless the tag is known not to hold one (on by default);</li>
 *   <li>{@code sql}, {@code cassandra}: the resource, and {@code sql.query}, {@code db.statement},
 *       {@code db.query.text} when present; {@value SqlObfuscator#NON_PARSABLE} for what cannot be read; an empty
 *       {@code sql.query} is removed; {@code sql.tables} with the {@code table_names} feature;</li>
 *   <li>{@code redis}, {@code valkey}: the resource quantised to command names, always; the raw command's values;</li>
 *   <li>{@code memcached}: the command's data (the whole value by default);</li>
 *   <li>{@code web}, {@code http}: {@code http.url};</li>
 *   <li>{@code mongodb}: {@code mongodb.query}; {@code elasticsearch}, {@code opensearch}: {@code elasticsearch.body}
 *       and {@code opensearch.body}.</li>
 * </ul>
 * Thread-safe; one instance for the whole agent (the SQL cache and escape rule are shared, as in the Agent).
 */
public final class TraceObfuscator {

    public static final String TAG_SQL_QUERY = "sql.query";
    public static final String TAG_DB_STATEMENT = "db.statement";
    public static final String TAG_DB_QUERY_TEXT = "db.query.text";
    public static final String TAG_SQL_TABLES = "sql.tables";
    public static final String TAG_REDIS_RAW_COMMAND = "redis.raw_command";
    public static final String TAG_VALKEY_RAW_COMMAND = "valkey.raw_command";
    public static final String TAG_MEMCACHED_COMMAND = "memcached.command";
    public static final String TAG_HTTP_URL = "http.url";
    public static final String TAG_MONGODB_QUERY = "mongodb.query";
    public static final String TAG_ELASTICSEARCH_BODY = "elasticsearch.body";
    public static final String TAG_OPENSEARCH_BODY = "opensearch.body";

    private static final String[] SQL_QUERY_TAGS = {TAG_SQL_QUERY, TAG_DB_STATEMENT, TAG_DB_QUERY_TEXT};

    private final ObfuscationConfig config;
    private final SqlObfuscator sql;
    private final UrlObfuscator url;
    private final CreditCardObfuscator creditCards; // null when off
    private final JsonObfuscator mongodb;            // null when off
    private final JsonObfuscator elasticsearch;      // null when off
    private final JsonObfuscator opensearch;         // null when off

    public TraceObfuscator(ObfuscationConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.sql = new SqlObfuscator(config.sql(), config.cache().enabled() ? config.cache().maxSizeBytes() : 0);
        this.url = new UrlObfuscator(config.http());
        this.creditCards = config.creditCards().enabled() ? new CreditCardObfuscator(config.creditCards()) : null;
        this.mongodb = config.mongodb().enabled() ? new JsonObfuscator(config.mongodb(), sql) : null;
        this.elasticsearch = config.elasticsearch().enabled() ? new JsonObfuscator(config.elasticsearch(), sql) : null;
        this.opensearch = config.opensearch().enabled() ? new JsonObfuscator(config.opensearch(), sql) : null;
    }

    /**
     * A span's resource and string tags after obfuscation.
     *
     * @param resource the new resource (the same instance if unchanged)
     * @param meta     the new tags: the map given if nothing changed, else a new mutable map
     */
    public record ObfuscatedSpan(String resource, Map<String, String> meta) {
    }

    /**
     * Obfuscates one span as the trace-agent does. The map given is never changed.
     *
     * @param type     the span's type ({@code sql}, {@code redis}, {@code web}, ...)
     * @param resource the span's resource
     * @param meta     the span's string tags
     */
    public ObfuscatedSpan obfuscate(String type, String resource, Map<String, String> meta) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(resource, "resource");
        Tags tags = new Tags(meta);
        if (creditCards != null) {
            for (Map.Entry<String, String> tag : meta.entrySet()) {
                if (creditCards.shouldScan(tag.getKey())) {
                    String value = tag.getValue();
                    String scrubbed = creditCards.obfuscate(value);
                    if (scrubbed != value) {
                        tags.put(tag.getKey(), scrubbed);
                    }
                }
            }
        }
        String newResource = resource;
        switch (type) {
            case "sql", "cassandra" -> newResource = obfuscateSqlSpan(resource, tags);
            case "redis", "valkey" -> {
                newResource = RedisObfuscator.quantize(resource);
                boolean redis = type.equals("redis");
                ObfuscationConfig.RedisSettings settings = redis ? config.redis() : config.valkey();
                String tag = redis ? TAG_REDIS_RAW_COMMAND : TAG_VALKEY_RAW_COMMAND;
                String command = tags.get(tag);
                if (settings.enabled() && command != null && !command.isEmpty()) {
                    tags.put(tag, settings.removeAllArgs() ? RedisObfuscator.removeAllArgs(command)
                            : RedisObfuscator.obfuscate(command));
                }
            }
            case "memcached" -> {
                String command = tags.get(TAG_MEMCACHED_COMMAND);
                if (config.memcached().enabled() && command != null && !command.isEmpty()) {
                    tags.put(TAG_MEMCACHED_COMMAND,
                            MemcachedObfuscator.obfuscate(command, config.memcached().keepCommand()));
                }
            }
            case "web", "http" -> {
                String value = tags.get(TAG_HTTP_URL);
                if (value != null && !value.isEmpty()) {
                    tags.put(TAG_HTTP_URL, url.obfuscate(value));
                }
            }
            case "mongodb" -> obfuscateJson(mongodb, TAG_MONGODB_QUERY, tags);
            case "elasticsearch", "opensearch" -> {
                obfuscateJson(elasticsearch, TAG_ELASTICSEARCH_BODY, tags);
                obfuscateJson(opensearch, TAG_OPENSEARCH_BODY, tags);
            }
            default -> {
            }
        }
        return new ObfuscatedSpan(newResource, tags.result());
    }

    /**
     * The resource of a stats group from a tracer's {@code /v0.6/stats} payload: SQL obfuscated (or
     * {@value SqlObfuscator#NON_PARSABLE}), Redis and Valkey quantised, others unchanged.
     */
    public String obfuscateStatsResource(String type, String resource) {
        return switch (type) {
            case "sql", "cassandra" -> obfuscateSqlOrNonParsable(resource);
            case "redis", "valkey" -> RedisObfuscator.quantize(resource);
            default -> resource;
        };
    }

    /** The card scrubber for span event attributes, or null when {@code credit_cards} is off. */
    public CreditCardObfuscator creditCards() {
        return creditCards;
    }

    /** The shared SQL obfuscator. */
    public SqlObfuscator sql() {
        return sql;
    }

    public ObfuscationConfig config() {
        return config;
    }

    private String obfuscateSqlSpan(String resource, Tags tags) {
        if (resource.isEmpty()) {
            obfuscateSqlTags(tags, "", "");
            return resource;
        }
        ObfuscatedSql result;
        try {
            result = sql.obfuscate(resource);
        } catch (SqlObfuscationException e) {
            obfuscateSqlTags(tags, resource, SqlObfuscator.NON_PARSABLE);
            return SqlObfuscator.NON_PARSABLE;
        }
        obfuscateSqlTags(tags, resource, result.query());
        if (!result.tablesCsv().isEmpty()) {
            tags.put(TAG_SQL_TABLES, result.tablesCsv());
        }
        return result.query();
    }

    /** A query tag equal to the resource gets the resource's result; any other is obfuscated on its own. */
    private void obfuscateSqlTags(Tags tags, String rawResource, String obfuscatedResource) {
        for (String tag : SQL_QUERY_TAGS) {
            String value = tags.get(tag);
            if (value == null) {
                continue;
            }
            if (value.isEmpty()) {
                if (tag.equals(TAG_SQL_QUERY)) {
                    tags.remove(tag); // the intake then derives db.statement from the resource
                }
                continue;
            }
            tags.put(tag, value.equals(rawResource) ? obfuscatedResource : obfuscateSqlOrNonParsable(value));
        }
    }

    private String obfuscateSqlOrNonParsable(String query) {
        try {
            return sql.obfuscate(query).query();
        } catch (SqlObfuscationException e) {
            return SqlObfuscator.NON_PARSABLE;
        }
    }

    private static void obfuscateJson(JsonObfuscator obfuscator, String tag, Tags tags) {
        String value = tags.get(tag);
        if (obfuscator != null && value != null && !value.isEmpty()) {
            tags.put(tag, obfuscator.obfuscate(value));
        }
    }

    /** The span's tags, copied on the first change only. */
    private static final class Tags {
        private final Map<String, String> original;
        private Map<String, String> changed;

        Tags(Map<String, String> original) {
            this.original = original;
        }

        String get(String key) {
            return (changed != null ? changed : original).get(key);
        }

        void put(String key, String value) {
            if (changed == null) {
                if (Objects.equals(original.get(key), value)) {
                    return;
                }
                changed = new HashMap<>(original);
            }
            changed.put(key, value);
        }

        void remove(String key) {
            if (changed == null) {
                if (!original.containsKey(key)) {
                    return;
                }
                changed = new HashMap<>(original);
            }
            changed.remove(key);
        }

        Map<String, String> result() {
            return changed != null ? changed : original;
        }
    }
}
