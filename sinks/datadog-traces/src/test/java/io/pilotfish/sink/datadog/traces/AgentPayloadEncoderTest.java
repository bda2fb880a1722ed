package io.pilotfish.sink.datadog.traces;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import io.pilotfish.spi.trace.SpanLink;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import io.pilotfish.spi.signal.Metric;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The AgentPayload, read back field by field with protobuf-java's parser ({@link AgentPayloadReader}). */
class AgentPayloadEncoderTest {

    private static final AgentPayloadEncoder.AgentFields AGENT = new AgentPayloadEncoder.AgentFields("host-1",
            "prod", "0.1.0", 10, 7.5, true);
    private static final int LIMIT = DatadogTracesConfig.INTAKE_MAX_PAYLOAD_BYTES;

    private static AgentPayloadEncoder.Encoded encoded(List<? extends Signal> batch, int limit) {
        return assertInstanceOf(AgentPayloadEncoder.Encoded.class, new AgentPayloadEncoder(limit).encode(batch,
                AGENT));
    }

    private static AgentPayloadReader.Payload decode(AgentPayloadEncoder.Encoded encoded) {
        return AgentPayloadReader.read(Arrays.copyOf(encoded.payload(), encoded.length()));
    }

    private static AgentPayloadReader.Payload roundTrip(List<? extends Signal> batch) {
        return decode(encoded(batch, LIMIT));
    }

    // ---- every field -----------------------------------------------------------------------------------------

    @Test
    void agentPayloadFieldsComeInFieldNumberOrder() {
        TracerInfo tracer = Traces.tracer("java");
        AgentPayloadReader.Payload payload = roundTrip(List.of(Traces.chunk(tracer, 1, 1),
                Traces.chunk(Traces.tracer("go"), 2, 1)));

        assertEquals("host-1", payload.hostName());
        assertEquals("prod", payload.env());
        assertEquals("0.1.0", payload.agentVersion());
        assertEquals(10.0, payload.targetTps());
        assertEquals(7.5, payload.errorTps());
        assertTrue(payload.rareSamplerEnabled());
        assertEquals(Map.of(), payload.tags(), "AgentPayload.tags is not sent");
        assertEquals(List.of(1, 2, 5, 5, 7, 8, 9, 10), payload.fieldOrder());
    }

    @Test
    void tracerPayloadCarriesEveryFieldOfTheTracer() {
        TracerInfo tracer = new TracerInfo("cid-1", "python", "3.12.1", "2.9.0", "rt-uuid",
                Map.of("_dd.tags.container", "task_arn:arn,container_name:app"), "staging", "tracer-host", "1.4");
        AgentPayloadReader.Tracer decoded = roundTrip(List.of(Traces.chunk(tracer, 5, 2))).tracerPayloads().get(0);

        assertEquals("cid-1", decoded.containerId());
        assertEquals("python", decoded.languageName());
        assertEquals("3.12.1", decoded.languageVersion());
        assertEquals("2.9.0", decoded.tracerVersion());
        assertEquals("rt-uuid", decoded.runtimeId());
        assertEquals(Map.of("_dd.tags.container", "task_arn:arn,container_name:app"), decoded.tags());
        assertEquals("staging", decoded.env());
        assertEquals("tracer-host", decoded.hostname());
        assertEquals("1.4", decoded.appVersion());
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), decoded.fieldOrder(), "chunks (6) before tags (7)");
    }

    @Test
    void chunkFieldsIncludingNegativePrioritiesAsInt32() {
        TracerInfo tracer = Traces.tracer("java");
        List<Span> spans = List.of(Traces.span("a", 1, 1, 0));
        List<TraceChunk> chunks = List.of(
                new TraceChunk(tracer, -1, "synthetics", spans, Map.of("_dd.p.dm", "-4"), true),
                new TraceChunk(tracer, TraceChunk.PRIORITY_NONE, "", spans, null, false),
                new TraceChunk(tracer, 2, "", spans, null, false));
        List<AgentPayloadReader.Chunk> decoded = roundTrip(chunks).tracerPayloads().get(0).chunks();

        assertEquals(-1, decoded.get(0).priority());
        assertEquals("synthetics", decoded.get(0).origin());
        assertEquals(Map.of("_dd.p.dm", "-4"), decoded.get(0).tags());
        assertTrue(decoded.get(0).droppedTrace());
        assertEquals(-128, decoded.get(1).priority());
        assertFalse(decoded.get(1).droppedTrace());
        assertEquals(2, decoded.get(2).priority());
    }

    @Test
    void everySpanFieldRoundTrips() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("http.url", "/checkout?id=?");
        meta.put("_dd.p.tid", "6578f0a300000000");
        meta.put("empty", "");
        meta.put("unicode", "grüße ☃ 𝄞");
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("_sampling_priority_v1", 2.0);
        metrics.put("zero", 0.0);
        metrics.put("negative zero", -0.0);
        metrics.put("nan", Double.NaN);
        metrics.put("huge", 1e308);
        Map<String, byte[]> metaStruct = Map.of("appsec", new byte[] {(byte) 0x81, (byte) 0xa1, 'a', 1});
        SpanLink link = new SpanLink(0xFFFF_FFFF_FFFF_FFFEL, 0x1234_5678_9ABC_DEF0L, 42,
                Map.of("link.kind", "follows_from"), "dd=s:1", 0x8000_0001);
        Map<String, AttributeValue> attributes = new LinkedHashMap<>();
        attributes.put("message", AttributeValue.of("boom"));
        attributes.put("handled", AttributeValue.of(true));
        attributes.put("count", AttributeValue.of(-3L));
        attributes.put("ratio", AttributeValue.of(0.25));
        attributes.put("list", new AttributeValue(SpanEvent.AttributeType.ARRAY, null, false, 0, 0,
                List.of(AttributeValue.of("a"), AttributeValue.of(7L), AttributeValue.of(false),
                        AttributeValue.of(1.5))));
        SpanEvent event = new SpanEvent(0xF000_0000_0000_0001L, "exception", attributes);
        Span span = new Span("checkout", "web.request", "GET /checkout", 0x8000_0000_0000_0001L, Long.MAX_VALUE,
                1, Traces.START, 25_000_000L, 1, meta, metrics, "web", metaStruct, List.of(link), List.of(event));

        AgentPayloadReader.DecodedSpan decoded = roundTrip(List.of(new TraceChunk(Traces.tracer("go"), 1, "",
                List.of(span), null, false))).tracerPayloads().get(0).chunks().get(0).spans().get(0);

        assertEquals("checkout", decoded.service());
        assertEquals("web.request", decoded.name());
        assertEquals("GET /checkout", decoded.resource());
        assertEquals(0x8000_0000_0000_0001L, decoded.traceId(), "uint64 above Long.MAX_VALUE keeps its bits");
        assertEquals(Long.MAX_VALUE, decoded.spanId());
        assertEquals(1, decoded.parentId());
        assertEquals(Traces.START, decoded.start());
        assertEquals(25_000_000L, decoded.duration());
        assertEquals(1, decoded.error());
        assertEquals(meta, decoded.meta(), "an empty value is an entry too");
        assertEquals(2.0, decoded.metrics().get("_sampling_priority_v1"));
        assertEquals(0.0, decoded.metrics().get("zero"), "a 0 metric is sent: map values are always written");
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(decoded.metrics().get(
                "negative zero")));
        assertTrue(Double.isNaN(decoded.metrics().get("nan")));
        assertEquals(1e308, decoded.metrics().get("huge"));
        assertEquals(5, decoded.metrics().size());
        assertEquals("web", decoded.type());
        assertArrayEquals(metaStruct.get("appsec"), decoded.metaStruct().get("appsec"));

        AgentPayloadReader.Link decodedLink = decoded.links().get(0);
        assertEquals(new AgentPayloadReader.Link(0xFFFF_FFFF_FFFF_FFFEL, 0x1234_5678_9ABC_DEF0L, 42,
                Map.of("link.kind", "follows_from"), "dd=s:1", 0x8000_0001), decodedLink,
                "flags with bit 31 set travel as a uint32");

        AgentPayloadReader.Event decodedEvent = decoded.events().get(0);
        assertEquals(0xF000_0000_0000_0001L, decodedEvent.timeUnixNano(), "fixed64, all 64 bits");
        assertEquals("exception", decodedEvent.name());
        assertEquals(List.of("message", "handled", "count", "ratio", "list"),
                List.copyOf(decodedEvent.attributes().keySet()));
        assertEquals(new AgentPayloadReader.Value(0, "boom", false, 0, 0, List.of(), false),
                decodedEvent.attributes().get("message"));
        assertEquals(new AgentPayloadReader.Value(1, "", true, 0, 0, List.of(), false),
                decodedEvent.attributes().get("handled"));
        assertEquals(new AgentPayloadReader.Value(2, "", false, -3, 0, List.of(), false),
                decodedEvent.attributes().get("count"));
        assertEquals(new AgentPayloadReader.Value(3, "", false, 0, 0.25, List.of(), false),
                decodedEvent.attributes().get("ratio"));
        assertEquals(new AgentPayloadReader.Value(4, "", false, 0, 0, List.of(
                new AgentPayloadReader.Value(0, "a", false, 0, 0, List.of(), false),
                new AgentPayloadReader.Value(2, "", false, 7, 0, List.of(), false),
                new AgentPayloadReader.Value(1, "", false, 0, 0, List.of(), false),
                new AgentPayloadReader.Value(3, "", false, 0, 1.5, List.of(), false)), true),
                decodedEvent.attributes().get("list"));
    }

    @Test
    void fieldsAtTheirDefaultAreLeftOutAsProto3EncodersDo() {
        Span bare = Span.of("", "", "", 0, 0, 0, 0, 0, 0, null, null, "");
        AgentPayloadEncoder.Encoded encoded = encoded(List.of(new TraceChunk(new TracerInfo(null, null, null, null,
                null, null, null, null, null), 0, null, List.of(bare), null, false)), LIMIT);
        AgentPayloadEncoder.AgentFields none = new AgentPayloadEncoder.AgentFields("", "", "", 0, 0, false);
        AgentPayloadEncoder.Encoded minimal = assertInstanceOf(AgentPayloadEncoder.Encoded.class,
                new AgentPayloadEncoder(LIMIT).encode(List.of(new TraceChunk(new TracerInfo(null, null, null, null,
                        null, null, null, null, null), 0, null, List.of(bare), null, false)), none));

        // tracerPayloads { chunks { spans {} } }: three empty nested messages.
        assertArrayEquals(new byte[] {0x2a, 4, 0x32, 2, 0x1a, 0}, Arrays.copyOf(minimal.payload(),
                minimal.length()));
        assertTrue(encoded.length() > minimal.length(), "the agent's fields are there when set");
    }

    @Test
    void aNegativeInt32IsSignExtendedToTenBytesAsProtobufRequires() {
        Span bare = Span.of("", "", "", 0, 0, 0, 0, 0, -1, null, null, "");
        AgentPayloadEncoder.AgentFields none = new AgentPayloadEncoder.AgentFields("", "", "", 0, 0, false);
        AgentPayloadEncoder.Encoded encoded = assertInstanceOf(AgentPayloadEncoder.Encoded.class,
                new AgentPayloadEncoder(LIMIT).encode(List.of(new TraceChunk(new TracerInfo(null, null, null, null,
                        null, null, null, null, null), -1, null, List.of(bare), null, false)), none));

        byte[] minusOne = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, 0x01};
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[] {0x2a, 26, 0x32, 24, 0x08}); // tracer payload, chunk, priority
        expected.writeBytes(minusOne);
        expected.writeBytes(new byte[] {0x1a, 11, 0x48}); // spans, error
        expected.writeBytes(minusOne);
        assertArrayEquals(expected.toByteArray(), Arrays.copyOf(encoded.payload(), encoded.length()));
    }

    @Test
    void aLoneSurrogateIsSentAsValidUtf8() {
        Span span = Span.of("svc\uD800", "n", "r", 1, 1, 0, 1, 1, 0, Map.of("k\uDC00", "v"), null, "");
        AgentPayloadReader.DecodedSpan decoded = roundTrip(List.of(new TraceChunk(Traces.tracer("go"), 1, "",
                List.of(span), null, false))).tracerPayloads().get(0).chunks().get(0).spans().get(0);
        assertEquals("svc?", decoded.service());
        assertEquals(Map.of("k?", "v"), decoded.meta());
    }

    // ---- grouping into tracer payloads ------------------------------------------------------------------------

    @Test
    void consecutiveChunksOfOneTracerShareATracerPayload() {
        TracerInfo java = Traces.tracer("java");
        TracerInfo javaEqualCopy = Traces.tracer("java");
        TracerInfo go = Traces.tracer("go");
        List<TraceChunk> batch = List.of(Traces.chunk(java, 1, 2), Traces.chunk(java, 2, 1),
                Traces.chunk(javaEqualCopy, 3, 1), Traces.chunk(go, 4, 3), Traces.chunk(java, 5, 1));

        AgentPayloadEncoder.Encoded encoded = encoded(batch, LIMIT);
        List<AgentPayloadReader.Tracer> tracers = decode(encoded).tracerPayloads();

        assertEquals(List.of("java", "go", "java"), tracers.stream().map(AgentPayloadReader.Tracer::languageName)
                .toList(), "an equal TracerInfo joins the group; the same tracer later opens a new one");
        assertEquals(3, tracers.get(0).chunks().size());
        assertEquals(List.of(1L, 2L, 3L), tracers.get(0).chunks().stream()
                .map(c -> c.spans().get(0).traceId()).toList(), "chunks keep their order");
        assertEquals(1, tracers.get(1).chunks().size());
        assertEquals(3, tracers.get(1).chunks().get(0).spans().size());
        assertEquals(5, encoded.chunks());
        assertEquals(8, encoded.spans());
        assertEquals("go|java", encoded.languages(), "sorted, distinct, |-joined");
    }

    @Test
    void languagesLeaveOutTracersThatNamedNone() {
        TracerInfo unnamed = new TracerInfo("", "", "", "", "", null, "", "", "");
        assertEquals("", encoded(List.of(Traces.chunk(unnamed, 1, 1)), LIMIT).languages());
        assertEquals("nodejs|python", encoded(List.of(Traces.chunk(Traces.tracer("python"), 1, 1),
                Traces.chunk(unnamed, 2, 1), Traces.chunk(Traces.tracer("nodejs"), 3, 1)), LIMIT).languages());
    }

    // ---- the payload limit -------------------------------------------------------------------------------------

    @Test
    void aPayloadOfExactlyTheLimitIsSentAndOneByteMoreIsSplit() {
        List<TraceChunk> batch = List.of(Traces.chunk(Traces.tracer("java"), 1, 3),
                Traces.chunk(Traces.tracer("go"), 2, 3));
        int size = encoded(batch, LIMIT).length();

        assertEquals(size, encoded(batch, size).length());
        AgentPayloadEncoder.OverLimit over = assertInstanceOf(AgentPayloadEncoder.OverLimit.class,
                new AgentPayloadEncoder(size - 1).encode(batch, AGENT));
        assertTrue(over.reason().contains("max-payload-bytes"), over.reason());
    }

    @Test
    void atTheIntakesLimitABatchOverThreePointTwoMegabytesIsRefusedBeforeSending() {
        TracerInfo tracer = Traces.tracer("java");
        List<TraceChunk> fits = new ArrayList<>();
        for (int i = 0; i < 31; i++) {
            fits.add(Traces.chunkOfSize(tracer, i + 1, 100_000));
        }
        AgentPayloadEncoder.Encoded encoded = encoded(fits, LIMIT);
        assertTrue(encoded.length() <= 3_200_000 && encoded.length() > 3_100_000, "31 x 100 kB: "
                + encoded.length());

        List<TraceChunk> tooMany = new ArrayList<>(fits);
        tooMany.add(Traces.chunkOfSize(tracer, 99, 100_000));
        assertInstanceOf(AgentPayloadEncoder.OverLimit.class, new AgentPayloadEncoder(LIMIT).encode(tooMany, AGENT));
    }

    @Test
    void aChunkThatCannotFitEvenAloneIsLeftOutAndCounted() {
        TracerInfo tracer = Traces.tracer("java");
        TraceChunk huge = Traces.chunkOfSize(tracer, 7, 3_200_000);
        List<Signal> batch = List.of(Traces.chunk(tracer, 1, 2), huge, Traces.chunk(Traces.tracer("go"), 2, 1));

        AgentPayloadEncoder.Encoded encoded = encoded(batch, LIMIT);
        AgentPayloadReader.Payload payload = decode(encoded);

        assertEquals(new AgentPayloadEncoder.Dropped(1, 1, 0), encoded.dropped());
        assertEquals(2, encoded.chunks());
        assertEquals(List.of(1L, 2L), payload.tracerPayloads().stream().flatMap(t -> t.chunks().stream())
                .map(c -> c.spans().get(0).traceId()).toList());
        assertTrue(encoded.length() < 10_000, "the big chunk's bytes were taken back: " + encoded.length());
    }

    @Test
    void aTracerWhoseOnlyChunkIsLeftOutLeavesNoEmptyTracerPayload() {
        TracerInfo python = Traces.tracer("python");
        List<Signal> batch = List.of(Traces.chunk(Traces.tracer("java"), 1, 1),
                Traces.chunkOfSize(python, 2, 4_000_000), Traces.chunk(Traces.tracer("go"), 3, 1));

        AgentPayloadEncoder.Encoded encoded = encoded(batch, LIMIT);
        assertEquals(List.of("java", "go"), decode(encoded).tracerPayloads().stream()
                .map(AgentPayloadReader.Tracer::languageName).toList());
        assertEquals("go|java", encoded.languages(), "a language only of dropped chunks is not reported");
    }

    @Test
    void onlyOversizedChunksOrOtherSignalsLeaveNothingToSend() {
        Metric metric = Metric.gauge("not.a.trace", 1, 1, TagSet.EMPTY);
        AgentPayloadEncoder.NothingToSend nothing = assertInstanceOf(AgentPayloadEncoder.NothingToSend.class,
                new AgentPayloadEncoder(1000).encode(List.of(Traces.chunkOfSize(Traces.tracer("go"), 1, 2000),
                        metric), AGENT));
        assertEquals(new AgentPayloadEncoder.Dropped(1, 1, 1), nothing.dropped());
    }

    @Test
    void largeSpansAndChunksMoveTheirContentForLongerLengths() {
        // Spans over 16 KiB need a third length byte, chunks over 2 MiB a fourth: the content moves, intact.
        TracerInfo tracer = Traces.tracer("java");
        List<TraceChunk> batch = List.of(Traces.chunkOfSize(tracer, 1, 20_000), Traces.chunkOfSize(tracer, 2,
                2_200_000), Traces.chunkOfSize(tracer, 3, 5));
        List<AgentPayloadReader.Chunk> chunks = roundTrip(batch).tracerPayloads().get(0).chunks();
        assertEquals(List.of(20_000, 2_200_000, 5), chunks.stream().map(c -> c.spans().get(0).resource().length())
                .toList());
    }

    // ---- the thread's reused buffer and string cache -----------------------------------------------------------

    @Test
    void aBatchEncodedAfterALargerOneCarriesNothingOfIt() {
        List<TraceChunk> large = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            large.add(Traces.chunk(Traces.tracer("java"), i, 10));
        }
        byte[] first = copy(encoded(large, LIMIT));
        byte[] small = copy(encoded(List.of(Traces.chunk(Traces.tracer("go"), 99, 1)), LIMIT));
        byte[] again = copy(encoded(large, LIMIT));

        assertArrayEquals(first, again, "the same batch encodes to the same bytes on a reused buffer");
        AgentPayloadReader.Payload decoded = AgentPayloadReader.read(small);
        assertEquals(1, decoded.tracerPayloads().size());
        assertEquals(1, decoded.tracerPayloads().get(0).chunks().size());
        assertEquals("go", decoded.tracerPayloads().get(0).languageName());
    }

    @Test
    void stringsThatShareACacheSlotKeepTheirOwnBytes() {
        // "Aa" and "BB" have the same String.hashCode, so they take the same slot of the string cache in turn.
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("Aa", "BB");
        meta.put("BB", "Aa");
        meta.put("AaAa", "BBBB");
        meta.put("caf\u00e9", "\u65e5\u672c");
        Span span = Span.of("Aa", "BB", "r", 1, 1, 0, 1, 1, 0, meta, null, "");
        for (int round = 0; round < 3; round++) {
            AgentPayloadReader.DecodedSpan decoded = roundTrip(List.of(new TraceChunk(Traces.tracer("go"), 1, "",
                    List.of(span), null, false))).tracerPayloads().get(0).chunks().get(0).spans().get(0);
            assertEquals("Aa", decoded.service());
            assertEquals("BB", decoded.name());
            assertEquals(meta, decoded.meta());
        }
    }

    private static byte[] copy(AgentPayloadEncoder.Encoded encoded) {
        return Arrays.copyOf(encoded.payload(), encoded.length());
    }
}
