package io.pilotfish.collector.apm.decode;

import static io.pilotfish.collector.apm.decode.Payloads.BIG_SPAN_ID;
import static io.pilotfish.collector.apm.decode.Payloads.TRACE_ID;
import static io.pilotfish.collector.apm.decode.Payloads.fullSpan;
import static io.pilotfish.collector.apm.decode.Payloads.list;
import static io.pilotfish.collector.apm.decode.Payloads.map;
import static io.pilotfish.collector.apm.decode.Payloads.webSpan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeType;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import io.pilotfish.spi.trace.SpanLink;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** v0.4 and v0.3 msgpack: {@code [[span, ...], ...]}. */
class MsgpackTracesDecoderTest {

    private final TraceDecoder decoder = new TraceDecoder(64L << 20);

    private DecodedTraces decode(byte[] body) throws TraceDecodeException {
        return decoder.decodeMsgpackTraces(body, 0, body.length);
    }

    private DecodedTraces decode(Object traces) throws TraceDecodeException {
        return decode(new MsgpackWriter().value(traces).bytes());
    }

    private Span decodeSpan(Map<String, Object> span) throws TraceDecodeException {
        return decode(list(list(span))).traces().get(0).get(0);
    }

    private Reason reason(byte[] body) {
        return assertThrows(TraceDecodeException.class, () -> decode(body)).reason();
    }

    private Reason reason(Object traces) {
        return reason(new MsgpackWriter().value(traces).bytes());
    }

    @Test
    void decodesEveryFieldOfASpan() throws Exception {
        DecodedTraces decoded = decode(Payloads.v04());
        assertEquals(2, decoded.traces().size());
        assertEquals(3, decoded.spanCount());
        Span span = decoded.traces().get(0).get(0);
        assertEquals("billing", span.service());
        assertEquals("servlet.request", span.name());
        assertEquals("GET /invoices/?", span.resource());
        assertEquals(TRACE_ID, span.traceId());
        assertEquals(BIG_SPAN_ID, span.spanId(), "a uint64 above Long.MAX_VALUE keeps its bits");
        assertEquals(42, span.parentId());
        assertEquals(1_700_000_000_123_456_789L, span.start());
        assertEquals(2_500_000L, span.duration());
        assertEquals(1, span.error());
        assertEquals(Map.of("http.method", "GET", "env", "prod", "_dd.p.tid", "6650a0f500000000"), span.meta());
        assertEquals(Map.of("_sampling_priority_v1", 1.0, "_top_level", 1.0, "http.status_code", 500.0),
                span.metrics());
        assertEquals("web", span.type());
        assertArrayEquals(new byte[] {(byte) 0x81, (byte) 0xA1, 'k', 0x01}, span.metaStruct().get("appsec"));

        assertEquals(List.of(new SpanLink(11, 12, 13, Map.of("link.kind", "follows"), "dd=s:1", 0x8000_0001)),
                span.links());

        SpanEvent event = span.events().get(0);
        assertEquals(1_700_000_000_200_000_000L, event.timeUnixNano());
        assertEquals("exception", event.name());
        Map<String, AttributeValue> attributes = event.attributes();
        assertEquals(AttributeValue.of("boom"), attributes.get("message"));
        assertEquals(AttributeValue.of(true), attributes.get("handled"));
        assertEquals(AttributeValue.of(-7L), attributes.get("count"));
        assertEquals(AttributeValue.of(0.25), attributes.get("ratio"));
        AttributeValue lines = attributes.get("lines");
        assertEquals(AttributeType.ARRAY, lines.type());
        assertEquals(List.of(AttributeValue.of(10L), AttributeValue.of("x")), lines.arrayValue());

        Span second = decoded.traces().get(0).get(1);
        assertEquals(Span.of("web", "http.request", "GET /", 7, 2, 1, 1_000, 10, 0, Map.of("env", "prod"),
                Map.of("_top_level", 1.0), "web"), second);
    }

    @Test
    void chunksGetNoPriorityAndEmptyTracesAreLeftOut() throws Exception {
        DecodedTraces decoded = decode(list(list(webSpan(1, 0)), list(), list(webSpan(2, 0), webSpan(3, 2))));
        assertEquals(1, decoded.emptyTraceCount());
        TracerInfo tracer = new TracerInfo("cid", "java", "21", "1.40.0", "", null, "", "", "");
        List<TraceChunk> chunks = decoded.toChunks(tracer);
        assertEquals(2, chunks.size());
        for (TraceChunk chunk : chunks) {
            assertEquals(TraceChunk.PRIORITY_NONE, chunk.priority());
            assertSame(tracer, chunk.tracer());
            assertEquals("", chunk.origin());
            assertEquals(Map.of(), chunk.tags());
        }
        assertEquals(2, chunks.get(1).spans().size());
    }

    @Test
    void anEmptyPayloadHasNoTraces() throws Exception {
        DecodedTraces decoded = decode(list());
        assertEquals(0, decoded.traces().size());
        assertEquals(0, decoded.spanCount());
    }

    @Test
    void nilInEveryFieldIsItsZeroValue() throws Exception {
        Map<String, Object> span = fullSpan();
        span.replaceAll((k, v) -> null);
        assertEquals(Span.of("", "", "", 0, 0, 0, 0, 0, 0, null, null, ""), decodeSpan(span));
    }

    @Test
    void nilInsideMapsListsLinksAndEventsIsItsZeroValueOrLeftOut() throws Exception {
        Span span = decodeSpan(map(
                "meta", map("k", null),
                "metrics", map("m", null),
                "meta_struct", map("s", null),
                "span_links", list(null, map("trace_id", null, "trace_id_high", null, "span_id", null,
                        "attributes", null, "tracestate", null, "flags", null)),
                "span_events", list(null, map("time_unix_nano", null, "name", null, "attributes", map(
                        "gone", null,
                        "zero", map("type", null, "string_value", null, "bool_value", null, "int_value", null,
                                "double_value", null, "array_value", null),
                        "arr", map("type", 4, "array_value", map("values", list(null, map("type", 1))))))),
                "service", "s"));
        assertEquals(Map.of("k", ""), span.meta());
        assertEquals(Map.of("m", 0.0), span.metrics());
        assertEquals(0, span.metaStruct().get("s").length);
        assertEquals(List.of(new SpanLink(0, 0, 0, null, "", 0)), span.links());
        SpanEvent event = span.events().get(0);
        assertEquals(new SpanEvent(0, "", Map.of(
                "zero", AttributeValue.of(""),
                "arr", new AttributeValue(AttributeType.ARRAY, null, false, 0, 0,
                        List.of(AttributeValue.of(false))))), event);
    }

    @Test
    void aNilSpanIsLeftOutAndANilTraceIsAnError() throws Exception {
        DecodedTraces decoded = decode(list(list(null, webSpan(1, 0), null)));
        assertEquals(1, decoded.spanCount());
        assertEquals(1, decoded.traces().get(0).size());
        assertEquals(Reason.DECODING_ERROR, reason(list(null, list(webSpan(1, 0)))),
                "the agent reads each trace as an array");
        assertEquals(Reason.DECODING_ERROR, reason(new byte[] {(byte) 0xC0}));
    }

    @Test
    void stringsMayBeBinAndIntegersAnyEncodingTheAgentCasts() throws Exception {
        MsgpackWriter w = new MsgpackWriter().array(1).array(1).map(8);
        w.str("service").bin("svc");
        w.str("name").str32("op");
        w.str("trace_id").int8(-1); // Java tracers sent ids as int64: cast to uint64
        w.str("span_id").int64(-2);
        w.str("start").uint64(5);
        w.str("duration").uint8(9);
        w.str("error").uint16(1);
        w.str("metrics").map(3).str("int").integer(3).str("neg").int32(-4).str("f32").float32(0.5f);
        Span span = decode(w.bytes()).traces().get(0).get(0);
        assertEquals("svc", span.service());
        assertEquals("op", span.name());
        assertEquals(-1L, span.traceId());
        assertEquals(-2L, span.spanId());
        assertEquals(5, span.start());
        assertEquals(9, span.duration());
        assertEquals(1, span.error());
        assertEquals(Map.of("int", 3.0, "neg", -4.0, "f32", 0.5), span.metrics());
    }

    @Test
    void invalidUtf8IsRepairedInEveryStringField() throws Exception {
        byte[] bad = {'a', (byte) 0xE2, (byte) 0x82, 'b'};
        MsgpackWriter w = new MsgpackWriter().array(1).array(1).map(3);
        w.str("service").strBytes(bad);
        w.str("meta").map(1).strBytes(bad).bin(bad);
        w.str("type").bin(new byte[] {(byte) 0xFF});
        Span span = decode(w.bytes()).traces().get(0).get(0);
        assertEquals("a\uFFFD\uFFFDb", span.service());
        assertEquals(Map.of("a\uFFFD\uFFFDb", "a\uFFFD\uFFFDb"), span.meta());
        assertEquals("\uFFFD", span.type());
    }

    @Test
    void unknownKeysAreSkippedWhateverTheyHold() throws Exception {
        Map<String, Object> span = webSpan(1, 0);
        span.put("unknown_scalar", 3);
        span.put("unknown_nested", map("a", list(1, map("b", list(list(list()))), new byte[5]), "c", 2.5));
        span.put("Service", "not the service key: keys match exactly");
        Map<String, Object> link = map("trace_id", 1L, "extra", list(1, 2), "span_id", 2L);
        Map<String, Object> event = map("name", "e", "extra", map("x", 1));
        Map<String, Object> attribute = map("type", 0, "string_value", "s", "extra", list());
        event.put("attributes", map("a", attribute));
        span.put("span_links", list(link));
        span.put("span_events", list(event));
        MsgpackWriter w = new MsgpackWriter().array(1).array(1).value(span);
        Span decoded = decode(w.bytes()).traces().get(0).get(0);
        assertEquals("web", decoded.service());
        assertEquals(List.of(new SpanLink(1, 0, 2, null, "", 0)), decoded.links());
        assertEquals(new SpanEvent(0, "e", Map.of("a", AttributeValue.of("s"))), decoded.events().get(0));
    }

    @Test
    void anExtensionValueUnderAnUnknownKeyIsSkipped() throws Exception {
        MsgpackWriter w = new MsgpackWriter().array(1).array(1).map(2);
        w.str("ext").ext(5, new byte[7]);
        w.str("service").str("s");
        assertEquals("s", decode(w.bytes()).traces().get(0).get(0).service());
    }

    @Test
    void aKeySentTwiceKeepsItsLastValue() throws Exception {
        MsgpackWriter w = new MsgpackWriter().array(1).array(1).map(4);
        w.str("service").str("first");
        w.str("meta").value(map("a", "1"));
        w.str("service").str("second");
        w.str("meta").value(map("b", "2"));
        Span span = decode(w.bytes()).traces().get(0).get(0);
        assertEquals("second", span.service());
        assertEquals(Map.of("b", "2"), span.meta());
    }

    @Test
    void attributesOfTypesTheFormatDoesNotDefineAreLeftOut() throws Exception {
        Span span = decodeSpan(map("span_events", list(map("attributes", map(
                "unknown", map("type", 9, "string_value", "x"),
                "negative", map("type", -1),
                "ok", map("type", 2, "int_value", 5),
                "nested", map("type", 4, "array_value", map("values", list(
                        map("type", 4, "array_value", map("values", list(map("type", 0)))), // no arrays in arrays
                        map("type", 3, "double_value", 1.5, "array_value", list(1, 2))))))))));
        Map<String, AttributeValue> attributes = span.events().get(0).attributes();
        assertEquals(2, attributes.size());
        assertEquals(AttributeValue.of(5L), attributes.get("ok"));
        assertEquals(List.of(AttributeValue.of(1.5)), attributes.get("nested").arrayValue());
    }

    /** Each row: a field and a value of the wrong type for it. */
    @ParameterizedTest
    @CsvSource({
            "service, int", "service, list", "service, map", "service, bool", "service, float",
            "name, int", "resource, list", "type, map",
            "trace_id, string", "trace_id, float", "trace_id, bool", "trace_id, list",
            "span_id, string", "parent_id, map",
            "start, float", "start, string", "duration, bool", "duration, hugeUnsigned",
            "error, string", "error, float", "error, tooBigForInt32",
            "meta, list", "meta, int", "meta, string", "meta, mapOfInts", "meta, mapWithIntKey",
            "metrics, list", "metrics, mapOfStrings", "metrics, mapOfLists",
            "meta_struct, list", "meta_struct, mapOfInts",
            "span_links, map", "span_links, int", "span_links, listOfInts", "span_links, linkWithStringId",
            "span_links, linkWithFloatFlags", "span_links, linkWithListAttributes",
            "span_events, string", "span_events, listOfStrings", "span_events, eventWithStringTime",
            "span_events, eventWithListAttributes", "span_events, eventWithStringAttribute",
            "span_events, eventWithStringType", "span_events, eventWithIntBool", "span_events, eventWithListArray",
    })
    void aWrongTypeInAnyFieldIsADecodingError(String field, String wrong) {
        Object value = switch (wrong) {
            case "int" -> 1;
            case "float" -> 1.5;
            case "bool" -> true;
            case "string" -> "1";
            case "list" -> list("a");
            case "map" -> map("a", "b");
            case "hugeUnsigned" -> Long.MIN_VALUE; // written as int64: fine; the uint64 form is tested below
            case "tooBigForInt32" -> 1L << 33;
            case "mapOfInts" -> map("k", 1);
            case "mapWithIntKey" -> Map.of(1, "v");
            case "mapOfStrings" -> map("k", "v");
            case "mapOfLists" -> map("k", list());
            case "listOfInts" -> list(1);
            case "linkWithStringId" -> list(map("trace_id", "1"));
            case "linkWithFloatFlags" -> list(map("flags", 1.5));
            case "linkWithListAttributes" -> list(map("attributes", list()));
            case "listOfStrings" -> list("e");
            case "eventWithStringTime" -> list(map("time_unix_nano", "1"));
            case "eventWithListAttributes" -> list(map("attributes", list()));
            case "eventWithStringAttribute" -> list(map("attributes", map("a", "x")));
            case "eventWithStringType" -> list(map("attributes", map("a", map("type", "0"))));
            case "eventWithIntBool" -> list(map("attributes", map("a", map("type", 1, "bool_value", 1))));
            case "eventWithListArray" -> list(map("attributes", map("a", map("type", 4, "array_value", list()))));
            default -> throw new IllegalArgumentException(wrong);
        };
        if (wrong.equals("hugeUnsigned")) {
            MsgpackWriter w = new MsgpackWriter().array(1).array(1).map(1).str(field).uint64(Long.MIN_VALUE);
            assertEquals(Reason.DECODING_ERROR, reason(w.bytes()), "a uint64 above MaxInt64 in an int64 field");
            return;
        }
        Map<String, Object> span = webSpan(1, 0);
        span.put(field, value);
        assertEquals(Reason.DECODING_ERROR, reason(list(list(span))), field + " = " + wrong);
    }

    @Test
    void theStructureMustBeArraysOfMaps() {
        assertEquals(Reason.DECODING_ERROR, reason(map("a", 1)), "a map instead of the traces");
        assertEquals(Reason.DECODING_ERROR, reason(list(map("a", 1))), "a trace that is a map");
        assertEquals(Reason.DECODING_ERROR, reason(list(list(list()))), "a span that is an array");
        assertEquals(Reason.DECODING_ERROR, reason(list(list(1))), "a span that is an integer");
        assertEquals(Reason.DECODING_ERROR,
                reason(new MsgpackWriter().array(1).array(1).map(1).integer(5).integer(1).bytes()),
                "a span key that is not a string");
        assertEquals(Reason.DECODING_ERROR,
                reason(new MsgpackWriter().array(1).array(1).map(1).nil().integer(1).bytes()),
                "a nil span key");
    }

    @Test
    void everyTruncationOfAValidPayloadIsAnUnexpectedEof() {
        byte[] body = Payloads.v04();
        for (int cut = 0; cut < body.length; cut++) {
            byte[] prefix = Arrays.copyOf(body, cut);
            assertEquals(Reason.UNEXPECTED_EOF, reason(prefix), "cut at " + cut + " of " + body.length);
        }
    }

    @Test
    void declaredLengthsFarBeyondTheBodyAreRefusedBeforeAllocation() {
        assertEquals(Reason.UNEXPECTED_EOF, reason(new MsgpackWriter().array32(20_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(new MsgpackWriter().array(1).array32(20_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF,
                reason(new MsgpackWriter().array(1).array(1).map32(20_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF,
                reason(new MsgpackWriter().array(1).array(1).map(1).str("meta").map32(10_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(new MsgpackWriter().array(1).array(1).map(1).str("service")
                .raw(0xDB, 0x01, 0x00, 0x00, 0x00).bytes()));
        assertEquals(Reason.TOO_LONG, reason(new MsgpackWriter().array32(0xFFFF_FFFFL).bytes()));
        assertEquals(Reason.TOO_LONG, reason(new MsgpackWriter().array(1).array(1).map(1).str("span_links")
                .array32(25_000_001).bytes()));
    }

    @Test
    void aNestingBombUnderAnUnknownKeyCostsNoStack() throws Exception {
        int depth = 1_000_000;
        MsgpackWriter w = new MsgpackWriter().array(1).array(1).map(2).str("service").str("s").str("bomb");
        byte[] nest = new byte[depth];
        Arrays.fill(nest, (byte) 0x91);
        w.raw(nest).nil();
        assertEquals("s", decode(w.bytes()).traces().get(0).get(0).service());
        byte[] unclosed = Arrays.copyOf(w.bytes(), w.bytes().length - 1);
        assertEquals(Reason.UNEXPECTED_EOF, reason(unclosed));
    }

    @Test
    void tinyValuesThatWouldDecodeToHugeHeapAreRefusedAsTooLarge() throws Exception {
        int spans = 200_000; // 200 KB of one-byte empty spans: about 22 MB once decoded
        MsgpackWriter w = new MsgpackWriter().array(1).array32(spans);
        byte[] empties = new byte[spans];
        Arrays.fill(empties, (byte) 0x80);
        w.raw(empties);
        byte[] body = w.bytes();
        TraceDecoder small = new TraceDecoder(4L << 20);
        TraceDecodeException e = assertThrows(TraceDecodeException.class,
                () -> small.decodeMsgpackTraces(body, 0, body.length));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals(spans, new TraceDecoder(64L << 20).decodeMsgpackTraces(body, 0, body.length).spanCount(),
                "the same payload fits a larger budget");
    }

    @Test
    void bytesAfterThePayloadAreIgnoredAsTheAgentIgnoresThem() throws Exception {
        byte[] body = new MsgpackWriter().value(list(list(webSpan(1, 0)))).raw(0xC1, 0xFF).bytes();
        assertEquals(1, decode(body).spanCount());
    }

    @Test
    void decodesARangeOfALargerBuffer() throws Exception {
        byte[] payload = Payloads.v04();
        byte[] buffer = new byte[payload.length + 10];
        System.arraycopy(payload, 0, buffer, 5, payload.length);
        Arrays.fill(buffer, 0, 5, (byte) 0xC1);
        assertEquals(3, decoder.decodeMsgpackTraces(buffer, 5, payload.length).spanCount());
    }

    @Test
    void repeatedStringsAreSharedAcrossSpansAndPayloads() throws Exception {
        Span first = decode(Payloads.v04()).traces().get(1).get(0);
        Span again = decode(Payloads.v04()).traces().get(1).get(0);
        assertSame(first.service(), again.service());
        Map.Entry<String, String> a = first.meta().entrySet().iterator().next();
        Map.Entry<String, String> b = again.meta().entrySet().iterator().next();
        assertSame(a.getKey(), b.getKey());
        assertSame(a.getValue(), b.getValue());
    }

    @Test
    void aDecoderIsReusableAfterAnError() throws Exception {
        assertEquals(Reason.UNEXPECTED_EOF, reason(new byte[] {(byte) 0x91}));
        assertEquals(3, decode(Payloads.v04()).spanCount());
        assertTrue(decode(Payloads.v04()).traces().get(0).get(0).events().size() == 1);
    }

    @Test
    void theBudgetMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new TraceDecoder(0));
    }
}
