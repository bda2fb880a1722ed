package io.pilotfish.collector.apm.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeType;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import io.pilotfish.spi.trace.SpanLink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** v0.3 JSON, read as the agent reads it with Go's encoding/json. */
class JsonTracesDecoderTest {

    static final String FULL = """
            [[{"service":"billing","name":"servlet.request","resource":"GET /invoices/?",
               "trace_id":18446744073709551615,"span_id":2,"parent_id":1,
               "start":1700000000123456789,"duration":-5,"error":1,
               "meta":{"env":"prod","http.method":"GET"},
               "metrics":{"_sampling_priority_v1":1,"ratio":0.25,"big":1e300},
               "type":"web",
               "meta_struct":{"appsec":"gaFrAQ=="},
               "span_links":[{"trace_id":11,"trace_id_high":12,"span_id":13,"attributes":{"k":"v"},
                              "tracestate":"dd=s:1","flags":2147483649}],
               "span_events":[{"time_unix_nano":1700000000200000000,"name":"exception","attributes":{
                  "message":{"type":0,"string_value":"boom"},
                  "handled":{"type":1,"bool_value":true},
                  "count":{"type":2,"int_value":-7},
                  "ratio":{"type":3,"double_value":0.5},
                  "lines":{"type":4,"array_value":{"values":[{"type":2,"int_value":10},{"type":0,"string_value":"x"}]}}
               }}]},
              {"service":"web","name":"n","resource":"r","trace_id":7,"span_id":3,"parent_id":2,"start":1,
               "duration":1,"error":0,"type":""}],
             []]
            """;

    private final TraceDecoder decoder = new TraceDecoder(64L << 20);

    private DecodedTraces decode(String json) throws TraceDecodeException {
        return decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private DecodedTraces decode(byte[] body) throws TraceDecodeException {
        return decoder.decodeJsonTraces(body, 0, body.length);
    }

    private Span span(String json) throws TraceDecodeException {
        return decode("[[" + json + "]]").traces().get(0).get(0);
    }

    private Reason reason(String json) {
        return assertThrows(TraceDecodeException.class, () -> decode(json)).reason();
    }

    @Test
    void decodesEveryField() throws Exception {
        DecodedTraces decoded = decode(FULL);
        assertEquals(2, decoded.traces().size());
        assertEquals(2, decoded.spanCount());
        assertEquals(1, decoded.emptyTraceCount());
        Span span = decoded.traces().get(0).get(0);
        assertEquals("billing", span.service());
        assertEquals("servlet.request", span.name());
        assertEquals("GET /invoices/?", span.resource());
        assertEquals(-1L, span.traceId(), "uint64 max keeps its bits");
        assertEquals(2, span.spanId());
        assertEquals(1, span.parentId());
        assertEquals(1_700_000_000_123_456_789L, span.start());
        assertEquals(-5, span.duration());
        assertEquals(1, span.error());
        assertEquals(Map.of("env", "prod", "http.method", "GET"), span.meta());
        assertEquals(Map.of("_sampling_priority_v1", 1.0, "ratio", 0.25, "big", 1e300), span.metrics());
        assertEquals("web", span.type());
        assertArrayEquals(new byte[] {(byte) 0x81, (byte) 0xA1, 'k', 0x01}, span.metaStruct().get("appsec"));
        assertEquals(List.of(new SpanLink(11, 12, 13, Map.of("k", "v"), "dd=s:1", 0x8000_0001)), span.links());
        SpanEvent event = span.events().get(0);
        assertEquals(1_700_000_000_200_000_000L, event.timeUnixNano());
        assertEquals("exception", event.name());
        assertEquals(Map.of(
                "message", AttributeValue.of("boom"),
                "handled", AttributeValue.of(true),
                "count", AttributeValue.of(-7L),
                "ratio", AttributeValue.of(0.5),
                "lines", new AttributeValue(AttributeType.ARRAY, null, false, 0, 0,
                        List.of(AttributeValue.of(10L), AttributeValue.of("x")))), event.attributes());
        assertEquals(Span.of("web", "n", "r", 7, 3, 2, 1, 1, 0, null, null, ""), decoded.traces().get(0).get(1));
    }

    @Test
    void theSameSpanDecodesAlikeFromJsonAndMsgpack() throws Exception {
        String json = """
                [[{"service":"web","name":"http.request","resource":"GET /","trace_id":7,"span_id":2,"parent_id":1,
                   "start":1000,"duration":10,"error":0,"meta":{"env":"prod"},"metrics":{"_top_level":1},
                   "type":"web"}]]""";
        byte[] msgpack = new MsgpackWriter().value(Payloads.list(Payloads.list(Payloads.webSpan(2, 1)))).bytes();
        assertEquals(decoder.decodeMsgpackTraces(msgpack, 0, msgpack.length).traces(), decode(json).traces());
    }

    @Test
    void structKeysMatchWhateverTheirCaseButMapKeysExactly() throws Exception {
        Span span = span("""
                {"SERVICE":"a","Name":"b","Trace_ID":5,"META":{"Env":"x"},"Span_Links":[{"Span_Id":3}]}""");
        assertEquals("a", span.service());
        assertEquals("b", span.name());
        assertEquals(5, span.traceId());
        assertEquals(Map.of("Env", "x"), span.meta());
        assertEquals(3, span.links().get(0).spanId());
    }

    @Test
    void nullLeavesScalarsAsTheyWereAndEmptiesMapsAndLists() throws Exception {
        Span span = span("""
                {"service":"kept","service":null,"trace_id":9,"trace_id":null,"meta":{"a":"1"},"meta":null,
                 "metrics":{"m":null},"span_links":[null,{"trace_id":null}],"span_events":null,"name":null}""");
        assertEquals("kept", span.service());
        assertEquals(9, span.traceId());
        assertEquals(Map.of(), span.meta());
        assertEquals(Map.of("m", 0.0), span.metrics());
        assertEquals(List.of(new SpanLink(0, 0, 0, null, "", 0)), span.links());
        assertEquals("", span.name());
        assertEquals(Map.of("k", ""), span("{\"meta\":{\"k\":null}}").meta());
    }

    @Test
    void nullTracesAndSpansAsInGo() throws Exception {
        assertEquals(0, decode("null").traces().size());
        DecodedTraces decoded = decode("[null,[null,{\"service\":\"s\"},null]]");
        assertEquals(2, decoded.traces().size());
        assertEquals(List.of(), decoded.traces().get(0));
        assertEquals(1, decoded.spanCount());
    }

    @Test
    void aSecondObjectForAMapAddsToItAndASecondArrayReplaces() throws Exception {
        Span span = span("""
                {"meta":{"a":"1"},"meta":{"b":"2","a":"3"},"span_links":[{"span_id":1}],"span_links":[{"span_id":2}]}""");
        assertEquals(Map.of("a", "3", "b", "2"), span.meta());
        assertEquals(1, span.links().size());
        assertEquals(2, span.links().get(0).spanId());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"trace_id\":1.0",         // integers take integer literals only
            "\"trace_id\":1e3",
            "\"trace_id\":\"1\"",
            "\"trace_id\":-1",          // a negative id in a uint64 field
            "\"trace_id\":18446744073709551616",
            "\"start\":9223372036854775808",
            "\"error\":2147483648",
            "\"error\":true",
            "\"span_links\":[{\"flags\":4294967296}]",
            "\"span_links\":[{\"flags\":-1}]",
            "\"metrics\":{\"m\":1e400}",  // out of float64 range
            "\"metrics\":{\"m\":\"1\"}",
            "\"metrics\":[]",
            "\"service\":1",
            "\"service\":{}",
            "\"meta\":{\"k\":1}",
            "\"meta\":[]",
            "\"meta_struct\":{\"k\":\"gaFrAQ\"}",   // base64 without its padding
            "\"meta_struct\":{\"k\":\"!!!!\"}",
            "\"meta_struct\":{\"k\":5}",
            "\"span_links\":{}",
            "\"span_links\":[5]",
            "\"span_events\":[{\"time_unix_nano\":-1}]",
            "\"span_events\":[{\"attributes\":[]}]",
            "\"span_events\":[{\"attributes\":{\"a\":\"x\"}}]",
            "\"span_events\":[{\"attributes\":{\"a\":{\"type\":\"0\"}}}]",
            "\"span_events\":[{\"attributes\":{\"a\":{\"bool_value\":1}}}]",
            "\"span_events\":[{\"attributes\":{\"a\":{\"array_value\":[]}}}]",
            "\"span_events\":[{\"attributes\":{\"a\":{\"array_value\":{\"values\":{}}}}}]",
    })
    void aWrongTypeOrAnOutOfRangeNumberIsADecodingError(String field) {
        assertEquals(Reason.DECODING_ERROR, reason("[[{" + field + "}]]"), field);
    }

    @Test
    void numbersInRangeAreRead() throws Exception {
        Span span = span("""
                {"trace_id":0,"span_id":18446744073709551615,"start":-9223372036854775808,"error":-2147483648,
                 "metrics":{"i":12345678901234567890,"e":1E+2,"small":1e-400},
                 "span_links":[{"flags":4294967295}]}""");
        assertEquals(-1L, span.spanId());
        assertEquals(Long.MIN_VALUE, span.start());
        assertEquals(Integer.MIN_VALUE, span.error());
        assertEquals(Map.of("i", 1.2345678901234567e19, "e", 100.0, "small", 0.0), span.metrics());
        assertEquals(-1, span.links().get(0).flags());
    }

    @Test
    void metaStructIsPaddedBase64WithLineBreaksIgnored() throws Exception {
        Span span = span("{\"meta_struct\":{\"a\":\"gaFr\\r\\nAQ==\",\"b\":null,\"c\":\"\"}}");
        assertArrayEquals(new byte[] {(byte) 0x81, (byte) 0xA1, 'k', 0x01}, span.metaStruct().get("a"));
        assertEquals(0, span.metaStruct().get("b").length);
        assertEquals(0, span.metaStruct().get("c").length);
    }

    @Test
    void invalidUtf8IsRepairedByteByByte() throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("[[{\"service\":\"a".getBytes(StandardCharsets.UTF_8));
        body.write(0xE2);
        body.write(0x82); // cut short: two replacements, as Go's decoder writes them
        body.writeBytes("b\",\"meta\":{\"k".getBytes(StandardCharsets.UTF_8));
        body.write(0xFF);
        body.writeBytes("\":\"v\"}}]]".getBytes(StandardCharsets.UTF_8));
        Span span = decode(body.toByteArray()).traces().get(0).get(0);
        assertEquals("a\uFFFD\uFFFDb", span.service());
        assertEquals(Map.of("k\uFFFD", "v"), span.meta());
    }

    @Test
    void unpairedSurrogateEscapesBecomeReplacements() throws Exception {
        Span span = span("{\"service\":\"x\\ud800y\",\"name\":\"\\ud83d\\ude00\",\"type\":\"\\udc00\"}");
        assertEquals("x\uFFFDy", span.service());
        assertEquals("\uD83D\uDE00", span.name(), "a pair is one character");
        assertEquals("\uFFFD", span.type());
    }

    @Test
    void unknownKeysAreSkippedWhateverTheyHold() throws Exception {
        Span span = span("""
                {"extra":{"a":[1,{"b":[[[]]]},"s"],"c":2.5},"service":"s","x":null,
                 "span_events":[{"extra":[1],"attributes":{"a":{"type":0,"string_value":"v","extra":{}}}}]}""");
        assertEquals("s", span.service());
        assertEquals(new SpanEvent(0, "", Map.of("a", AttributeValue.of("v"))), span.events().get(0));
    }

    @Test
    void theStructureMustBeArraysOfObjects() {
        assertEquals(Reason.DECODING_ERROR, reason("{}"));
        assertEquals(Reason.DECODING_ERROR, reason("[{}]"));
        assertEquals(Reason.DECODING_ERROR, reason("[[[]]]"));
        assertEquals(Reason.DECODING_ERROR, reason("[[1]]"));
        assertEquals(Reason.DECODING_ERROR, reason("5"));
        assertEquals(Reason.DECODING_ERROR, reason("[[{\"service\":\"a\" \"name\":\"b\"}]]"), "missing comma");
        assertEquals(Reason.DECODING_ERROR, reason("[[{'service':'a'}]]"), "not JSON quotes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "[", "[[", "[[{", "[[{\"service\"", "[[{\"service\":\"ab", "[[{}]",
            "[[{\"meta\":{\"a\":"})
    void aTruncatedBodyIsAnUnexpectedEof(String json) {
        assertEquals(Reason.UNEXPECTED_EOF, reason(json), "<" + json + ">");
    }

    @Test
    void everyTruncationOfAValidPayloadIsAnUnexpectedEof() {
        byte[] body = FULL.strip().getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut < body.length; cut++) {
            byte[] prefix = java.util.Arrays.copyOf(body, cut);
            int at = cut;
            Reason reason = assertThrows(TraceDecodeException.class, () -> decode(prefix)).reason();
            // A cut inside a number can leave a shorter valid number, then the input ends: still an EOF.
            assertEquals(Reason.UNEXPECTED_EOF, reason, () -> "cut at " + at + ": " + new String(prefix,
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void bytesAfterTheFirstValueAreIgnoredAsGoDoes() throws Exception {
        assertEquals(1, decode("[[{\"service\":\"s\"}]] trailing garbage {").spanCount());
    }

    @Test
    void deepNestingUnderAnUnknownKeyIsSkippedAndTooDeepIsAnError() throws Exception {
        String deep = "[".repeat(5_000) + "]".repeat(5_000);
        assertEquals("s", span("{\"x\":" + deep + ",\"service\":\"s\"}").service());
        String tooDeep = "[".repeat(20_000) + "]".repeat(20_000);
        assertEquals(Reason.DECODING_ERROR, reason("[[{\"x\":" + tooDeep + "}]]"));
        assertEquals(Reason.UNEXPECTED_EOF, reason("[[{\"x\":" + "[".repeat(9_000)));
    }

    @Test
    void manyTinySpansAreRefusedByTheBudget() {
        String json = "[[" + "{},".repeat(100_000) + "{}]]";
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        TraceDecoder small = new TraceDecoder(2L << 20);
        assertEquals(Reason.TOO_LARGE, assertThrows(TraceDecodeException.class,
                () -> small.decodeJsonTraces(body, 0, body.length)).reason());
    }

    @Test
    void aStringLargerThanTheBudgetIsRefusedWhileRead() {
        byte[] body = ("[[{\"resource\":\"" + "x".repeat(300_000) + "\"}]]").getBytes(StandardCharsets.UTF_8);
        TraceDecoder small = new TraceDecoder(256 * 1024);
        TraceDecodeException e = assertThrows(TraceDecodeException.class,
                () -> small.decodeJsonTraces(body, 0, body.length));
        assertTrue(e.reason() == Reason.DECODING_ERROR || e.reason() == Reason.TOO_LARGE, e.reason().toString());
    }

    @Test
    void decodesARangeOfALargerBuffer() throws Exception {
        byte[] body = "xx[[{\"service\":\"s\"}]]yy".getBytes(StandardCharsets.UTF_8);
        assertEquals("s", decoder.decodeJsonTraces(body, 2, body.length - 4).traces().get(0).get(0).service());
    }
}
