package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.decode.MsgpackWriter;
import io.pilotfish.collector.apm.decode.TraceDecodeException;
import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.ApmStats;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code /v0.6/stats} body decoder: every field, the encodings tracers use, and hostile bodies. */
class ClientStatsDecoderTest {

    /**
     * A {@code ClientStatsPayload} with every field set, as the Agent's own msgp code encodes it (pkg/proto v0.85.4
     * {@code MarshalMsg}): 22-key map16 groups, uint64 starts, a negative fixint time shift, the fields
     * {@link ApmStats} has no place for ({@code srv_src}, {@code ProcessTags}...), and a second group of zero values.
     */
    private static final String AGENT_ENCODED = "de0010a8486f73746e616d65a6686f73742d31a3456e76a470726f64a756657273"
            + "696f6ea5312e322e33a553746174739184a55374617274cf17979cfe362a0000a84475726174696f6ecf00000002540be400a553"
            + "7461747392de0016a753657276696365a3776562a44e616d65ad666c61736b2e72657175657374a85265736f75726365a5474554"
            + "202fae48545450537461747573436f6465ccc8a454797065a3776562a6444254797065a27067a4486974730aa64572726f727302"
            + "a84475726174696f6ece075bcd15a94f6b53756d6d617279c403010203ac4572726f7253756d6d617279c4020405aa53796e7468"
            + "6574696373c3ac546f704c6576656c4869747309a85370616e4b696e64a6736572766572a8506565725461677391af706565722e"
            + "736572766963653a6462ab49735472616365526f6f7402ae47525043537461747573436f6465a23134aa485454504d6574686f64"
            + "a3474554ac48545450456e64706f696e74a12fa77372765f737263a36f7074b65370616e446572697665645072696d6172795461"
            + "677391a3783a79b44164646974696f6e616c4d65747269635461677391a36b3a76de0016a753657276696365a26462a44e616d"
            + "65a0a85265736f75726365a0ae48545450537461747573436f646500a454797065a0a6444254797065a0a44869747301a64572"
            + "726f727300a84475726174696f6e00a94f6b53756d6d617279c400ac4572726f7253756d6d617279c400aa53796e7468657469"
            + "6373c2ac546f704c6576656c4869747300a85370616e4b696e64a0a8506565725461677390ab49735472616365526f6f7400ae"
            + "47525043537461747573436f6465a0aa485454504d6574686f64a0ac48545450456e64706f696e74a0a77372765f737263a0b6"
            + "5370616e446572697665645072696d6172795461677390b44164646974696f6e616c4d65747269635461677390ae4167656e74"
            + "54696d655368696674fba44c616e67a6707974686f6ead54726163657256657273696f6ea5322e392e30a952756e74696d6549"
            + "44a57269642d31a853657175656e63652ab04167656e744167677265676174696f6ea6636f756e7473a753657276696365a377"
            + "6562ab436f6e7461696e65724944a56369642d31a45461677392a3613a62a3633a64ac476974436f6d6d6974536861a6616263"
            + "313233a8496d616765546167a27639af50726f63657373546167734861736807ab50726f6365737354616773ac656e74727970"
            + "6f696e743a78";

    private final ClientStatsDecoder decoder = new ClientStatsDecoder(64L << 20);

    private ApmStats decode(byte[] body) throws TraceDecodeException {
        return decoder.decode(body, 0, body.length);
    }

    private Reason failure(byte[] body) {
        return assertThrows(TraceDecodeException.class, () -> decode(body)).reason();
    }

    @Test
    void decodesEveryFieldTheAgentEncodes() throws TraceDecodeException {
        ApmStats p = decode(Golden.hex(AGENT_ENCODED));
        assertEquals(List.of("host-1", "prod", "1.2.3", "python", "2.9.0", "rid-1", "counts", "web", "cid-1", "abc123",
                "v9"), List.of(p.hostname(), p.env(), p.version(), p.lang(), p.tracerVersion(), p.runtimeId(),
                p.agentAggregation(), p.service(), p.containerId(), p.gitCommitSha(), p.imageTag()));
        assertEquals(42, p.sequence());
        assertEquals(List.of("a:b", "c:d"), p.tags());
        assertTrue(p.clientComputed());
        assertEquals(1, p.buckets().size());
        ApmStats.Bucket b = p.buckets().getFirst();
        assertEquals(List.of(1700000000000000000L, 10000000000L, -5L), List.of(b.start(), b.duration(),
                b.agentTimeShift()));
        assertEquals(2, b.groups().size());
        ApmStats.Group g = b.groups().getFirst();
        assertEquals(List.of("web", "flask.request", "GET /", "web", "pg", "server", "14", "GET", "/"),
                List.of(g.service(), g.name(), g.resource(), g.type(), g.dbType(), g.spanKind(), g.grpcStatusCode(),
                        g.httpMethod(), g.httpEndpoint()));
        assertEquals(List.of(200L, 10L, 2L, 123456789L, 9L, 2L), List.of((long) g.httpStatusCode(), g.hits(),
                g.errors(), g.duration(), g.topLevelHits(), (long) g.isTraceRoot()));
        assertTrue(g.synthetics());
        assertArrayEquals(new byte[] {1, 2, 3}, g.okSummary());
        assertArrayEquals(new byte[] {4, 5}, g.errorSummary());
        assertEquals(List.of("peer.service:db"), g.peerTags());
        ApmStats.Group zero = b.groups().get(1);
        assertEquals("db", zero.service());
        assertEquals(1, zero.hits());
        assertEquals(0, zero.okSummary().length);
        assertEquals(List.of(), zero.peerTags());
    }

    @Test
    void takesNilForAnyValueAndSkipsNilBucketsAndGroups() throws TraceDecodeException {
        Map<String, Object> group = new LinkedHashMap<>();
        for (String key : List.of("Service", "Name", "Resource", "HTTPStatusCode", "Type", "DBType", "Hits", "Errors",
                "Duration", "OkSummary", "ErrorSummary", "Synthetics", "TopLevelHits", "SpanKind", "PeerTags",
                "IsTraceRoot", "GRPCStatusCode", "HTTPMethod", "HTTPEndpoint")) {
            group.put(key, null);
        }
        Map<String, Object> bucket = new LinkedHashMap<>();
        bucket.put("Start", null);
        bucket.put("Stats", Arrays.asList(null, group, null));
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("Hostname", null);
        payload.put("Tags", null);
        payload.put("Stats", Arrays.asList(bucket, null));
        ApmStats p = decode(new MsgpackWriter().value(payload).bytes());
        assertEquals("", p.hostname());
        assertEquals(1, p.buckets().size());
        assertEquals(1, p.buckets().getFirst().groups().size());
        ApmStats.Group g = p.buckets().getFirst().groups().getFirst();
        assertEquals("", g.service());
        assertEquals(0, g.hits());
        assertEquals(0, g.okSummary().length);
        Map<String, Object> nilLists = new LinkedHashMap<>();
        nilLists.put("Stats", null);
        assertEquals(List.of(), decode(new MsgpackWriter().value(nilLists).bytes()).buckets());
    }

    @Test
    void takesEveryIntegerEncodingAndStrOrBinForStrings() throws TraceDecodeException {
        MsgpackWriter w = new MsgpackWriter().map(2);
        w.str("Env").bin("staging".getBytes());
        w.str("Stats").array(1).map(1).str("Stats").array(1).map(4);
        w.str("Hits").uint64(Long.MIN_VALUE); // a uint64 above Long.MAX_VALUE keeps its bits
        w.str("Errors").raw(0xD0, 0x05); // int8
        w.str("HTTPStatusCode").raw(0xCE, 0xFF, 0xFF, 0xFF, 0xFF); // uint32 max
        w.str("Service").raw(0xA3, 'w', 0xFF, 'b'); // invalid UTF-8, repaired
        ApmStats p = decode(w.bytes());
        assertEquals("staging", p.env());
        ApmStats.Group g = p.buckets().getFirst().groups().getFirst();
        assertEquals(Long.MIN_VALUE, g.hits());
        assertEquals(5, g.errors());
        assertEquals(-1, g.httpStatusCode());
        assertEquals("w\uFFFDb", g.service());
    }

    @Test
    void skipsUnknownKeysWhateverTheyHold() throws TraceDecodeException {
        MsgpackWriter w = new MsgpackWriter().map(3);
        w.str("Future").value(Map.of("a", List.of(1, 2, Map.of("b", "c"))));
        w.str("Env").str("prod");
        w.str("Other").raw(0xD4, 0x01, 0x00); // an extension value
        assertEquals("prod", decode(w.bytes()).env());
    }

    @Test
    void ignoresBytesAfterThePayload() throws TraceDecodeException {
        byte[] body = new MsgpackWriter().value(Map.of("Env", "prod")).raw(0xC1, 0xFF).bytes();
        assertEquals("prod", decode(body).env());
    }

    @Test
    void refusesWhatIsNotAPayload() {
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(List.of(1, 2)).bytes()));
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(null).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF, failure(new byte[0]));
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().map(1).integer(3).str("x").bytes()),
                "a key that is not a string");
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(Map.of("Stats", "no")).bytes()));
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(
                Map.of("Stats", List.of(Map.of("Stats", List.of(Map.of("Hits", "ten")))))).bytes()));
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(
                Map.of("Stats", List.of(Map.of("Stats", List.of(Map.of("IsTraceRoot", 1L << 40)))))).bytes()),
                "an int32 out of range");
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(
                Map.of("Stats", List.of(Map.of("Stats", List.of(Map.of("Synthetics", 1)))))).bytes()));
        assertEquals(Reason.DECODING_ERROR, failure(new MsgpackWriter().value(
                Map.of("Stats", List.of(Map.of("Stats", List.of(Map.of("OkSummary", 7)))))).bytes()));
    }

    @Test
    void refusesTruncatedBodies() {
        byte[] full = Golden.hex(AGENT_ENCODED);
        for (int cut = 0; cut < full.length; cut += 7) {
            Reason reason = failure(Arrays.copyOf(full, cut));
            assertTrue(reason == Reason.UNEXPECTED_EOF, "cut at " + cut + ": " + reason);
        }
    }

    @Test
    void refusesDeclaredLengthsBeyondTheBodyBeforeAllocating() {
        assertEquals(Reason.UNEXPECTED_EOF, failure(new MsgpackWriter().map(1).str("Stats").array32(0x00FF_FFFFL)
                .bytes()));
        assertEquals(Reason.TOO_LONG, failure(new MsgpackWriter().map32(0xFFFF_FFFFL).bytes()));
        assertEquals(Reason.UNEXPECTED_EOF, failure(new MsgpackWriter().map(1).str("Env").raw(0xDB, 0x00, 0xFF, 0, 0)
                .bytes()));
    }

    @Test
    void refusesArraysAndSketchesOverTheAgentsLimits() {
        int n = ClientStatsDecoder.MAX_ELEMENTS + 1;
        MsgpackWriter tags = new MsgpackWriter().map(1).str("Tags").array32(n);
        byte[] nils = new byte[n];
        Arrays.fill(nils, (byte) 0xC0);
        assertEquals(Reason.TOO_LONG, failure(tags.raw(nils).bytes()));
        byte[] sketch = new byte[n];
        assertEquals(Reason.TOO_LONG, failure(new MsgpackWriter().value(
                Map.of("Stats", List.of(Map.of("Stats", List.of(Map.of("OkSummary", sketch)))))).bytes()));
    }

    @Test
    void refusesBodiesWhoseObjectsWouldTakeTooMuchHeap() {
        // 200,000 empty groups of one byte each: 200 KB of body, tens of MB of objects.
        int groups = 200_000;
        MsgpackWriter w = new MsgpackWriter().map(1).str("Stats").array(1).map(1).str("Stats").array32(groups);
        byte[] empty = new byte[groups];
        Arrays.fill(empty, (byte) 0x80);
        byte[] body = w.raw(empty).bytes();
        ClientStatsDecoder small = new ClientStatsDecoder(4L << 20);
        TraceDecodeException e = assertThrows(TraceDecodeException.class, () -> small.decode(body, 0, body.length));
        assertEquals(Reason.TOO_LARGE, e.reason());
    }

    @Test
    void skipsDeeplyNestedUnknownValuesWithoutRecursion() throws TraceDecodeException {
        int depth = 100_000;
        MsgpackWriter w = new MsgpackWriter().map(2).str("Deep");
        byte[] nested = new byte[depth + 1];
        Arrays.fill(nested, 0, depth, (byte) 0x91); // [[[[...]]]]
        nested[depth] = (byte) 0xC0;
        w.raw(nested).str("Env").str("prod");
        assertEquals("prod", decode(w.bytes()).env());
    }

    @Test
    void refusesANonPositiveBudget() {
        assertThrows(IllegalArgumentException.class, () -> new ClientStatsDecoder(0));
    }
}
