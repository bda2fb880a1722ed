package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.forward.ForwardException.Reason;
import io.pilotfish.spi.signal.LogRecord;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each carrier mode, the FireLens mapping, and each kind of bad frame with the reason it is refused under. */
class ForwardDecoderTest {

    private static final long NOW = 1_750_000_000_123L;
    private static final long MAX_FRAME = 1024 * 1024;

    private final List<LogRecord> records = new ArrayList<>();
    private ForwardDecoder decoder = new ForwardDecoder(MAX_FRAME, 8 * 1024 * 1024, 1024, () -> NOW);

    private ForwardDecoder.Decoded decode(byte[] frame) throws ForwardException {
        return decoder.decode(frame, 0, frame.length, records::add);
    }

    private ForwardException refused(byte[] frame) {
        return assertThrows(ForwardException.class, () -> decode(frame));
    }

    @Test
    void messageModeMapsAFireLensStderrLine() throws Exception {
        ForwardDecoder.Decoded d = decode(Frames.message(Frames.TAG, 1_700_000_000L,
                Frames.fireLensRecord("boom: disk full", "stderr"), null));
        assertEquals(ForwardMode.MESSAGE, d.mode());
        assertEquals(1, d.records());
        assertNull(d.chunk(), "no chunk option: fire and forget");
        LogRecord r = records.get(0);
        assertEquals("boom: disk full", r.messageText());
        assertEquals(1_700_000_000_000L, r.timestamp());
        assertEquals("error", r.status());
        assertEquals("", r.service());
        assertEquals("", r.source());
        assertEquals(java.util.stream.Stream.of("task_name:web", "task_family:web", "task_version:7", "cluster_name:prod-cluster",
                "ecs_cluster_name:prod-cluster",
                "task_arn:arn:aws:ecs:us-east-1:123456789012:task/prod-cluster/0123456789abcdef",
                "ecs_container_name:app", "container_name:ecs-web-7-app-d6a9e8f0c1b2a3e4",
                "container_id:abc123def456").sorted().toList(), r.tags().asList().stream().sorted().toList());
        assertFalse(r.attributes().containsKey("log"), "the message is not repeated as an attribute");
        assertEquals("stderr", r.attributes().get("source"));
        assertEquals("web:7", r.attributes().get("ecs_task_definition"));
        assertFalse(r.attributes().containsKey("fluent_tag"), "the fluent tag is not sent, as in Fluent Bit");
    }

    @Test
    void stdoutIsInfoAndOtherSourcesLeaveTheStatusToTheIntake() throws Exception {
        decode(Frames.message("t", 1, Frames.fireLensRecord("a", "stdout"), null));
        decode(Frames.message("t", 1, Map.of("log", "b"), null));
        assertEquals("info", records.get(0).status());
        assertEquals("", records.get(1).status());
        assertEquals(List.of(), records.get(1).tags().asList(), "no FireLens fields, no ECS tags");
    }

    @Test
    void theMessageFieldIsTakenWithoutLogAndTheWholeRecordAsJsonWithoutEither() throws Exception {
        decode(Frames.message("t", 1, Map.of("message", "from message"), null));
        Map<String, Object> other = new LinkedHashMap<>();
        other.put("level", "warn");
        other.put("count", 3);
        other.put("text", "a \"quoted\"\nline");
        decode(Frames.message("t", 1, other, null));
        assertEquals("from message", records.get(0).messageText());
        assertEquals("{\"level\":\"warn\",\"count\":3,\"text\":\"a \\\"quoted\\\"\\nline\"}",
                records.get(1).messageText());
    }

    @Test
    void messageModeWithChunkAsksForAnAck() throws Exception {
        ForwardDecoder.Decoded d = decode(Frames.message("t", 1, Map.of("log", "x"),
                Map.of("chunk", "p8n9gmxTQVC8/nh2wlKKeQ==", "size", 1)));
        assertEquals("p8n9gmxTQVC8/nh2wlKKeQ==", d.chunk());
    }

    @Test
    void forwardModeReadsEveryEntryInOrder() throws Exception {
        ForwardDecoder.Decoded d = decode(Frames.forward("app-firelens-1", 3, "line ", Map.of("chunk", "c1")));
        assertEquals(ForwardMode.FORWARD, d.mode());
        assertEquals(3, d.records());
        assertEquals("c1", d.chunk());
        assertEquals(List.of("line 0", "line 1", "line 2"), records.stream().map(LogRecord::messageText).toList());
        assertEquals(1_700_000_002_000L, records.get(2).timestamp());
    }

    @Test
    void eventTimeInBothExtensionFormsGivesMilliseconds() throws Exception {
        byte[] time = Frames.eventTime(1_700_000_000L, 987_654_321L);
        MsgpackWriter w = new MsgpackWriter().array(2).str("t").array(2);
        w.array(2).ext(0, time).value(Map.of("log", "fixext8"));
        w.array(2).raw(0xC7, 8, 0).raw(time).value(Map.of("log", "ext8"));
        decode(w.bytes());
        assertEquals(1_700_000_000_987L, records.get(0).timestamp());
        assertEquals(1_700_000_000_987L, records.get(1).timestamp());
    }

    @Test
    void fluentBitsTimeAndMetadataPairFloatSecondsAndNilTime() throws Exception {
        MsgpackWriter w = new MsgpackWriter().array(2).str("t").array(3);
        w.array(2).array(2).ext(0, Frames.eventTime(1_700_000_001L, 500_000_000L)).map(0).value(Map.of("log", "a"));
        w.array(2).float64(1_700_000_002.25).value(Map.of("log", "b"));
        w.array(2).nil().value(Map.of("log", "c"));
        decode(w.bytes());
        assertEquals(List.of(1_700_000_001_500L, 1_700_000_002_250L, NOW),
                records.stream().map(LogRecord::timestamp).toList());
    }

    @Test
    void packedForwardInBinAndInStr() throws Exception {
        byte[] entries = Frames.entries(4, "p");
        ForwardDecoder.Decoded d = decode(Frames.packed("t", entries, Map.of("chunk", "k", "size", 4)));
        assertEquals(ForwardMode.PACKED_FORWARD, d.mode());
        assertEquals(4, d.records());
        byte[] asStr = new MsgpackWriter().array(2).str("t").strBytes(entries).bytes();
        assertEquals(ForwardMode.PACKED_FORWARD, decode(asStr).mode());
        assertEquals(8, records.size());
        assertEquals("p3", records.get(7).messageText());
    }

    @Test
    void compressedPackedForwardInflatesOneOrSeveralGzipMembers() throws Exception {
        byte[] first = Frames.gzip(Frames.entries(3, "a"));
        byte[] second = Frames.gzip(Frames.entries(2, "b"));
        ForwardDecoder.Decoded d = decode(Frames.packed("t", Frames.concat(first, second),
                Map.of("compressed", "gzip", "chunk", "z")));
        assertEquals(ForwardMode.COMPRESSED_PACKED_FORWARD, d.mode());
        assertEquals(5, d.records());
        assertEquals("z", d.chunk());
        assertEquals(List.of("a0", "a1", "a2", "b0", "b1"), records.stream().map(LogRecord::messageText).toList());
    }

    @Test
    void aCompressedEntryLargerThanTheInflateWindowIsRead() throws Exception {
        String big = "x".repeat(200_000);
        decoder = new ForwardDecoder(MAX_FRAME, 8 * 1024 * 1024, 1024 * 1024, () -> NOW);
        decode(Frames.packed("t", Frames.gzip(Frames.entry(1, Map.of("log", big))), Map.of("compressed", "gzip")));
        assertEquals(big, records.get(0).messageText());
    }

    @Test
    void aZipBombIsCutAtMaxDecompressedBytes() {
        // 1 GiB once inflated: 1,024 gzip members of 1 MiB of repeated entries each, about 1 MB compressed.
        byte[] entry = Frames.entry(1, Map.of("log", "bomb"));
        ByteArrayOutputStream mib = new ByteArrayOutputStream();
        while (mib.size() + entry.length <= 1024 * 1024) {
            mib.writeBytes(entry);
        }
        byte[] member = Frames.gzip(mib.toByteArray());
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        for (int i = 0; i < 1024; i++) {
            bomb.writeBytes(member);
        }
        long maxDecompressed = 4L * 1024 * 1024;
        decoder = new ForwardDecoder(MAX_FRAME, maxDecompressed, 1024, () -> NOW);
        int[] seen = {0};
        byte[] frame = Frames.packed("t", bomb.toByteArray(), Map.of("compressed", "gzip"));
        ForwardException e = assertThrows(ForwardException.class,
                () -> decoder.decode(frame, 0, frame.length, r -> seen[0]++));
        assertEquals(Reason.DECOMPRESSED_TOO_LARGE, e.reason());
        assertTrue(seen[0] <= maxDecompressed / entry.length, "nothing past the limit is decoded: " + seen[0]);
    }

    @Test
    void aCompressedChunkThatIsNotGzipOrEndsInsideAnEntryIsRefused() {
        assertEquals(Reason.BAD_COMPRESSION, refused(Frames.packed("t", "not gzip".getBytes(StandardCharsets.UTF_8),
                Map.of("compressed", "gzip"))).reason());
        byte[] entries = Frames.entries(2, "a");
        byte[] cut = java.util.Arrays.copyOf(entries, entries.length - 3);
        assertEquals(Reason.TRUNCATED, refused(Frames.packed("t", Frames.gzip(cut), Map.of("compressed", "gzip")))
                .reason());
        assertEquals(Reason.BAD_COMPRESSION, refused(Frames.packed("t", entries, Map.of("compressed", "zstd")))
                .reason());
    }

    @Test
    void aPackedStreamThatEndsInsideAnEntryIsTruncated() {
        byte[] entries = Frames.entries(2, "a");
        byte[] cut = java.util.Arrays.copyOf(entries, entries.length - 3);
        assertEquals(Reason.TRUNCATED, refused(Frames.packed("t", cut, null)).reason());
    }

    @Test
    void wrongTypesAreRefused() {
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(3).integer(1).integer(1)
                .value(Map.of("log", "x")).bytes()).reason(), "a tag that is no string");
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(3).str("t").integer(1).str("x")
                .bytes()).reason(), "a record that is no map");
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(1).str("t").bytes()).reason(),
                "a frame of one element");
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(3).str("t").ext(5, new byte[8])
                .value(Map.of("log", "x")).bytes()).reason(), "an extension that is no EventTime");
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(2).str("t").array(1).array(1).integer(1)
                .bytes()).reason(), "an entry without a record");
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(3).str("t").array(0).integer(7).bytes())
                .reason(), "an option that is no map");
    }

    @Test
    void invalidUtf8IsRepairedInMessagesAndAttributes() throws Exception {
        byte[] bad = {'o', 'k', (byte) 0xFF, (byte) 0xC3, '!'};
        byte[] frame = new MsgpackWriter().array(3).str("t").integer(1).map(2).str("log").strBytes(bad)
                .str("container_name").bin(bad).bytes();
        decode(frame);
        LogRecord r = records.get(0);
        assertEquals("ok\uFFFD\uFFFD!", r.messageText());
        assertArrayEquals("ok\uFFFD\uFFFD!".getBytes(StandardCharsets.UTF_8), r.message());
        assertEquals("ok\uFFFD\uFFFD!", r.attributes().get("container_name"));
    }

    @Test
    void aLongLineIsCutAtACharacterBoundaryAndCounted() throws Exception {
        String line = "€".repeat(700); // 2,100 bytes; the limit (1,024) falls inside a character
        ForwardDecoder.Decoded d = decode(Frames.message("t", 1, Map.of("log", line), null));
        assertEquals(1, d.cut());
        assertEquals(1023, records.get(0).message().length);
        assertEquals("€".repeat(341), records.get(0).messageText());
    }

    @Test
    void nestedRecordsAreKeptAsAttributesAndTooDeepOnesRefused() throws Exception {
        decode(Frames.message("t", 1, Map.of("log", "x", "http", Map.of("status", 200, "tags", List.of("a", "b"))),
                null));
        assertEquals(Map.of("status", 200L, "tags", List.of("a", "b")), records.get(0).attributes().get("http"));
        MsgpackWriter deep = new MsgpackWriter().array(3).str("t").integer(1);
        for (int i = 0; i < 100; i++) {
            deep.map(1).str("k");
        }
        deep.str("v");
        assertEquals(Reason.TOO_DEEP, refused(deep.bytes()).reason());
    }

    @Test
    void fluentBitsMetricsAndTracesAreSkippedButStillAcked() throws Exception {
        ForwardDecoder.Decoded d = decode(Frames.packed("t", new byte[] {1, 2, 3},
                Map.of("fluent_signal", 1, "chunk", "m")));
        assertTrue(d.otherSignal());
        assertEquals("m", d.chunk());
        assertEquals(List.of(), records);
    }

    @Test
    void aTimeOutOfRangeIsRefused() {
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(3).str("t").integer(Long.MAX_VALUE)
                .value(Map.of("log", "x")).bytes()).reason());
        assertEquals(Reason.WRONG_TYPE, refused(new MsgpackWriter().array(3).str("t").integer(-5)
                .value(Map.of("log", "x")).bytes()).reason());
    }
}
