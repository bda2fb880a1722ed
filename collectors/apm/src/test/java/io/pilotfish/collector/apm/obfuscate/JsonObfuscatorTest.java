package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.JsonSettings;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Agent's JSON tests ({@code testdata/json_tests.xml}): inputs and outputs from there, written compact here since
 * the obfuscator drops the blanks between tokens (the Agent's test compares parsed documents).
 */
class JsonObfuscatorTest {

    private static JsonObfuscator obfuscator(Set<String> keep, Set<String> sql) {
        return new JsonObfuscator(new JsonSettings(true, keep, sql), SqlObfuscator.withDefaults());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cases")
    void obfuscatesAsTheAgent(String tag, Set<String> keep, Set<String> sql, String in, String out) {
        assertEquals(out, obfuscator(keep, sql).obfuscate(in));
    }

    static Stream<Arguments> cases() {
        String bookQuery = "{\n    \"query\": {\n\t   \"match\" : {\n\t\t  \"title\" : \"in action\"\n\t   }\n    },\n"
                + "    \"size\": 2,\n    \"from\": 0,\n    \"_source\": [ \"title\", \"summary\", \"publish_date\" ],\n"
                + "    \"highlight\": {\n\t   \"fields\" : {\n\t\t  \"title\" : {}\n\t   }\n    }\n}";
        return Stream.of(
                Arguments.of("elasticsearch.body.1", Set.of(), Set.of(),
                        "{ \"query\": { \"multi_match\" : { \"query\" : \"guide\", \"fields\" : [\"_all\", { \"key\": "
                        + "\"value\", \"other\": [\"1\", \"2\", {\"k\": \"v\"}] }, \"2\"] } } }",
                        "{\"query\":{\"multi_match\":{\"query\":\"?\",\"fields\":[\"?\",{\"key\":\"?\",\"other\":"
                        + "[\"?\",\"?\",{\"k\":\"?\"}]},\"?\"]}}}"),
                Arguments.of("elasticsearch.body.2", Set.of(), Set.of(),
                        "{\n  \"highlight\": {\n    \"pre_tags\": [ \"<em>\" ],\n    \"post_tags\": [ \"</em>\" ],\n"
                        + "    \"index\": 1\n  }\n}",
                        "{\"highlight\":{\"pre_tags\":[\"?\"],\"post_tags\":[\"?\"],\"index\":\"?\"}}"),
                Arguments.of("elasticsearch.body.3", Set.of("other"), Set.of(),
                        "{ \"query\": { \"multi_match\" : { \"query\" : \"guide\", \"fields\" : [\"_all\", { \"key\": "
                        + "\"value\", \"other\": [\"1\", \"2\", {\"k\": \"v\"}] }, \"2\"] } } }",
                        "{\"query\":{\"multi_match\":{\"query\":\"?\",\"fields\":[\"?\",{\"key\":\"?\",\"other\":"
                        + "[\"1\",\"2\",{\"k\":\"v\"}]},\"?\"]}}}"),
                Arguments.of("elasticsearch.body.4", Set.of("fields"), Set.of(),
                        "{\"fields\" : [\"_all\", { \"key\": \"value\", \"other\": [\"1\", \"2\", {\"k\": \"v\"}] }, "
                        + "\"2\"]}",
                        "{\"fields\":[\"_all\",{\"key\":\"value\",\"other\":[\"1\",\"2\",{\"k\":\"v\"}]},\"2\"]}"),
                Arguments.of("elasticsearch.body.5", Set.of("k"), Set.of(),
                        "{\"fields\" : [\"_all\", { \"key\": \"value\", \"other\": [\"1\", \"2\", {\"k\": \"v\"}] }, "
                        + "\"2\"]}",
                        "{\"fields\":[\"?\",{\"key\":\"?\",\"other\":[\"?\",\"?\",{\"k\":\"v\"}]},\"?\"]}"),
                Arguments.of("elasticsearch.body.6", Set.of("C"), Set.of(),
                        "{\"fields\" : [{\"A\": 1, \"B\": {\"C\": 3}}, \"2\"]}",
                        "{\"fields\":[{\"A\":\"?\",\"B\":{\"C\":3}},\"?\"]}"),
                Arguments.of("elasticsearch.body.7", Set.of(), Set.of(), bookQuery,
                        "{\"query\":{\"match\":{\"title\":\"?\"}},\"size\":\"?\",\"from\":\"?\",\"_source\":[\"?\","
                        + "\"?\",\"?\"],\"highlight\":{\"fields\":{\"title\":{}}}}"),
                Arguments.of("elasticsearch.body.8", Set.of("_source"), Set.of(), bookQuery,
                        "{\"query\":{\"match\":{\"title\":\"?\"}},\"size\":\"?\",\"from\":\"?\",\"_source\":"
                        + "[\"title\",\"summary\",\"publish_date\"],\"highlight\":{\"fields\":{\"title\":{}}}}"),
                Arguments.of("elasticsearch.body.9", Set.of("query"), Set.of(), bookQuery,
                        "{\"query\":{\"match\":{\"title\":\"in action\"}},\"size\":\"?\",\"from\":\"?\",\"_source\":"
                        + "[\"?\",\"?\",\"?\"],\"highlight\":{\"fields\":{\"title\":{}}}}"),
                Arguments.of("elasticsearch.body.10", Set.of("match"), Set.of(), bookQuery,
                        "{\"query\":{\"match\":{\"title\":\"in action\"}},\"size\":\"?\",\"from\":\"?\",\"_source\":"
                        + "[\"?\",\"?\",\"?\"],\"highlight\":{\"fields\":{\"title\":{}}}}"),
                Arguments.of("elasticsearch.body.12", Set.of("_index", "title"), Set.of(),
                        "{\"hits\": {\"total\": 2, \"max_score\": 0.9105287, \"hits\": [{\"_index\": \"bookdb_index\", "
                        + "\"_type\": \"book\", \"_id\": \"3\", \"_score\": 0.9105287, \"_source\": {\"summary\": "
                        + "\"build scalable search applications\", \"title\": \"Elasticsearch in Action\", "
                        + "\"publish_date\": \"2015-12-03\"}, \"highlight\": {\"title\": [\"Elasticsearch Action\"]}}]}}",
                        "{\"hits\":{\"total\":\"?\",\"max_score\":\"?\",\"hits\":[{\"_index\":\"bookdb_index\","
                        + "\"_type\":\"?\",\"_id\":\"?\",\"_score\":\"?\",\"_source\":{\"summary\":\"?\",\"title\":"
                        + "\"Elasticsearch in Action\",\"publish_date\":\"?\"},\"highlight\":{\"title\":"
                        + "[\"Elasticsearch Action\"]}}]}}"),
                Arguments.of("obfuscate.mongo.json.keep_values", Set.of("company_wallet_configuration_id"), Set.of(),
                        "{\"email\":\"dev@datadoghq.com\",\"company_wallet_configuration_id\":1}",
                        "{\"email\":\"?\",\"company_wallet_configuration_id\":1}"),
                Arguments.of("obfuscate.sql.json.basic", Set.of("hello"), Set.of("query"),
                        "{\"query\": \"select * from table where id = 2\", \"hello\": \"world\", \"hi\": \"there\"}",
                        "{\"query\":\"select * from table where id = ?\",\"hello\":\"world\",\"hi\":\"?\"}"),
                Arguments.of("obfuscate.sql.json.tried_sql_obfuscate_an_object", Set.of(), Set.of("object"),
                        "{\"object\": {\"not a\": \"query\"}}", "{\"object\":{\"not a\":\"?\"}}"),
                Arguments.of("obfuscate.sql.json.tried_sql_obfuscate_an_array", Set.of(), Set.of("object"),
                        "{\"object\": [\"not\", \"a\", \"query\"]}", "{\"object\":[\"?\",\"?\",\"?\"]}"),
                Arguments.of("normalize.sql.plan.mysql (part)", Set.of("table_name", "used_columns"),
                        Set.of("attached_condition"),
                        "{\"table\": {\"table_name\": \"sbtest1\", \"filtered\": \"100.00\", \"used_columns\": [\"id\","
                        + " \"c\"], \"attached_condition\": \"(`sbtest`.`sbtest1`.`id` between 5016 and 5115)\"}}",
                        "{\"table\":{\"table_name\":\"sbtest1\",\"filtered\":\"?\",\"used_columns\":[\"id\",\"c\"],"
                        + "\"attached_condition\":\"( sbtest . sbtest1 . id between ? and ? )\"}}"),
                Arguments.of("normalize.sql.plan.postgres (part)", Set.of("Node Type"),
                        Set.of("Filter", "Hash Cond", "Output", "Repeatable Seed"),
                        "{\"Node Type\": \"Aggregate\", \"Filter\": \"(query <> 'dogfood'::text)\", \"Hash Cond\": "
                        + "\"(pg_stat_statements.dbid = pg_database.)\", \"Output\": [\"'fakename'::text\", \"25\"], "
                        + "\"Repeatable Seed\": \"'60'::double precision\"}",
                        "{\"Node Type\":\"Aggregate\",\"Filter\":\"( query <> ? :: text )\",\"Hash Cond\":\"( "
                        + "pg_stat_statements.dbid = pg_database. )\",\"Output\":[\"?\",\"?\"],\"Repeatable Seed\":"
                        + "\"? :: double precision\"}"),
                // elasticsearch.body.14: a bulk body, documents one after another, cut short by the tracer.
                Arguments.of("elasticsearch.body.14 (part)", Set.of(), Set.of(),
                        "{\"index\":{\"_index\":\"traces.v2.2018.06.29.11\",\"_type\":\"trace\"}} {\"trace_id\":"
                        + "-1851516970739438017,\"span\":[{\"service\":\"master-db\",\"error\":0,\"meta\":{\"out.port"
                        + "\":\"6432\"},\"is_root\":true}],\"start\":\"2018-06-29T11:30:49.0211",
                        "{\"index\":{\"_index\":\"?\",\"_type\":\"?\"}} {\"trace_id\":\"?\",\"span\":[{\"service\":"
                        + "\"?\",\"error\":\"?\",\"meta\":{\"out.port\":\"?\"},\"is_root\":\"?\"}],\"start\":\"?\"..."));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\": tru", "{\"a\": [1, 2", "{\"a\" 1}", "{\"a\": \"\\q\"}", "[1,,2]", "\"\u0001\""})
    void returnsWhatItReadOfInvalidJsonWithAnEllipsis(String json) {
        String out = obfuscator(Set.of(), Set.of()).obfuscate(json);
        assertTrue(out.endsWith("..."), out);
        assertTrue(!out.contains("1") && !out.contains("tru") && !out.contains("q"), out);
    }

    @Test
    void keepsAWrongSqlValueOutOfTheBody() {
        assertEquals("{\"query\":\"" + JsonObfuscator.SQL_FAILED + "\"}",
                obfuscator(Set.of(), Set.of("query")).obfuscate("{\"query\": \"select 'unterminated\"}"));
    }

    @Test
    void boundsNestingAndStaysLinear() {
        String deep = "[".repeat(2_000_000);
        String wide = "{\"a\": [" + "\"secret\", ".repeat(300_000) + "1]}";
        String out = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> obfuscator(Set.of(), Set.of()).obfuscate(deep));
        assertEquals("[".repeat(JsonScanner.MAX_DEPTH) + "...", out);
        String wideOut = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> obfuscator(Set.of(), Set.of()).obfuscate(wide));
        assertTrue(wideOut.startsWith("{\"a\":[\"?\",\"?\"") && !wideOut.contains("secret"));
    }

    @Test
    void leavesTheEmptyBodyEmpty() {
        assertEquals("", obfuscator(Set.of(), Set.of()).obfuscate(""));
    }
}
