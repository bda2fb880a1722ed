package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Agent's {@code TestRedisQuantizer} and {@code TestRedisObfuscator} tables ({@code redis_test.go}). */
class RedisObfuscatorTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("quantizerCases")
    void quantizesTheResourceToCommandNames(String query, String resource) {
        assertEquals(resource, RedisObfuscator.quantize(query));
    }

    static Stream<Arguments> quantizerCases() {
        String longPipeline = ("DEL k1\nDEL k2\nHMSET k1 \"a\" 1 \"b\" 2 \"c\" 3\nHMSET k2 \"d\" \"4\" \"e\" \"4\"\n"
                + "DEL k3\nHMSET k3 \"f\" \"5\"\n").repeat(4);
        return Stream.of(
                Arguments.of("CLIENT", "CLIENT"),
                Arguments.of("CLIENT LIST", "CLIENT LIST"),
                Arguments.of("get my_key", "GET"),
                Arguments.of("SET le_key le_value", "SET"),
                Arguments.of("\n\n  \nSET foo bar  \n  \n\n  ", "SET"),
                Arguments.of("CONFIG SET parameter value", "CONFIG SET"),
                Arguments.of("SET toto tata \n \n  EXPIRE toto 15  ", "SET EXPIRE"),
                Arguments.of("MSET toto tata toto tata toto tata \n ", "MSET"),
                Arguments.of("MULTI\nSET k1 v1\nSET k2 v2\nSET k3 v3\nSET k4 v4\nDEL to_del\nEXEC", "MULTI SET SET ..."),
                Arguments.of(longPipeline.substring(0, longPipeline.length() - 1), "DEL DEL HMSET ..."),
                Arguments.of("GET...", "..."),
                Arguments.of("GET k...", "GET"),
                Arguments.of("GET k1\nGET k2\nG...", "GET GET ..."),
                Arguments.of("GET k1\nGET k2\nDEL k3\nGET k...", "GET GET DEL ..."),
                Arguments.of("GET k1\nGET k2\nHDEL k3 a\nG...", "GET GET HDEL ..."),
                Arguments.of("GET k...\nDEL k2\nMS...", "GET DEL ..."),
                Arguments.of("GET k...\nDE...\nMS...", "GET ..."),
                Arguments.of("GET k1\nDE...\nGET k2", "GET GET"),
                Arguments.of("GET k1\nDE...\nGET k2\nHDEL k3 a\nGET k4\nDEL k5", "GET GET HDEL ..."),
                Arguments.of("UNKNOWN 123", "UNKNOWN"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("obfuscatorCases")
    void obfuscatesTheValuesEachCommandWrites(String command, String expected) {
        assertEquals(expected, RedisObfuscator.obfuscate(command));
    }

    static Stream<Arguments> obfuscatorCases() {
        return Stream.of(
                Arguments.of("AUTH my-secret-password", "AUTH ?"),
                Arguments.of("AUTH james my-secret-password", "AUTH ?"),
                Arguments.of("AUTH", "AUTH"),
                Arguments.of("APPEND key value", "APPEND key ?"),
                Arguments.of("GETSET key value", "GETSET key ?"),
                Arguments.of("LPUSHX key value", "LPUSHX key ?"),
                Arguments.of("GEORADIUSBYMEMBER key member radius m|km|ft|mi [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT "
                        + "count] [ASC|DESC] [STORE key] [STOREDIST key]",
                        "GEORADIUSBYMEMBER key ? radius m|km|ft|mi [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count] "
                        + "[ASC|DESC] [STORE key] [STOREDIST key]"),
                Arguments.of("RPUSHX key value", "RPUSHX key ?"),
                Arguments.of("SET key value", "SET key ?"),
                Arguments.of("SET key value [expiration EX seconds|PX milliseconds] [NX|XX]",
                        "SET key ? [expiration EX seconds|PX milliseconds] [NX|XX]"),
                Arguments.of("SETNX key value", "SETNX key ?"),
                Arguments.of("SISMEMBER key member", "SISMEMBER key ?"),
                Arguments.of("ZRANK key member", "ZRANK key ?"),
                Arguments.of("ZREVRANK key member", "ZREVRANK key ?"),
                Arguments.of("ZSCORE key member", "ZSCORE key ?"),
                Arguments.of("BITFIELD key GET type offset SET type offset value INCRBY type",
                        "BITFIELD key GET type offset SET type offset ? INCRBY type"),
                Arguments.of("BITFIELD key SET type offset value INCRBY type",
                        "BITFIELD key SET type offset ? INCRBY type"),
                Arguments.of("BITFIELD key GET type offset INCRBY type", "BITFIELD key GET type offset INCRBY type"),
                Arguments.of("BITFIELD key SET type offset", "BITFIELD key SET type offset"),
                Arguments.of("CONFIG SET parameter value", "CONFIG SET parameter ?"),
                Arguments.of("CONFIG foo bar baz", "CONFIG foo bar baz"),
                Arguments.of("GEOADD key longitude latitude member longitude latitude member longitude latitude member",
                        "GEOADD key longitude latitude ? longitude latitude ? longitude latitude ?"),
                Arguments.of("GEOADD key longitude latitude member longitude latitude member",
                        "GEOADD key longitude latitude ? longitude latitude ?"),
                Arguments.of("GEOADD key longitude latitude member", "GEOADD key longitude latitude ?"),
                Arguments.of("GEOADD key longitude latitude", "GEOADD key longitude latitude"),
                Arguments.of("GEOADD key", "GEOADD key"),
                Arguments.of("GEOHASH key\nGEOPOS key\n GEODIST key", "GEOHASH key\nGEOPOS key\nGEODIST key"),
                Arguments.of("GEOHASH key member\nGEOPOS key member\nGEODIST key member\n",
                        "GEOHASH key ?\nGEOPOS key ?\nGEODIST key ?"),
                Arguments.of("GEOHASH key member member member\nGEOPOS key member member \n  GEODIST key member "
                        + "member member", "GEOHASH key ?\nGEOPOS key ?\nGEODIST key ?"),
                Arguments.of("GEOPOS key member [member ...]", "GEOPOS key ?"),
                Arguments.of("SREM key member [member ...]", "SREM key ?"),
                Arguments.of("ZREM key member [member ...]", "ZREM key ?"),
                Arguments.of("SADD key member [member ...]", "SADD key ?"),
                Arguments.of("GEODIST key member1 member2 [unit]", "GEODIST key ?"),
                Arguments.of("LPUSH key value [value ...]", "LPUSH key ?"),
                Arguments.of("RPUSH key value [value ...]", "RPUSH key ?"),
                Arguments.of("HSET key field value \nHSETNX key field value\nBLAH",
                        "HSET key field ?\nHSETNX key field ?\nBLAH"),
                Arguments.of("HSET key field value", "HSET key field ?"),
                Arguments.of("HSETNX key field value", "HSETNX key field ?"),
                Arguments.of("LREM key count value", "LREM key count ?"),
                Arguments.of("LSET key index value", "LSET key index ?"),
                Arguments.of("SETBIT key offset value", "SETBIT key offset ?"),
                Arguments.of("SETRANGE key offset value", "SETRANGE key offset ?"),
                Arguments.of("SETEX key seconds value", "SETEX key seconds ?"),
                Arguments.of("PSETEX key milliseconds value", "PSETEX key milliseconds ?"),
                Arguments.of("ZINCRBY key increment member", "ZINCRBY key increment ?"),
                Arguments.of("SMOVE source destination member", "SMOVE source destination ?"),
                Arguments.of("RESTORE key ttl serialized-value [REPLACE]", "RESTORE key ttl ? [REPLACE]"),
                Arguments.of("LINSERT key BEFORE pivot value", "LINSERT key BEFORE pivot ?"),
                Arguments.of("LINSERT key AFTER pivot value", "LINSERT key AFTER pivot ?"),
                Arguments.of("HMSET key field value field value", "HMSET key field ? field ?"),
                Arguments.of("HMSET key field value \n HMSET key field value\n\n ", "HMSET key field ?\nHMSET key field ?"),
                Arguments.of("HMSET key field", "HMSET key field"),
                Arguments.of("MSET key value key value", "MSET key ? key ?"),
                Arguments.of("MSET\nMSET key value", "MSET\nMSET key ?"),
                Arguments.of("MSET key value", "MSET key ?"),
                Arguments.of("MSETNX key value key value", "MSETNX key ? key ?"),
                Arguments.of("ZADD key score member score member", "ZADD key score ? score ?"),
                Arguments.of("ZADD key NX score member score member", "ZADD key NX score ? score ?"),
                Arguments.of("ZADD key NX CH score member score member", "ZADD key NX CH score ? score ?"),
                Arguments.of("ZADD key NX CH INCR score member score member", "ZADD key NX CH INCR score ? score ?"),
                Arguments.of("ZADD key XX INCR score member score member", "ZADD key XX INCR score ? score ?"),
                Arguments.of("ZADD key XX INCR score member", "ZADD key XX INCR score ?"),
                Arguments.of("ZADD key XX INCR score", "ZADD key XX INCR score"),
                Arguments.of("\nCONFIG command\nSET k v\n\t\t\t", "CONFIG command\nSET k ?"),
                // Quoted values keep their spaces and newlines inside the one argument.
                Arguments.of("SET \"my key\" \"line one\nline two\"", "SET \"my key\" ?"),
                Arguments.of("SET k \"say \\\"hi\\\" there\" EX 10", "SET k ? EX 10"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("removeAllArgsCases")
    void removesAllArgumentsWhenAsked(String command, String expected) {
        assertEquals(expected, RedisObfuscator.removeAllArgs(command));
    }

    static Stream<Arguments> removeAllArgsCases() {
        return Stream.of(
                Arguments.of("", ""),
                Arguments.of("FLUSHALL", "FLUSHALL"),
                Arguments.of("SET key value", "SET ?"),
                Arguments.of("  GET   key  ", "GET ?"),
                Arguments.of("AUTH user secret", "AUTH ?"),
                Arguments.of("CONFIG SET parameter value", "CONFIG SET ?"),
                Arguments.of("CONFIG get maxmemory", "CONFIG get ?"),
                Arguments.of("CONFIG foo bar", "CONFIG ?"),
                Arguments.of("BITFIELD key GET type offset SET type offset value INCRBY type offset 1",
                        "BITFIELD ? GET ? SET ? INCRBY ?"));
    }

    @Test
    void staysLinearOnLongInput() {
        String quotes = "SET k \"" + "\\\"".repeat(500_000);
        String lines = "GET k\n".repeat(300_000);
        String spaces = "SET" + " ".repeat(1_000_000) + "k v";
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            RedisObfuscator.obfuscate(quotes);
            RedisObfuscator.obfuscate(lines);
            RedisObfuscator.obfuscate(spaces);
            RedisObfuscator.quantize(lines);
            RedisObfuscator.quantize(spaces);
            RedisObfuscator.removeAllArgs(spaces);
        });
        assertEquals("SET k ?", RedisObfuscator.obfuscate(spaces));
        assertEquals("GET GET GET ...", RedisObfuscator.quantize(lines));
    }
}
