package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of every obfuscator with the same text. With a plain {@code mvn test} the seeds in
 * {@code ObfuscatorsFuzzTestInputs/anyText} run as regression tests; with {@code JAZZER_FUZZ=1} Jazzer mutates them.
 *
 * <p>The contract on every input, in every dialect and configuration: no exception but the SQL obfuscator's own (with
 * a reason), no hang, never an empty query; every span type answers with a resource and tags.
 */
class ObfuscatorsFuzzTest {

    private static final TraceObfuscator ALL_ON = new TraceObfuscator(ObfuscationConfig.fromEnvironment(Map.of(
            "DD_APM_FEATURES", "table_names,replace_sql_digits,dollar_quoted_func",
            "DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING", "true",
            "DD_APM_OBFUSCATION_HTTP_REMOVE_PATHS_WITH_DIGITS", "true",
            "DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN", "true",
            "DD_APM_OBFUSCATION_MONGODB_OBFUSCATE_SQL_VALUES", "query")));
    private static final TraceObfuscator DEFAULTS = new TraceObfuscator(ObfuscationConfig.defaults());

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anyText(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        for (Dbms dbms : Dbms.values()) {
            try {
                String query = ALL_ON.sql().obfuscate(text, dbms).query();
                assertFalse(query.isEmpty(), "an obfuscated query is never empty");
            } catch (SqlObfuscationException expected) {
                assertNotNull(expected.reason());
            }
        }
        Map<String, String> meta = Map.of("sql.query", text, "redis.raw_command", text, "valkey.raw_command", text,
                "memcached.command", text, "http.url", text, "mongodb.query", text, "elasticsearch.body", text,
                "opensearch.body", text, "card", text);
        for (TraceObfuscator obfuscator : new TraceObfuscator[] {ALL_ON, DEFAULTS}) {
            for (String type : new String[] {"sql", "redis", "valkey", "memcached", "web", "mongodb",
                    "elasticsearch"}) {
                TraceObfuscator.ObfuscatedSpan span = obfuscator.obfuscate(type, text, meta);
                assertNotNull(span.resource());
                assertNotNull(span.meta());
            }
            assertNotNull(obfuscator.obfuscateStatsResource("sql", text));
        }
        RedisObfuscator.removeAllArgs(text);
        RedisObfuscator.quantize(text);
    }
}
