package io.pilotfish.collector.apm.decode;

import static io.pilotfish.collector.apm.decode.Payloads.list;
import static io.pilotfish.collector.apm.decode.Payloads.map;
import static io.pilotfish.collector.apm.decode.Payloads.webSpan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** v0.7: a msgpack {@code TracerPayload}. */
class V07DecoderTest {

    private final TraceDecoder decoder = new TraceDecoder(64L << 20);

    private DecodedTracerPayload decode(byte[] body) throws TraceDecodeException {
        return decoder.decodeV07(body, 0, body.length);
    }

    private DecodedTracerPayload decode(Map<String, Object> payload) throws TraceDecodeException {
        return decode(new MsgpackWriter().value(payload).bytes());
    }

    private Reason reason(byte[] body) {
        return assertThrows(TraceDecodeException.class, () -> decode(body)).reason();
    }

    private Reason reason(Map<String, Object> payload) {
        return reason(new MsgpackWriter().value(payload).bytes());
    }

    @Test
    void decodesThePayloadAndItsChunks() throws Exception {
        DecodedTracerPayload decoded = decode(Payloads.v07());
        assertEquals(new TracerInfo("abc123", "go", "go1.22", "v1.65.0", "0b8a-11",
                Map.of("_dd.tags.process", "entrypoint.name:app"), "prod", "ip-10-0-0-1", "1.2.3"), decoded.tracer());
        assertEquals(3, decoded.spanCount());
        assertEquals(2, decoded.chunks().size());
        DecodedChunk first = decoded.chunks().get(0);
        assertEquals(2, first.priority());
        assertEquals("synthetics", first.origin());
        assertEquals(Map.of("_dd.p.dm", "-4"), first.tags());
        assertEquals(false, first.droppedTrace());
        assertEquals(2, first.spans().size());
        assertEquals("billing", first.spans().get(0).service());
        assertEquals(1, first.spans().get(0).events().size(), "spans carry their events as in v0.4");
        DecodedChunk second = decoded.chunks().get(1);
        assertEquals(-1, second.priority());
        assertEquals(true, second.droppedTrace());
        assertEquals(Span.of("web", "http.request", "GET /", 7, 5, 0, 1_000, 10, 0, Map.of("env", "prod"),
                Map.of("_top_level", 1.0), "web"), second.spans().get(0));
    }

    @Test
    void chunksForThePipelineKeepWhatTheTracerSetAndShareTheGivenTracer() throws Exception {
        Map<String, Object> payload = Payloads.v07Payload();
        @SuppressWarnings("unchecked")
        List<Object> chunks = (List<Object>) payload.get("chunks");
        chunks.add(map("priority", 1, "spans", list()));
        chunks.add(null);
        DecodedTracerPayload decoded = decode(payload);
        assertEquals(3, decoded.chunks().size(), "a nil chunk is left out");
        assertEquals(1, decoded.emptyChunkCount());
        TracerInfo enriched = new TracerInfo("abc123", "go", "", "", "", Map.of("_dd.tags.container", "task:x"), "",
                "", "");
        List<TraceChunk> out = decoded.toChunks(enriched);
        assertEquals(2, out.size(), "the empty chunk is left out");
        assertEquals(2, out.get(0).priority());
        assertEquals("synthetics", out.get(0).origin());
        assertEquals(Map.of("_dd.p.dm", "-4"), out.get(0).tags());
        assertTrue(out.get(1).droppedTrace());
        assertSame(enriched, out.get(0).tracer());
        assertSame(enriched, out.get(1).tracer());
    }

    @Test
    void nilInEveryFieldIsItsZeroValue() throws Exception {
        Map<String, Object> payload = Payloads.v07Payload();
        payload.replaceAll((k, v) -> null);
        DecodedTracerPayload decoded = decode(payload);
        assertEquals(new TracerInfo("", "", "", "", "", null, "", "", ""), decoded.tracer());
        assertEquals(0, decoded.chunks().size());

        DecodedTracerPayload chunkNils = decode(map("chunks", list(map("priority", null, "origin", null,
                "spans", null, "tags", null, "dropped_trace", null))));
        DecodedChunk chunk = chunkNils.chunks().get(0);
        assertEquals(new DecodedChunk(0, "", List.of(), null, false), chunk);
    }

    @Test
    void unknownKeysAreSkippedAndStringsMayBeBin() throws Exception {
        MsgpackWriter w = new MsgpackWriter().map(4);
        w.str("container_id").bin("cid");
        w.str("idx_future_field").value(map("deep", list(list(1), map("x", new byte[3]))));
        w.str("chunks").array(1).map(3).str("unknown").value(list(1, 2)).str("spans").value(list(webSpan(1, 0)))
                .str("origin").bin("lambda");
        w.str("env").nil();
        DecodedTracerPayload decoded = decode(w.bytes());
        assertEquals("cid", decoded.tracer().containerId());
        assertEquals("lambda", decoded.chunks().get(0).origin());
        assertEquals(1, decoded.spanCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"container_id", "language_name", "language_version", "tracer_version", "runtime_id",
            "env", "hostname", "app_version", "chunks", "tags"})
    void aWrongTypeInAPayloadFieldIsADecodingError(String field) {
        Map<String, Object> payload = Payloads.v07Payload();
        payload.put(field, field.equals("chunks") || field.equals("tags") ? 5 : list("x"));
        assertEquals(Reason.DECODING_ERROR, reason(payload), field);
    }

    @ParameterizedTest
    @ValueSource(strings = {"priority", "origin", "spans", "tags", "dropped_trace"})
    void aWrongTypeInAChunkFieldIsADecodingError(String field) {
        Map<String, Object> chunk = map("priority", 1, "origin", "", "spans", list(webSpan(1, 0)), "tags", map(),
                "dropped_trace", false);
        chunk.put(field, switch (field) {
            case "priority" -> "1";
            case "dropped_trace" -> 1;
            case "spans" -> list(list());
            default -> 2.5;
        });
        assertEquals(Reason.DECODING_ERROR, reason(map("chunks", list(chunk))), field);
    }

    @Test
    void thePriorityMustFitInt32() {
        byte[] body = new MsgpackWriter().map(1).str("chunks").array(1).map(1).str("priority").int64(1L << 40)
                .bytes();
        assertEquals(Reason.DECODING_ERROR, reason(body));
    }

    @Test
    void thePayloadMustBeAMap() {
        assertEquals(Reason.DECODING_ERROR, reason(new MsgpackWriter().value(list(list())).bytes()));
        assertEquals(Reason.DECODING_ERROR, reason(new byte[] {(byte) 0xC0}));
        assertEquals(Reason.UNEXPECTED_EOF, reason(new byte[0]));
    }

    @Test
    void everyTruncationIsAnUnexpectedEof() {
        byte[] body = Payloads.v07();
        for (int cut = 0; cut < body.length; cut++) {
            int at = cut;
            assertEquals(Reason.UNEXPECTED_EOF, reason(Arrays.copyOf(body, cut)), () -> "cut at " + at);
        }
    }

    @Test
    void declaredLengthsBeyondTheBodyAreRefused() {
        assertEquals(Reason.UNEXPECTED_EOF, reason(new MsgpackWriter().map32(3_000_000).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF,
                reason(new MsgpackWriter().map(1).str("chunks").array32(3_000_000).bytes()));
        assertEquals(Reason.TOO_LONG,
                reason(new MsgpackWriter().map(1).str("chunks").array(1).map(1).str("spans").array32(-1L >>> 32)
                        .bytes()));
    }
}
