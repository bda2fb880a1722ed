package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.SqlObfuscationMode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Agent's defaults ({@code TestDefaultConfig} in {@code pkg/config/setup}) and the variables' parsing. */
class ObfuscationConfigTest {

    @Test
    void defaultsAreTheAgents() {
        ObfuscationConfig config = ObfuscationConfig.defaults();
        assertEquals(SqlObfuscationMode.TOKENIZER, config.sql().mode());
        assertFalse(config.sql().tableNames() || config.sql().replaceDigits() || config.sql().keepSqlAlias()
                || config.sql().dollarQuotedFunc());
        assertTrue(config.elasticsearch().enabled() && config.opensearch().enabled() && config.mongodb().enabled());
        assertTrue(config.elasticsearch().keepValues().isEmpty() && config.mongodb().obfuscateSqlValues().isEmpty());
        assertFalse(config.sqlExecPlan().enabled() || config.sqlExecPlanNormalize().enabled());
        assertFalse(config.http().removeQueryString() || config.http().removePathsWithDigits());
        assertTrue(config.redis().enabled() && config.valkey().enabled());
        assertFalse(config.redis().removeAllArgs() || config.valkey().removeAllArgs());
        assertTrue(config.memcached().enabled());
        assertFalse(config.memcached().keepCommand());
        assertTrue(config.creditCards().enabled());
        assertFalse(config.creditCards().luhn());
        assertTrue(config.cache().enabled());
        assertEquals(5_000_000L, config.cache().maxSizeBytes());
        assertFalse(config.removeStackTraces());
        assertEquals(List.of(), config.unhonouredSettings());
    }

    @Test
    void readsEveryVariable() {
        ObfuscationConfig config = ObfuscationConfig.fromEnvironment(Map.ofEntries(
                Map.entry("DD_APM_FEATURES", "table_names, quantize_sql_tables,keep_sql_alias , dollar_quoted_func"),
                Map.entry("DD_APM_OBFUSCATION_ELASTICSEARCH_ENABLED", "false"),
                Map.entry("DD_APM_OBFUSCATION_ELASTICSEARCH_KEEP_VALUES", "[\"client_id\", \"product_id\"]"),
                Map.entry("DD_APM_OBFUSCATION_OPENSEARCH_OBFUSCATE_SQL_VALUES", "key1 key2"),
                Map.entry("DD_APM_OBFUSCATION_MONGODB_KEEP_VALUES", "[\"document_id\", \"template_id\"]"),
                Map.entry("DD_APM_OBFUSCATION_SQL_EXEC_PLAN_ENABLED", "TRUE"),
                Map.entry("DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", "true"),
                Map.entry("DD_APM_OBFUSCATION_HTTP_REMOVE_PATHS_WITH_DIGITS", "1"),
                Map.entry("DD_APM_OBFUSCATION_REMOVE_STACK_TRACES", "t"),
                Map.entry("DD_APM_OBFUSCATION_REDIS_ENABLED", "False"),
                Map.entry("DD_APM_OBFUSCATION_REDIS_REMOVE_ALL_ARGS", "true"),
                Map.entry("DD_APM_OBFUSCATION_VALKEY_REMOVE_ALL_ARGS", "true"),
                Map.entry("DD_APM_OBFUSCATION_MEMCACHED_KEEP_COMMAND", "true"),
                Map.entry("DD_APM_OBFUSCATION_CREDIT_CARDS_ENABLED", "false"),
                Map.entry("DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN", "true"),
                Map.entry("DD_APM_OBFUSCATION_CREDIT_CARDS_KEEP_VALUES", "user.id account.number"),
                Map.entry("DD_APM_OBFUSCATION_CACHE_ENABLED", "0"),
                Map.entry("DD_APM_OBFUSCATION_CACHE_MAX_SIZE", "1000"),
                Map.entry("DD_APM_SQL_OBFUSCATION_MODE", "obfuscate_and_normalize")));
        assertTrue(config.sql().tableNames() && config.sql().replaceDigits() && config.sql().keepSqlAlias()
                && config.sql().dollarQuotedFunc());
        assertEquals(SqlObfuscationMode.OBFUSCATE_AND_NORMALIZE, config.sql().mode());
        assertFalse(config.elasticsearch().enabled());
        assertEquals(Set.of("client_id", "product_id"), config.elasticsearch().keepValues());
        assertEquals(Set.of("key1", "key2"), config.opensearch().obfuscateSqlValues());
        assertEquals(Set.of("document_id", "template_id"), config.mongodb().keepValues());
        assertTrue(config.sqlExecPlan().enabled());
        assertTrue(config.http().removeQueryString() && config.http().removePathsWithDigits());
        assertTrue(config.removeStackTraces());
        assertFalse(config.redis().enabled());
        assertTrue(config.redis().removeAllArgs() && config.valkey().removeAllArgs() && config.valkey().enabled());
        assertTrue(config.memcached().keepCommand());
        assertFalse(config.creditCards().enabled());
        assertTrue(config.creditCards().luhn());
        assertEquals(Set.of("user.id", "account.number"), config.creditCards().keepValues());
        assertFalse(config.cache().enabled());
        assertEquals(1000, config.cache().maxSizeBytes());
        assertEquals(2, config.unhonouredSettings().size(), config.unhonouredSettings().toString());
    }

    @Test
    void sqllexerFeatureSelectsObfuscateOnlyUnlessAModeIsSet() {
        assertEquals(SqlObfuscationMode.OBFUSCATE_ONLY,
                ObfuscationConfig.fromEnvironment(Map.of("DD_APM_FEATURES", "sqllexer")).sql().mode());
        assertEquals(SqlObfuscationMode.NORMALIZE_ONLY, ObfuscationConfig.fromEnvironment(
                Map.of("DD_APM_FEATURES", "sqllexer", "DD_APM_SQL_OBFUSCATION_MODE", "normalize_only")).sql().mode());
    }

    @Test
    void emptyValuesCountAsUnset() {
        ObfuscationConfig config = ObfuscationConfig.fromEnvironment(Map.of("DD_APM_OBFUSCATION_REDIS_ENABLED", "",
                "DD_APM_OBFUSCATION_CACHE_MAX_SIZE", " ", "DD_APM_OBFUSCATION_MONGODB_KEEP_VALUES", ""));
        assertTrue(config.redis().enabled());
        assertEquals(ObfuscationConfig.DEFAULT_CACHE_MAX_SIZE, config.cache().maxSizeBytes());
        assertTrue(config.mongodb().keepValues().isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
            "DD_APM_OBFUSCATION_REDIS_ENABLED|yes => use true or false",
            "DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN|on => use true or false",
            "DD_APM_OBFUSCATION_MONGODB_KEEP_VALUES|[\"a\", 1] => JSON array of strings",
            "DD_APM_OBFUSCATION_ELASTICSEARCH_KEEP_VALUES|[\"a\" => JSON array of strings",
            "DD_APM_OBFUSCATION_CACHE_MAX_SIZE|-1 => size in bytes",
            "DD_APM_OBFUSCATION_CACHE_MAX_SIZE|5MB => size in bytes",
            "DD_APM_SQL_OBFUSCATION_MODE|normalize => unknown mode"})
    void rejectsBadValuesNamingTheVariableAndTheFix(String assignment, String hint) {
        String[] parts = assignment.split("\\|", 2);
        ObfuscationConfigException e = assertThrows(ObfuscationConfigException.class,
                () -> ObfuscationConfig.fromEnvironment(Map.of(parts[0], parts[1])));
        assertEquals(parts[0], e.variable());
        assertTrue(e.getMessage().startsWith(parts[0] + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "t", "T", "TRUE", "true", "True", " true "})
    void acceptsGoBooleans(String value) {
        assertTrue(ObfuscationConfig.fromEnvironment(Map.of("DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", value))
                .http().removeQueryString());
    }

    @Test
    void listsEveryVariableItReads() {
        String all = String.join(" ", ObfuscationConfig.ENVIRONMENT_VARIABLES);
        for (String variable : new String[] {"DD_APM_OBFUSCATION_OPENSEARCH_KEEP_VALUES",
                "DD_APM_OBFUSCATION_CACHE_MAX_SIZE", "DD_APM_OBFUSCATION_VALKEY_ENABLED", "DD_APM_SQL_OBFUSCATION_MODE",
                "DD_APM_OBFUSCATION_CREDIT_CARDS_KEEP_VALUES", "DD_APM_FEATURES"}) {
            assertTrue(all.contains(variable), variable);
        }
    }
}
