package io.pilotfish.collector.apm.decode;

import static io.pilotfish.collector.apm.decode.Payloads.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.Span;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** v0.5: {@code [dictionary, traces]} with 12-element span arrays. */
class V05DecoderTest {

    private final TraceDecoder decoder = new TraceDecoder(64L << 20);

    private DecodedTraces decode(byte[] body) throws TraceDecodeException {
        return decoder.decodeV05(body, 0, body.length);
    }

    private Reason reason(byte[] body) {
        return assertThrows(TraceDecodeException.class, () -> decode(body)).reason();
    }

    /** {@code [[dictionary...], [[span]]]} with one span written by {@code span}. */
    private static byte[] oneSpan(List<Object> dictionary, Consumer<MsgpackWriter> span) {
        MsgpackWriter w = new MsgpackWriter().array(2).value(dictionary).array(1).array(1);
        span.accept(w);
        return w.bytes();
    }

    private static final List<Object> DICTIONARY = list("", "svc", "op", "res", "k", "v", "m", "web");

    /** The elements of a valid span, one writer each. */
    private static final List<Consumer<MsgpackWriter>> ELEMENTS = List.of(
            w -> w.integer(1),
            w -> w.integer(2),
            w -> w.integer(3),
            w -> w.uint64(0xFEDC_BA98_7654_3210L),
            w -> w.integer(22),
            w -> w.integer(11),
            w -> w.integer(1_700_000_000_000_000_000L),
            w -> w.integer(300),
            w -> w.integer(1),
            w -> w.map(1).integer(4).integer(5),
            w -> w.map(1).integer(6).float64(2.5),
            w -> w.integer(7));

    /** A valid span with element {@code index} written by {@code override} instead (-1: none). */
    private static Consumer<MsgpackWriter> span(int index, Consumer<MsgpackWriter> override) {
        return w -> {
            w.array(12);
            for (int i = 0; i < 12; i++) {
                (i == index ? override : ELEMENTS.get(i)).accept(w);
            }
        };
    }

    @Test
    void decodesEveryFieldThroughTheDictionary() throws Exception {
        DecodedTraces decoded = decode(oneSpan(DICTIONARY, span(-1, null)));
        assertEquals(1, decoded.spanCount());
        assertEquals(Span.of("svc", "op", "res", 0xFEDC_BA98_7654_3210L, 22, 11, 1_700_000_000_000_000_000L, 300, 1,
                Map.of("k", "v"), Map.of("m", 2.5), "web"), decoded.traces().get(0).get(0));
    }

    @Test
    void decodesSeveralTracesSharingTheDictionary() throws Exception {
        DecodedTraces decoded = decode(Payloads.v05());
        assertEquals(2, decoded.traces().size());
        assertEquals(3, decoded.spanCount());
        Span root = decoded.traces().get(0).get(0);
        Span child = decoded.traces().get(0).get(1);
        assertEquals(Span.of("web", "http.request", "GET /", 7, 1, 0, 1_000, 50, 0, Map.of("env", "prod"),
                Map.of("_top_level", 1.0), ""), root);
        assertEquals(Span.of("db", "db", "SELECT ?", 7, 2, 1, 1_010, 20, 1, null, null, "db"), child);
        assertSame(root.service(), decoded.traces().get(1).get(0).service(), "one string per dictionary entry");
    }

    @Test
    void anIndexOutOfTheDictionaryIsAnError() {
        for (int element : new int[] {0, 1, 2, 11}) {
            assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(element, w -> w.integer(8)))),
                    "element " + element);
        }
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(9, w -> w.map(1).integer(4).integer(99)))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(9, w -> w.map(1).uint32(0xFFFF_FFFFL).integer(5)))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(10, w -> w.map(1).integer(8).float64(1)))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(0, w -> w.int8(-1)))), "negative");
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(0, w -> w.uint64(-1)))), "huge");
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(list(), span(-1, null))), "an empty dictionary");
    }

    @Test
    void indexesMustBeIntegersNotNilOrStrings() {
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(0, MsgpackWriter::nil))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(1, w -> w.str("op")))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(11, w -> w.float64(7)))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(9, MsgpackWriter::nil))),
                "meta must be a map");
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, span(10, w -> w.array(0)))),
                "metrics must be a map");
    }

    @Test
    void numbersAreReadLenientlyAsInV04() throws Exception {
        byte[] body = oneSpan(DICTIONARY, w -> {
            w.array(12).integer(1).integer(2).integer(3);
            w.int8(-1).nil().int64(-2); // ids: cast, nil
            w.uint64(10).nil(); // start, duration
            w.uint8(1); // error
            w.map(0).map(2).integer(6).integer(3).integer(4).nil(); // metrics: an int, a nil
            w.uint16(7);
        });
        Span span = decode(body).traces().get(0).get(0);
        assertEquals(-1L, span.traceId());
        assertEquals(0, span.spanId());
        assertEquals(-2L, span.parentId());
        assertEquals(10, span.start());
        assertEquals(0, span.duration());
        assertEquals(1, span.error());
        assertEquals(Map.of("m", 3.0, "k", 0.0), span.metrics());
        assertEquals("web", span.type());
    }

    @Test
    void aSpanMustHaveExactlyTwelveElements() {
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, w -> w.array(11).raw(new byte[11]))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, w -> w.array(13).raw(new byte[13]))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, w -> w.map(0))));
        assertEquals(Reason.DECODING_ERROR, reason(oneSpan(DICTIONARY, MsgpackWriter::nil)), "no nil spans in v0.5");
    }

    @Test
    void dictionaryStringsAreLenient() throws Exception {
        List<Object> dictionary = list(null, "svc", "op".getBytes(), "res", "k", "v", "m", "web");
        Span span = decode(oneSpan(dictionary, span(0, w -> w.integer(0)))).traces().get(0).get(0);
        assertEquals("", span.service(), "nil is the empty string");
        assertEquals("op", span.name(), "bin is a string");
        byte[] body = new MsgpackWriter().array(2).array(2).str("").strBytes(new byte[] {'x', (byte) 0xC3})
                .array(1).array(1).array(12).integer(1).integer(1).integer(1).raw(0, 0, 0, 0, 0, 0, 0x80, 0x80, 1)
                .bytes();
        assertEquals("x\uFFFD", decode(body).traces().get(0).get(0).service(), "invalid UTF-8 repaired");
    }

    @Test
    void theOuterArrayCountIsNotCheckedAsTheAgentIgnoresIt() throws Exception {
        byte[] valid = oneSpan(DICTIONARY, span(-1, null));
        byte[] three = valid.clone();
        three[0] = (byte) 0x93;
        assertEquals(1, decode(three).spanCount());
        assertEquals(Reason.DECODING_ERROR, reason(new MsgpackWriter().map(0).bytes()), "but it is an array");
        assertEquals(Reason.DECODING_ERROR,
                reason(new MsgpackWriter().array(2).map(0).array(0).bytes()), "the dictionary is an array");
    }

    @Test
    void headersOverTwentyFiveMillionAreTooLong() {
        assertEquals(Reason.TOO_LONG, reason(new MsgpackWriter().array32(25_000_001).bytes()));
        assertEquals(Reason.TOO_LONG, reason(new MsgpackWriter().array(2).array32(25_000_001).bytes()));
        assertEquals(Reason.TOO_LONG, reason(new MsgpackWriter().array(2).array(0).array32(0xFFFF_FFFFL).bytes()));
        assertEquals(Reason.TOO_LONG, reason(oneSpan(DICTIONARY, span(9, w -> w.map32(25_000_001)))));
    }

    @Test
    void lengthsBeyondTheBodyAreEofs() {
        assertEquals(Reason.UNEXPECTED_EOF, reason(new MsgpackWriter().array(2).array32(10_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(new MsgpackWriter().array(2).array(0).array32(5_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF, reason(oneSpan(DICTIONARY, span(10, w -> w.map32(1_000_000)))));
    }

    @Test
    void everyTruncationIsAnUnexpectedEof() {
        byte[] body = Payloads.v05();
        for (int cut = 0; cut < body.length; cut++) {
            int at = cut;
            assertEquals(Reason.UNEXPECTED_EOF, reason(Arrays.copyOf(body, cut)), () -> "cut at " + at);
        }
    }

    @Test
    void aHugeDictionaryOfEmptyStringsIsRefusedByTheBudget() {
        int entries = 3_000_000;
        MsgpackWriter w = new MsgpackWriter().array(2).array32(entries);
        byte[] empties = new byte[entries];
        Arrays.fill(empties, (byte) 0xA0);
        byte[] body = w.raw(empties).array(0).bytes();
        TraceDecoder small = new TraceDecoder(8L << 20);
        assertEquals(Reason.TOO_LARGE, assertThrows(TraceDecodeException.class,
                () -> small.decodeV05(body, 0, body.length)).reason());
        assertTrue(body.length < (4 << 20));
    }
}
