package io.pilotfish.sink.datadog.logs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogEncoderTest {

    /** Refuses duplicate keys, so a collision that slipped through fails the test instead of being merged. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final long TS = 1_700_000_000_123L;
    private static final String MARKER = "...TRUNCATED...";

    private static LogRecord log(String message) {
        return LogRecord.of(message, TS, "info", "web", "nginx", TagSet.EMPTY);
    }

    private static LogRecord log(byte[] message, Map<String, Object> attributes) {
        return new LogRecord(message, TS, "info", "web", "nginx", "", TagSet.EMPTY, attributes);
    }

    private static LogEncoder.Encoded encoded(List<? extends Signal> batch) {
        return assertInstanceOf(LogEncoder.Encoded.class, LogEncoder.encode(batch, "i-0agent"));
    }

    private static byte[] body(LogEncoder.Encoded encoded) {
        return Arrays.copyOf(encoded.json(), encoded.length());
    }

    private static JsonNode parse(LogEncoder.Encoded encoded) {
        try {
            return JSON.readTree(body(encoded));
        } catch (IOException e) {
            throw new UncheckedIOException(new String(body(encoded), StandardCharsets.UTF_8), e);
        }
    }

    private static JsonNode only(List<? extends Signal> batch) {
        JsonNode array = parse(encoded(batch));
        assertTrue(array.isArray());
        assertEquals(1, array.size());
        return array.get(0);
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        Iterator<String> it = object.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }

    // ---- the record --------------------------------------------------------------------------------------------

    @Test
    void aSpareBufferIsWrittenOverFromItsStartWhenLargeEnoughAndLeftAloneWhenNot() {
        List<LogRecord> batch = List.of(log("first line"), log("second \"quoted\" line"));
        byte[] expected = body(encoded(batch));
        byte[] spare = new byte[64 * 1024];
        Arrays.fill(spare, (byte) 'x'); // what an earlier, longer batch left in it
        LogEncoder.Encoded reused = assertInstanceOf(LogEncoder.Encoded.class,
                LogEncoder.encode(batch, "i-0agent", spare));
        assertSame(spare, reused.json());
        assertArrayEquals(expected, body(reused));
        byte[] tooSmall = new byte[16];
        LogEncoder.Encoded fresh = assertInstanceOf(LogEncoder.Encoded.class,
                LogEncoder.encode(batch, "i-0agent", tooSmall));
        assertNotSame(tooSmall, fresh.json());
        assertArrayEquals(expected, body(fresh));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 9, 10, 99, 100, Integer.MAX_VALUE, 2_147_483_648L,
            1_700_000_000_000L, 9_999_999_999_999L, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L,
            Long.MAX_VALUE})
    void aTimestampIsWrittenAsItsDecimalDigits(long timestamp) {
        LogRecord record = LogRecord.of("x", timestamp, "info", "web", "nginx", TagSet.EMPTY);
        String body = new String(body(encoded(List.of(record))), StandardCharsets.UTF_8);
        assertTrue(body.contains("\"timestamp\":" + timestamp + ","), body);
    }

    @Test
    void everyStandardFieldInTheAgentsOrder() {
        LogRecord record = new LogRecord("hello".getBytes(StandardCharsets.UTF_8), TS, "warn", "web", "nginx",
                "i-0record", TagSet.of("env:prod", "container_name:web", "flag"), Map.of("http.status", 200));

        JsonNode json = only(List.of(record));

        assertEquals(List.of("message", "status", "timestamp", "hostname", "service", "ddsource", "ddtags",
                "http.status"), fieldNames(json));
        assertEquals("hello", json.get("message").asText());
        assertEquals("warn", json.get("status").asText());
        assertEquals(TS, json.get("timestamp").asLong(), "milliseconds, as the intake reads them");
        assertTrue(json.get("timestamp").isIntegralNumber());
        assertEquals("i-0record", json.get("hostname").asText(), "the record's own host wins");
        assertEquals("web", json.get("service").asText());
        assertEquals("nginx", json.get("ddsource").asText());
        assertEquals("container_name:web,env:prod,flag", json.get("ddtags").asText(),
                "the tag set's tags (sorted by TagSet) joined by commas");
        assertEquals(200, json.get("http.status").asInt());
    }

    @Test
    void theAgentsHostnameStandsInAndEmptyFieldsAreLeftOut() {
        LogRecord bare = new LogRecord("x".getBytes(StandardCharsets.UTF_8), 0, "", "", "", "", TagSet.EMPTY, null);

        JsonNode json = only(List.of(bare));

        assertEquals(List.of("message", "hostname"), fieldNames(json),
                "no timestamp (the intake uses the time of receipt), no empty status/service/source/tags");
        assertEquals("i-0agent", json.get("hostname").asText());

        JsonNode onFargate = parse(assertInstanceOf(LogEncoder.Encoded.class,
                LogEncoder.encode(List.of(bare), ""))).get(0);
        assertNull(onFargate.get("hostname"), "no host at all on Fargate");
    }

    @Test
    void tagsWithQuotesAndNonAsciiAreEscapedInsideDdtags() {
        LogRecord record = LogRecord.of("m", TS, "info", "", "",
                TagSet.of("team:\"core\"", "owner:zoë", "path:c:\\x"));

        assertEquals("owner:zoë,path:c:\\x,team:\"core\"", only(List.of(record)).get("ddtags").asText());
    }

    // ---- escaping ------------------------------------------------------------------------------------------------

    @Test
    void everyControlCharacterQuoteAndBackslashOfAMessageIsEscaped() {
        StringBuilder all = new StringBuilder("start");
        for (char c = 0; c < 0x20; c++) {
            all.append(c);
        }
        all.append("\"quoted\" back\\slash \u007f end");
        LogEncoder.Encoded encoded = encoded(List.of(log(all.toString())));

        for (byte b : body(encoded)) {
            assertTrue((b & 0xFF) >= 0x20, "a raw control character in the body: " + (b & 0xFF));
        }
        String text = new String(body(encoded), StandardCharsets.UTF_8);
        for (String shortForm : List.of("\\b", "\\t", "\\n", "\\f", "\\r", "\\\"", "\\\\")) {
            assertTrue(text.contains(shortForm), "JSON's short escape " + shortForm + " in " + text);
        }
        assertTrue(text.contains("\\u0000") && text.contains("\\u0001") && text.contains("\\u001f"), text);
        assertEquals(all.toString(), parse(encoded).get(0).get("message").asText(), "reads back unchanged");
    }

    @Test
    void controlCharactersQuotesAndBackslashesInOtherStringsAreEscapedToo() {
        String odd = "a\"b\\c\nd\te\u0000f\u001f";
        LogRecord record = new LogRecord("m".getBytes(StandardCharsets.UTF_8), TS, odd, odd, odd, odd,
                TagSet.of(odd), Map.of(odd, odd, "nested", Map.of(odd, List.of(odd))));

        JsonNode json = only(List.of(record));

        for (String field : List.of("status", "service", "ddsource", "hostname", "ddtags")) {
            assertEquals(odd, json.get(field).asText(), field);
        }
        assertEquals(odd, json.get(odd).asText(), "attribute key and value");
        assertEquals(odd, json.get("nested").get(odd).get(0).asText());
    }

    @Test
    void nonAsciiMessageBytesAreCopiedAsTheyAre() {
        String text = "héllo ✓ 日本語 😀 Ωmega";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        LogEncoder.Encoded encoded = encoded(List.of(log(utf8, Map.of("name", "zoë 😀"))));

        byte[] body = body(encoded);
        assertTrue(indexOf(body, utf8) > 0, "the message's UTF-8 bytes appear verbatim, not \\u-escaped");
        JsonNode json = parse(encoded).get(0);
        assertEquals(text, json.get("message").asText());
        assertEquals("zoë 😀", json.get("name").asText());
    }

    @Test
    void lineAndParagraphSeparatorsAreEscaped() {
        String text = "one\u2028two\u2029three";
        LogEncoder.Encoded encoded = encoded(List.of(log(text.getBytes(StandardCharsets.UTF_8),
                Map.of("k", text))));

        String body = new String(body(encoded), StandardCharsets.UTF_8);
        assertFalse(body.contains("\u2028") || body.contains("\u2029"), body);
        assertTrue(body.contains("one\\u2028two\\u2029three"), body);
        JsonNode json = parse(encoded).get(0);
        assertEquals(text, json.get("message").asText());
        assertEquals(text, json.get("k").asText());
    }

    @Test
    void aLoneSurrogateInAStringBecomesTheReplacementCharacter() {
        LogRecord record = new LogRecord("m".getBytes(StandardCharsets.UTF_8), TS, "", "svc\uD800x", "", "",
                TagSet.EMPTY, null);

        assertEquals("svc\uFFFDx", only(List.of(record)).get("service").asText());
    }

    // ---- attributes ------------------------------------------------------------------------------------------------

    @Test
    void attributesFollowTheStandardFieldsNestedAsJson() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("http", Map.of("status_code", 502, "url", "/pay", "headers", List.of("a", "b")));
        attributes.put("duration", 1.5);
        attributes.put("big", new BigDecimal("12345678901234567890.5"));
        attributes.put("count", 7L);
        attributes.put("ok", false);
        attributes.put("missing", null);
        attributes.put("list", List.of(1, "two", List.of(true), Map.of("three", 3)));
        attributes.put("nan", Double.NaN);
        attributes.put("inf", Float.POSITIVE_INFINITY);
        attributes.put("other", new StringBuilder("as text"));
        LogRecord record = new LogRecord("m".getBytes(StandardCharsets.UTF_8), TS, "info", "", "", "",
                TagSet.EMPTY, attributes);

        LogEncoder.Encoded encoded = encoded(List.of(record));
        JsonNode json = parse(encoded).get(0);

        assertEquals(List.of("message", "status", "timestamp", "hostname", "http", "duration", "big", "count", "ok",
                "missing", "list", "nan", "inf", "other"), fieldNames(json));
        assertEquals(502, json.get("http").get("status_code").asInt());
        assertEquals("/pay", json.get("http").get("url").asText());
        assertEquals("b", json.get("http").get("headers").get(1).asText());
        assertEquals(1.5, json.get("duration").asDouble());
        assertTrue(new String(body(encoded), StandardCharsets.UTF_8).contains("\"big\":12345678901234567890.5,"),
                "a BigDecimal keeps every digit");
        assertEquals(7, json.get("count").asLong());
        assertTrue(json.get("ok").isBoolean() && !json.get("ok").asBoolean());
        assertTrue(json.get("missing").isNull());
        assertEquals("two", json.get("list").get(1).asText());
        assertTrue(json.get("list").get(2).get(0).asBoolean());
        assertEquals(3, json.get("list").get(3).get("three").asInt());
        assertEquals("NaN", json.get("nan").asText(), "JSON has no NaN: sent as text");
        assertEquals("Infinity", json.get("inf").asText());
        assertEquals("as text", json.get("other").asText());
    }

    @Test
    void attributesNamedLikeAStandardFieldAreSkipped() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (String standard : List.of("message", "status", "timestamp", "hostname", "service", "ddsource",
                "ddtags")) {
            attributes.put(standard, "from attributes");
        }
        attributes.put("Message", "other case is another key");
        attributes.put("kept", "yes");
        LogRecord record = new LogRecord("the message".getBytes(StandardCharsets.UTF_8), TS, "error", "web", "",
                "", TagSet.EMPTY, attributes);

        JsonNode json = only(List.of(record)); // the strict parser refuses duplicate keys

        assertEquals("the message", json.get("message").asText());
        assertEquals("error", json.get("status").asText());
        assertEquals(TS, json.get("timestamp").asLong());
        assertEquals("i-0agent", json.get("hostname").asText());
        assertEquals("web", json.get("service").asText());
        assertNull(json.get("ddsource"), "skipped even where the record's own field is empty and left out");
        assertNull(json.get("ddtags"));
        assertEquals("other case is another key", json.get("Message").asText());
        assertEquals("yes", json.get("kept").asText());
        assertEquals(7, json.size());
    }

    @Test
    void aCyclicAttributeIsCutAtTheDepthLimitInsteadOfLoopingForever() {
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        LogRecord record = log("m".getBytes(StandardCharsets.UTF_8), Map.of("loop", cyclic));

        JsonNode node = only(List.of(record)).get("loop");
        int depth = 1;
        while (node.isObject()) {
            node = node.get("self");
            depth++;
        }
        assertTrue(node.isNull());
        assertEquals(LogEncoder.MAX_ATTRIBUTE_DEPTH + 1, depth);
    }

    // ---- truncation ------------------------------------------------------------------------------------------------

    @Test
    void aMessageOfExactlyTheLimitIsKept() {
        byte[] message = ascii(LogEncoder.MAX_MESSAGE_BYTES);
        LogEncoder.Encoded encoded = encoded(List.of(log(message, null)));

        assertEquals(0, encoded.truncated());
        assertEquals(LogEncoder.MAX_MESSAGE_BYTES, parse(encoded).get(0).get("message").asText().length());
    }

    @Test
    void aLongerMessageIsCutToTheLimitAndEndsWithTheAgentsMarker() {
        byte[] message = ascii(LogEncoder.MAX_MESSAGE_BYTES + 1);
        LogEncoder.Encoded encoded = encoded(List.of(log(message, null), log("short")));

        assertEquals(1, encoded.truncated(), "only the long one");
        assertEquals(2, encoded.logs());
        String sent = parse(encoded).get(0).get("message").asText();
        assertEquals(LogEncoder.MAX_MESSAGE_BYTES, sent.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(sent.endsWith(MARKER));
        assertEquals(new String(message, 0, LogEncoder.MAX_MESSAGE_BYTES - MARKER.length(),
                StandardCharsets.US_ASCII) + MARKER, sent);
    }

    @Test
    void theCutNeverSplitsAMultiByteCharacter() throws CharacterCodingException {
        int keep = LogEncoder.MAX_MESSAGE_BYTES - MARKER.length();
        for (String wide : List.of("é", "€", "😀")) { // 2, 3 and 4 bytes
            int width = wide.getBytes(StandardCharsets.UTF_8).length;
            for (int shift = 0; shift < width; shift++) {
                // ASCII up to shift bytes before the cut, then wide characters across it.
                String text = "a".repeat(keep - width + 1 - shift) + wide.repeat(40);
                byte[] message = text.getBytes(StandardCharsets.UTF_8);
                assertTrue(message.length > LogEncoder.MAX_MESSAGE_BYTES);

                LogEncoder.Encoded encoded = encoded(List.of(log(message, null)));

                byte[] body = body(encoded);
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
                String sent = parse(encoded).get(0).get("message").asText();
                assertTrue(sent.endsWith(MARKER), wide + " shift " + shift);
                String kept = sent.substring(0, sent.length() - MARKER.length());
                assertTrue(text.startsWith(kept), "a prefix of the original, whole characters only");
                int keptBytes = kept.getBytes(StandardCharsets.UTF_8).length;
                assertTrue(keptBytes <= keep && keptBytes > keep - width, wide + " shift " + shift + ": " + keptBytes);
            }
        }
    }

    @Test
    void utf8BoundaryBacksOffContinuationBytesOnly() {
        byte[] euro = "a€b".getBytes(StandardCharsets.UTF_8); // 61 E2 82 AC 62
        assertEquals(1, LogEncoder.utf8Boundary(euro, 1));
        assertEquals(1, LogEncoder.utf8Boundary(euro, 2));
        assertEquals(1, LogEncoder.utf8Boundary(euro, 3));
        assertEquals(4, LogEncoder.utf8Boundary(euro, 4));
        assertEquals(5, LogEncoder.utf8Boundary(euro, 9));
        assertEquals(0, LogEncoder.utf8Boundary(euro, 0));
    }

    // ---- payload limits --------------------------------------------------------------------------------------------

    @Test
    void aThousandLogsFitOnePayloadAndOneMoreDoesNot() {
        List<Signal> thousand = new ArrayList<>();
        for (int i = 0; i < LogEncoder.MAX_LOGS_PER_PAYLOAD; i++) {
            thousand.add(log("line " + i));
        }
        LogEncoder.Encoded encoded = encoded(thousand);
        assertEquals(1000, encoded.logs());
        JsonNode array = parse(encoded);
        assertEquals(1000, array.size());
        assertEquals("line 999", array.get(999).get("message").asText());

        thousand.add(log("line 1000"));
        LogEncoder.OverLimit over = assertInstanceOf(LogEncoder.OverLimit.class,
                LogEncoder.encode(thousand, "h"));
        assertTrue(over.reason().contains("1001") && over.reason().contains("1000"), over.reason());
    }

    @Test
    void aBatchOverFiveMillionBytesOfJsonIsOverTheLimit() {
        List<Signal> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(log(ascii(999_000), null));
        }
        assertInstanceOf(LogEncoder.Encoded.class, LogEncoder.encode(batch, "h"), "about 4,995,000 bytes fit");

        batch.add(log(ascii(10_000), null));
        LogEncoder.OverLimit over = assertInstanceOf(LogEncoder.OverLimit.class, LogEncoder.encode(batch, "h"));
        assertTrue(over.reason().contains("5000000"), over.reason());
    }

    @Test
    void oneLogWhoseEscapedJsonPassesTheLimitIsOverTheLimitAlone() {
        byte[] controls = new byte[LogEncoder.MAX_MESSAGE_BYTES]; // each NUL becomes six bytes: \u0000
        LogEncoder.OverLimit over = assertInstanceOf(LogEncoder.OverLimit.class,
                LogEncoder.encode(List.of(log(controls, null)), "h"));
        assertTrue(over.reason().startsWith("a log encodes"), over.reason());
    }

    @Test
    void otherSignalsAreLeftOutAndCounted() {
        Event event = new Event("t", "x", 1, Event.AlertType.INFO, Event.Priority.NORMAL, "", "", TagSet.EMPTY, "");
        LogEncoder.Encoded encoded = encoded(List.of(event, log("kept"), event));

        assertEquals(2, encoded.unsupported());
        assertEquals(1, encoded.logs());
        assertEquals("kept", parse(encoded).get(0).get("message").asText());

        LogEncoder.NothingToSend nothing = assertInstanceOf(LogEncoder.NothingToSend.class,
                LogEncoder.encode(List.of(event), "h"));
        assertEquals(1, nothing.unsupported());
    }

    private static byte[] ascii(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        return bytes;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
