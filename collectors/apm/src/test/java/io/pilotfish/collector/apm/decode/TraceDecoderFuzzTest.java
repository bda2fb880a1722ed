package io.pilotfish.collector.apm.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import io.pilotfish.spi.trace.SpanLink;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of the trace decoders (Jazzer), one target per format. With a plain {@code mvn test} the
 * seeds in {@code TraceDecoderFuzzTestInputs/<method>} (and any crash input kept there) run as regression tests;
 * with {@code JAZZER_FUZZ=1} Jazzer mutates them for the test's time box ({@code scripts/fuzz.sh}).
 *
 * <p>The contract checked on every input: the decoder returns or throws {@link TraceDecodeException} (never another
 * exception, an OutOfMemoryError or a StackOverflowError), with a reason and a short, printable message; what it
 * returns counts its spans right, holds no more spans than the input could encode, and holds only valid text.
 */
class TraceDecoderFuzzTest {

    /** Small, so that tiny-value bombs hit the budget instead of the fuzzer's heap. */
    private static final long BUDGET = 16L << 20;
    private static final int MAX_MESSAGE = 300 * 8 + 16;

    // One decoder for the whole run, as a receiver thread keeps one: its string cache sees every input.
    private final TraceDecoder decoder = new TraceDecoder(BUDGET);

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void v04(byte[] body) {
        try {
            check(decoder.decodeMsgpackTraces(body, 0, body.length), body.length);
        } catch (TraceDecodeException e) {
            checkError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void v05(byte[] body) {
        try {
            DecodedTraces decoded = decoder.decodeV05(body, 0, body.length);
            check(decoded, body.length);
            assertTrue(decoded.spanCount() * (long) (TraceDecoder.V05_SPAN_ELEMENTS + 1) <= body.length,
                    "a v0.5 span takes at least 13 bytes");
        } catch (TraceDecodeException e) {
            checkError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void v07(byte[] body) {
        try {
            DecodedTracerPayload decoded = decoder.decodeV07(body, 0, body.length);
            int spans = 0;
            for (DecodedChunk chunk : decoded.chunks()) {
                spans += chunk.spans().size();
                chunk.spans().forEach(TraceDecoderFuzzTest::checkSpan);
                checkText(chunk.origin());
                checkMap(chunk.tags());
            }
            assertEquals(decoded.spanCount(), spans, "span count");
            assertTrue(spans <= body.length, spans + " spans from " + body.length + " bytes");
            checkText(decoded.tracer().containerId());
            checkMap(decoded.tracer().tags());
        } catch (TraceDecodeException e) {
            checkError(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void json(byte[] body) {
        try {
            check(decoder.decodeJsonTraces(body, 0, body.length), body.length);
        } catch (TraceDecodeException e) {
            checkError(e);
        }
    }

    private static void check(DecodedTraces decoded, int inputLength) {
        int spans = 0;
        for (List<Span> trace : decoded.traces()) {
            spans += trace.size();
            trace.forEach(TraceDecoderFuzzTest::checkSpan);
        }
        assertEquals(decoded.spanCount(), spans, "span count");
        assertTrue(spans <= inputLength, spans + " spans from " + inputLength + " bytes");
    }

    private static void checkSpan(Span span) {
        checkText(span.service());
        checkText(span.name());
        checkText(span.resource());
        checkText(span.type());
        checkMap(span.meta());
        span.metrics().keySet().forEach(TraceDecoderFuzzTest::checkText);
        span.metrics().values().forEach(v -> assertNotNull(v));
        span.metaStruct().forEach((k, v) -> {
            checkText(k);
            assertNotNull(v);
        });
        for (SpanLink link : span.links()) {
            checkMap(link.attributes());
            checkText(link.tracestate());
        }
        for (SpanEvent event : span.events()) {
            checkText(event.name());
            event.attributes().forEach((k, v) -> {
                checkText(k);
                checkAttribute(v, true);
            });
        }
    }

    private static void checkAttribute(AttributeValue value, boolean arrayAllowed) {
        assertNotNull(value.type());
        checkText(value.stringValue());
        if (!arrayAllowed) {
            assertTrue(value.type() != SpanEvent.AttributeType.ARRAY, "an array inside an array");
        }
        value.arrayValue().forEach(v -> checkAttribute(v, false));
    }

    private static void checkMap(Map<String, String> map) {
        map.forEach((k, v) -> {
            checkText(k);
            checkText(v);
        });
    }

    /** Valid text: no unpaired surrogate, so it encodes to UTF-8 and back unchanged. */
    private static void checkText(String s) {
        assertNotNull(s);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else {
                assertTrue(!Character.isSurrogate(c), "an unpaired surrogate");
            }
        }
    }

    private static void checkError(TraceDecodeException e) {
        assertNotNull(e.reason(), "an error without a reason");
        String message = e.getMessage();
        assertTrue(message.length() <= MAX_MESSAGE, "error message of " + message.length() + " chars");
        assertTrue(message.chars().noneMatch(Character::isISOControl), "a control character in: " + message);
    }
}
