package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pilotfish.collector.apm.obfuscate.TraceObfuscator.ObfuscatedSpan;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which span types get which obfuscation ({@code pkg/trace/agent/obfuscate.go} and its tests). */
class TraceObfuscatorTest {

    private final TraceObfuscator defaults = new TraceObfuscator(ObfuscationConfig.defaults());

    @Test
    void sqlSpanGetsItsResourceAndQueryTagsObfuscated() {
        String query = "SELECT * FROM users WHERE id = 42 AND name = 'bob'";
        Map<String, String> meta = Map.of("sql.query", query, "db.statement", "UPDATE t SET a = 1",
                "db.query.text", "", "db.type", "postgresql");
        ObfuscatedSpan span = defaults.obfuscate("sql", query, meta);
        assertEquals("SELECT * FROM users WHERE id = ? AND name = ?", span.resource());
        assertEquals("SELECT * FROM users WHERE id = ? AND name = ?", span.meta().get("sql.query"));
        assertEquals("UPDATE t SET a = ?", span.meta().get("db.statement"));
        assertEquals("", span.meta().get("db.query.text"), "an empty db.query.text stays");
        assertNull(span.meta().get("sql.tables"), "sql.tables needs the table_names feature");
        assertEquals("SELECT * FROM users WHERE id = 42 AND name = 'bob'", meta.get("sql.query"), "input untouched");
    }

    @Test
    void unreadableSqlBecomesNonParsable() {
        ObfuscatedSpan span = defaults.obfuscate("cassandra", "SELECT 'unterminated",
                Map.of("sql.query", "SELECT 'unterminated", "db.statement", "SELECT /* also bad"));
        assertEquals("Non-parsable SQL query", span.resource());
        assertEquals("Non-parsable SQL query", span.meta().get("sql.query"));
        assertEquals("Non-parsable SQL query", span.meta().get("db.statement"));
    }

    @Test
    void emptySqlQueryTagIsRemoved() {
        ObfuscatedSpan span = defaults.obfuscate("sql", "", Map.of("sql.query", ""));
        assertEquals("", span.resource());
        assertFalse(span.meta().containsKey("sql.query"));
    }

    @Test
    void tablesAreTaggedWithTheFeature() {
        TraceObfuscator obfuscator = new TraceObfuscator(
                ObfuscationConfig.fromEnvironment(Map.of("DD_APM_FEATURES", "table_names")));
        ObfuscatedSpan span = obfuscator.obfuscate("sql", "SELECT a FROM users JOIN orders ON 1 = 1", Map.of());
        assertEquals("users,orders", span.meta().get("sql.tables"));
    }

    @Test
    void redisResourceIsQuantisedAndRawCommandObfuscated() {
        ObfuscatedSpan span = defaults.obfuscate("redis", "SET k v\nGET k", Map.of("redis.raw_command", "SET k v"));
        assertEquals("SET GET", span.resource());
        assertEquals("SET k ?", span.meta().get("redis.raw_command"));

        TraceObfuscator removeAll = new TraceObfuscator(ObfuscationConfig.fromEnvironment(
                Map.of("DD_APM_OBFUSCATION_VALKEY_REMOVE_ALL_ARGS", "true", "DD_APM_OBFUSCATION_REDIS_ENABLED", "false")));
        ObfuscatedSpan valkey = removeAll.obfuscate("valkey", "HSET k f v", Map.of("valkey.raw_command", "HSET k f v"));
        assertEquals("HSET", valkey.resource());
        assertEquals("HSET ?", valkey.meta().get("valkey.raw_command"));
        ObfuscatedSpan redisOff = removeAll.obfuscate("redis", "get k", Map.of("redis.raw_command", "SET k v"));
        assertEquals("GET", redisOff.resource(), "the resource is quantised even with obfuscation off");
        assertEquals("SET k v", redisOff.meta().get("redis.raw_command"));
    }

    @Test
    void memcachedCommandIsEmptiedByDefault() {
        ObfuscatedSpan span = defaults.obfuscate("memcached", "set", Map.of("memcached.command", "set k 0 0 1\r\nv"));
        assertEquals("", span.meta().get("memcached.command"));
        TraceObfuscator keep = new TraceObfuscator(
                ObfuscationConfig.fromEnvironment(Map.of("DD_APM_OBFUSCATION_MEMCACHED_KEEP_COMMAND", "true")));
        assertEquals("set k 0 0 1",
                keep.obfuscate("memcached", "set", Map.of("memcached.command", "set k 0 0 1\r\nv")).meta()
                        .get("memcached.command"));
    }

    @Test
    void httpUrlLosesItsUserInfo() {
        ObfuscatedSpan span = defaults.obfuscate("web", "GET /users",
                Map.of("http.url", "https://admin:hunter2@api.example.com/users/42?token=abc"));
        assertEquals("https://api.example.com/users/42?token=abc", span.meta().get("http.url"));
        assertEquals("GET /users", span.resource());
    }

    @Test
    void jsonBodiesAreObfuscatedPerType() {
        ObfuscatedSpan mongo = defaults.obfuscate("mongodb", "find", Map.of("mongodb.query", "{\"email\": \"a@b.c\"}"));
        assertEquals("{\"email\":\"?\"}", mongo.meta().get("mongodb.query"));
        ObfuscatedSpan search = defaults.obfuscate("opensearch", "GET /idx/_search", Map.of(
                "elasticsearch.body", "{\"q\": 1}", "opensearch.body", "{\"q\": [2]}"));
        assertEquals("{\"q\":\"?\"}", search.meta().get("elasticsearch.body"));
        assertEquals("{\"q\":[\"?\"]}", search.meta().get("opensearch.body"));
        TraceObfuscator mongoOff = new TraceObfuscator(
                ObfuscationConfig.fromEnvironment(Map.of("DD_APM_OBFUSCATION_MONGODB_ENABLED", "false")));
        assertEquals("{\"email\": \"a@b.c\"}", mongoOff.obfuscate("mongodb", "find",
                Map.of("mongodb.query", "{\"email\": \"a@b.c\"}")).meta().get("mongodb.query"));
    }

    @Test
    void cardNumbersAreScrubbedFromAnyTag() {
        Map<String, String> meta = Map.of("payment.card", "4111 1111 1111 1111", "http.status_code", "4111111111111111",
                "_dd.p.tid", "4111111111111111", "note", "hello");
        ObfuscatedSpan span = defaults.obfuscate("custom", "pay", meta);
        assertEquals("?", span.meta().get("payment.card"));
        assertEquals("4111111111111111", span.meta().get("http.status_code"));
        assertEquals("4111111111111111", span.meta().get("_dd.p.tid"));
        assertEquals("hello", span.meta().get("note"));
    }

    @Test
    void untouchedSpansKeepTheirMap() {
        Map<String, String> meta = Map.of("http.method", "GET", "note", "hello");
        ObfuscatedSpan span = defaults.obfuscate("custom", "resource", meta);
        assertSame(meta, span.meta());
        assertSame(meta, defaults.obfuscate("web", "GET /", meta).meta());
    }

    @Test
    void statsGroupsAreObfuscatedLikeSpans() {
        assertEquals("SELECT ? FROM dual", defaults.obfuscateStatsResource("sql", "SELECT 1 FROM dual"));
        assertEquals("Non-parsable SQL query", defaults.obfuscateStatsResource("sql", "SELECT '"));
        assertEquals("GET", defaults.obfuscateStatsResource("redis", "get key"));
        assertEquals("GET /users/1", defaults.obfuscateStatsResource("web", "GET /users/1"));
    }
}
