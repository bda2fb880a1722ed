package io.pilotfish.collector.apm.obfuscate;

import io.pilotfish.spi.SafeText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the trace-agent obfuscates and how, with the Datadog Agent's defaults ({@code pkg/config/setup/apm.go}) and the
 * same {@code DD_APM_*} variables. Immutable and validated when built: {@link #fromEnvironment} rejects a value the
 * Agent would silently read as false or empty, naming the variable and what it accepts.
 *
 * @param sql                  SQL and Cassandra resources (the Agent's tokenizer, whatever mode is asked for)
 * @param elasticsearch        {@code elasticsearch.body} of {@code elasticsearch}/{@code opensearch} spans
 * @param opensearch           {@code opensearch.body} of the same spans
 * @param mongodb              {@code mongodb.query} of {@code mongodb} spans
 * @param sqlExecPlan          execution plans; Database Monitoring only, kept so the variables are validated
 * @param sqlExecPlanNormalize normalised execution plans; Database Monitoring only
 * @param http                 {@code http.url} of {@code web}/{@code http} spans
 * @param redis                {@code redis.raw_command}
 * @param valkey               {@code valkey.raw_command}
 * @param memcached            {@code memcached.command}
 * @param creditCards          card numbers in any string tag
 * @param cache                the cache of obfuscated SQL
 * @param removeStackTraces    replace {@code error.stack} with {@code ?} (the Agent does it as a replace-tags rule)
 */
public record ObfuscationConfig(SqlSettings sql, JsonSettings elasticsearch, JsonSettings opensearch,
                                JsonSettings mongodb, JsonSettings sqlExecPlan, JsonSettings sqlExecPlanNormalize,
                                HttpSettings http, RedisSettings redis, RedisSettings valkey,
                                MemcachedSettings memcached, CreditCardSettings creditCards, CacheSettings cache,
                                boolean removeStackTraces) {

    /** Every variable {@link #fromEnvironment} reads, for the README's table of honoured variables. */
    public static final List<String> ENVIRONMENT_VARIABLES = List.of(
            "DD_APM_FEATURES (table_names, quantize_sql_tables, replace_sql_digits, keep_sql_alias, "
                    + "dollar_quoted_func, sqllexer)",
            "DD_APM_SQL_OBFUSCATION_MODE",
            "DD_APM_OBFUSCATION_ELASTICSEARCH_ENABLED", "DD_APM_OBFUSCATION_ELASTICSEARCH_KEEP_VALUES",
            "DD_APM_OBFUSCATION_ELASTICSEARCH_OBFUSCATE_SQL_VALUES",
            "DD_APM_OBFUSCATION_OPENSEARCH_ENABLED", "DD_APM_OBFUSCATION_OPENSEARCH_KEEP_VALUES",
            "DD_APM_OBFUSCATION_OPENSEARCH_OBFUSCATE_SQL_VALUES",
            "DD_APM_OBFUSCATION_MONGODB_ENABLED", "DD_APM_OBFUSCATION_MONGODB_KEEP_VALUES",
            "DD_APM_OBFUSCATION_MONGODB_OBFUSCATE_SQL_VALUES",
            "DD_APM_OBFUSCATION_SQL_EXEC_PLAN_ENABLED", "DD_APM_OBFUSCATION_SQL_EXEC_PLAN_KEEP_VALUES",
            "DD_APM_OBFUSCATION_SQL_EXEC_PLAN_OBFUSCATE_SQL_VALUES",
            "DD_APM_OBFUSCATION_SQL_EXEC_PLAN_NORMALIZE_ENABLED",
            "DD_APM_OBFUSCATION_SQL_EXEC_PLAN_NORMALIZE_KEEP_VALUES",
            "DD_APM_OBFUSCATION_SQL_EXEC_PLAN_NORMALIZE_OBFUSCATE_SQL_VALUES",
            "DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", "DD_APM_OBFUSCATION_HTTP_REMOVE_PATHS_WITH_DIGITS",
            "DD_APM_OBFUSCATION_REMOVE_STACK_TRACES",
            "DD_APM_OBFUSCATION_REDIS_ENABLED", "DD_APM_OBFUSCATION_REDIS_REMOVE_ALL_ARGS",
            "DD_APM_OBFUSCATION_VALKEY_ENABLED", "DD_APM_OBFUSCATION_VALKEY_REMOVE_ALL_ARGS",
            "DD_APM_OBFUSCATION_MEMCACHED_ENABLED", "DD_APM_OBFUSCATION_MEMCACHED_KEEP_COMMAND",
            "DD_APM_OBFUSCATION_CREDIT_CARDS_ENABLED", "DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN",
            "DD_APM_OBFUSCATION_CREDIT_CARDS_KEEP_VALUES",
            "DD_APM_OBFUSCATION_CACHE_ENABLED", "DD_APM_OBFUSCATION_CACHE_MAX_SIZE");

    /** The Agent's default cache budget in bytes ({@code apm_config.obfuscation.cache.max_size}). */
    public static final long DEFAULT_CACHE_MAX_SIZE = 5_000_000L;

    public ObfuscationConfig {
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(elasticsearch, "elasticsearch");
        Objects.requireNonNull(opensearch, "opensearch");
        Objects.requireNonNull(mongodb, "mongodb");
        Objects.requireNonNull(sqlExecPlan, "sqlExecPlan");
        Objects.requireNonNull(sqlExecPlanNormalize, "sqlExecPlanNormalize");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(valkey, "valkey");
        Objects.requireNonNull(memcached, "memcached");
        Objects.requireNonNull(creditCards, "creditCards");
        Objects.requireNonNull(cache, "cache");
    }

    /** The Agent's defaults: everything on except query-string and path-digit removal, Luhn and stack removal. */
    public static ObfuscationConfig defaults() {
        return fromEnvironment(Map.of());
    }

    /**
     * The configuration the Agent would build from these environment variables (only the {@code DD_APM_*} ones
     * above are read; an empty value counts as unset, as in the Agent).
     *
     * @throws ObfuscationConfigException for a value that is not a boolean, a list, a size or a known mode
     */
    public static ObfuscationConfig fromEnvironment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        Set<String> features = features(env.get("DD_APM_FEATURES"));
        SqlObfuscationMode mode = SqlObfuscationMode.parse(env.get("DD_APM_SQL_OBFUSCATION_MODE"));
        if (mode == SqlObfuscationMode.TOKENIZER && features.contains("sqllexer")) {
            mode = SqlObfuscationMode.OBFUSCATE_ONLY; // the Agent's feature flag for go-sqllexer
        }
        SqlSettings sql = new SqlSettings(mode, features.contains("table_names"),
                features.contains("quantize_sql_tables") || features.contains("replace_sql_digits"),
                features.contains("keep_sql_alias"), features.contains("dollar_quoted_func"));
        return new ObfuscationConfig(sql,
                json(env, "ELASTICSEARCH", true),
                json(env, "OPENSEARCH", true),
                json(env, "MONGODB", true),
                json(env, "SQL_EXEC_PLAN", false),
                json(env, "SQL_EXEC_PLAN_NORMALIZE", false),
                new HttpSettings(bool(env, "DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", false),
                        bool(env, "DD_APM_OBFUSCATION_HTTP_REMOVE_PATHS_WITH_DIGITS", false)),
                new RedisSettings(bool(env, "DD_APM_OBFUSCATION_REDIS_ENABLED", true),
                        bool(env, "DD_APM_OBFUSCATION_REDIS_REMOVE_ALL_ARGS", false)),
                new RedisSettings(bool(env, "DD_APM_OBFUSCATION_VALKEY_ENABLED", true),
                        bool(env, "DD_APM_OBFUSCATION_VALKEY_REMOVE_ALL_ARGS", false)),
                new MemcachedSettings(bool(env, "DD_APM_OBFUSCATION_MEMCACHED_ENABLED", true),
                        bool(env, "DD_APM_OBFUSCATION_MEMCACHED_KEEP_COMMAND", false)),
                new CreditCardSettings(bool(env, "DD_APM_OBFUSCATION_CREDIT_CARDS_ENABLED", true),
                        bool(env, "DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN", false),
                        list(env, "DD_APM_OBFUSCATION_CREDIT_CARDS_KEEP_VALUES")),
                new CacheSettings(bool(env, "DD_APM_OBFUSCATION_CACHE_ENABLED", true),
                        size(env, "DD_APM_OBFUSCATION_CACHE_MAX_SIZE", DEFAULT_CACHE_MAX_SIZE)),
                bool(env, "DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", false));
    }

    /**
     * Settings that were accepted (they are valid for the Agent) but change nothing here, one sentence each, for a
     * warning at start-up.
     */
    public List<String> unhonouredSettings() {
        List<String> notes = new ArrayList<>();
        if (sql.mode() != SqlObfuscationMode.TOKENIZER) {
            notes.add("DD_APM_SQL_OBFUSCATION_MODE=" + sql.mode().value() + " (or DD_APM_FEATURES=sqllexer) selects "
                    + "the Agent's go-sqllexer obfuscator, which Pilotfish does not implement: SQL is obfuscated "
                    + "with the Agent's default tokenizer instead");
        }
        if (sqlExecPlan.enabled() || sqlExecPlanNormalize.enabled()) {
            notes.add("DD_APM_OBFUSCATION_SQL_EXEC_PLAN*: execution plans are obfuscated for Database Monitoring "
                    + "only, which Pilotfish does not run");
        }
        return List.copyOf(notes);
    }

    private static JsonSettings json(Map<String, String> env, String name, boolean enabledByDefault) {
        String prefix = "DD_APM_OBFUSCATION_" + name + "_";
        return new JsonSettings(bool(env, prefix + "ENABLED", enabledByDefault), list(env, prefix + "KEEP_VALUES"),
                list(env, prefix + "OBFUSCATE_SQL_VALUES"));
    }

    /** Go's {@code strconv.ParseBool}, which the Agent uses, without its silent fallback to false. */
    static boolean bool(Map<String, String> env, String variable, boolean defaultValue) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        return switch (raw.strip()) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new ObfuscationConfigException(variable, "not a boolean: " + SafeText.quote(raw, 60)
                    + "; use true or false (the Agent would read it as false)");
        };
    }

    /**
     * A list as the Agent reads it from the environment: a JSON array of strings ({@code ["a", "b"]}) or names
     * separated by spaces.
     */
    static Set<String> list(Map<String, String> env, String variable) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return Set.of();
        }
        String value = raw.strip();
        Set<String> items = new LinkedHashSet<>();
        if (value.startsWith("[")) {
            try {
                items.addAll(io.pilotfish.collector.apm.EnvLists.jsonStrings(value));
            } catch (IOException e) {
                throw new ObfuscationConfigException(variable, "not a JSON array of strings: "
                        + SafeText.quote(raw, 120) + "; write [\"key1\", \"key2\"] or key1 key2");
            }
        } else {
            for (String item : value.split("\\s+")) {
                items.add(item);
            }
        }
        return Set.copyOf(items);
    }

    private static long size(Map<String, String> env, String variable, long defaultValue) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        try {
            long bytes = Long.parseLong(raw.strip());
            if (bytes >= 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ObfuscationConfigException(variable, "not a size in bytes: " + SafeText.quote(raw, 60)
                + "; use a whole number such as " + DEFAULT_CACHE_MAX_SIZE);
    }

    /** {@code DD_APM_FEATURES}: separated by commas, or by spaces when there is no comma, as in the Agent. */
    private static Set<String> features(String raw) {
        if (raw == null || raw.isBlank()) {
            return Set.of();
        }
        String[] parts = raw.indexOf(',') >= 0 ? raw.split(",") : raw.split(" ");
        Set<String> features = new LinkedHashSet<>();
        for (String part : parts) {
            String feature = part.strip();
            if (!feature.isEmpty()) {
                features.add(feature);
            }
        }
        return features;
    }

    /** Which SQL obfuscator the Agent runs: its tokenizer by default, go-sqllexer in one of three modes if asked. */
    public enum SqlObfuscationMode {
        TOKENIZER(""),
        NORMALIZE_ONLY("normalize_only"),
        OBFUSCATE_ONLY("obfuscate_only"),
        OBFUSCATE_AND_NORMALIZE("obfuscate_and_normalize");

        private final String value;

        SqlObfuscationMode(String value) {
            this.value = value;
        }

        /** As written in {@code DD_APM_SQL_OBFUSCATION_MODE}; empty for the tokenizer. */
        public String value() {
            return value;
        }

        static SqlObfuscationMode parse(String raw) {
            if (raw == null || raw.isBlank()) {
                return TOKENIZER;
            }
            String wanted = raw.strip().toLowerCase(Locale.ROOT);
            for (SqlObfuscationMode mode : values()) {
                if (mode != TOKENIZER && mode.value.equals(wanted)) {
                    return mode;
                }
            }
            throw new ObfuscationConfigException("DD_APM_SQL_OBFUSCATION_MODE", "unknown mode "
                    + SafeText.quote(raw, 60) + "; use normalize_only, obfuscate_only or obfuscate_and_normalize, "
                    + "or leave it unset for the Agent's default obfuscator");
        }
    }

    /**
     * @param mode             the obfuscator asked for
     * @param tableNames       add {@code sql.tables} (feature {@code table_names}; off by default)
     * @param replaceDigits    digits in table names and identifiers become {@code ?} (features
     *                         {@code quantize_sql_tables}, {@code replace_sql_digits})
     * @param keepSqlAlias     keep {@code AS alias} (feature {@code keep_sql_alias})
     * @param dollarQuotedFunc obfuscate inside {@code $func$...$func$} instead of hiding it (feature
     *                         {@code dollar_quoted_func})
     */
    public record SqlSettings(SqlObfuscationMode mode, boolean tableNames, boolean replaceDigits,
                              boolean keepSqlAlias, boolean dollarQuotedFunc) {
        public SqlSettings {
            Objects.requireNonNull(mode, "mode");
        }

        /** The Agent's tokenizer with none of the feature flags. */
        public static SqlSettings defaults() {
            return new SqlSettings(SqlObfuscationMode.TOKENIZER, false, false, false, false);
        }
    }

    /**
     * @param enabled            obfuscate the body at all
     * @param keepValues         keys whose values (and everything under them) stay as they are
     * @param obfuscateSqlValues keys whose string values go through SQL obfuscation instead of becoming {@code ?}
     */
    public record JsonSettings(boolean enabled, Set<String> keepValues, Set<String> obfuscateSqlValues) {
        public JsonSettings {
            keepValues = Set.copyOf(keepValues);
            obfuscateSqlValues = Set.copyOf(obfuscateSqlValues);
        }
    }

    /** Both off by default: only the user-info of the URL is removed then. */
    public record HttpSettings(boolean removeQueryString, boolean removePathsWithDigits) {
    }

    /** The resource is quantised whatever these say; they govern the raw-command tag. */
    public record RedisSettings(boolean enabled, boolean removeAllArgs) {
    }

    /** With {@code keepCommand} off (the default) the tag's value becomes empty. */
    public record MemcachedSettings(boolean enabled, boolean keepCommand) {
    }

    /** @param keepValues tag keys never scanned, on top of the Agent's own list */
    public record CreditCardSettings(boolean enabled, boolean luhn, Set<String> keepValues) {
        public CreditCardSettings {
            keepValues = Set.copyOf(keepValues);
        }
    }

    /** @param maxSizeBytes the cache's budget, counted as the Agent counts it (query lengths plus overhead) */
    public record CacheSettings(boolean enabled, long maxSizeBytes) {
        public CacheSettings {
            if (maxSizeBytes < 0) {
                throw new IllegalArgumentException("maxSizeBytes < 0: " + maxSizeBytes);
            }
        }
    }
}
