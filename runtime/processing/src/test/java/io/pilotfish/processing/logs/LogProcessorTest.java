package io.pilotfish.processing.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.processing.regex.GoRegex;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogProcessorTest {

    private static final MultiLineSettings TRACES = MultiLineSettings.defaults();
    private static final MultiLineSettings NONE = MultiLineSettings.none();

    private static MultiLineSettings pattern(String pattern) {
        return new MultiLineSettings(GoRegex.compile("^" + pattern, 256_000), true, false, Duration.ofSeconds(1),
                256_000);
    }

    private static String joined(String... lines) {
        return String.join("\n", lines);
    }

    // ---- pieces of a line its log driver cut (partial_message) ----

    private static LogRecord piece(String text, long timestamp) {
        return new LogRecord(text.getBytes(StandardCharsets.UTF_8), timestamp, "error", "svc", "java", "",
                TagSet.of("a:1"), Map.of("container_name", "web"));
    }

    @Test
    void thePiecesOfACutLineBecomeTheLineWithTheFirstPiecesMetadata() {
        Harness h = new Harness();
        String a = "x".repeat(16_384);
        String b = "y".repeat(16_384);
        h.processor.acceptPiece("app", piece(a, 111), "id-1", false, LogRules.NONE, TRACES);
        h.processor.flushIdle(h.now.get() + Duration.ofMillis(900).toNanos()); // the collector's timer ticks meanwhile
        h.processor.acceptPiece("app", piece(b, 222), "id-1", false, LogRules.NONE, TRACES);
        assertEquals(List.of(), h.texts(), "nothing goes before the last piece");
        assertEquals(2 * 16_384, h.processor.pendingBytes());
        h.processor.acceptPiece("app", piece("end", 333), "id-1", true, LogRules.NONE, TRACES);
        h.feed("app", TRACES, "the next line");
        h.processor.flushAll();
        assertEquals(2, h.out.size(), "lengths: " + h.out.stream().map(r -> r.message().length).toList());
        assertTrue(h.texts().get(0).equals(a + b + "end"), "the pieces in order, with nothing between them");
        assertEquals("the next line", h.texts().get(1));
        LogRecord joined = h.out.get(0);
        assertEquals(111, joined.timestamp());
        assertEquals("error", joined.status());
        assertEquals(TagSet.of("a:1"), joined.tags());
        assertEquals(Map.of("container_name", "web"), joined.attributes());
        assertEquals(1, h.telemetry.count("logs.partial_lines.joined"));
        assertEquals(0, h.telemetry.count("logs.partial_lines.incomplete"));
        assertEquals(0, h.processor.pendingBytes());
    }

    @Test
    void aCharacterTheDriverCutBetweenTwoPiecesIsWholeAgainAndAnUnfinishedOneIsRepaired() {
        Harness h = new Harness();
        byte[] word = "prix: 12 € ou 日本".getBytes(StandardCharsets.UTF_8);
        int inEuro = "prix: 12 ".length() + 1; // after the first of the euro sign's three bytes
        LogRecord head = new LogRecord(java.util.Arrays.copyOfRange(word, 0, inEuro), 1, "info", "", "", "",
                TagSet.EMPTY, null);
        LogRecord tail = new LogRecord(java.util.Arrays.copyOfRange(word, inEuro, word.length), 1, "info", "", "",
                "", TagSet.EMPTY, null);
        h.processor.acceptPiece("app", head, "l1", false, LogRules.NONE, NONE);
        h.processor.acceptPiece("app", tail, "l1", true, LogRules.NONE, NONE);
        assertEquals("prix: 12 € ou 日本", h.out.get(0).messageText());

        h.processor.acceptPiece("app", head, "l2", false, LogRules.NONE, NONE);
        h.processor.flushAll();
        assertEquals("prix: 12 \uFFFD", h.out.get(1).messageText(), "the rest never came: the cut byte repaired");
        assertEquals(1, h.telemetry.count("logs.partial_lines.incomplete"));
    }

    @Test
    void aJoinedLineIsProcessedAsOneLineIsAJsonObjectOrAStackTracesFirstLine() {
        Harness h = new Harness();
        h.processor.acceptPiece("app", piece("{\"msg\":\"he", 1), "j", false, LogRules.NONE, TRACES);
        h.processor.acceptPiece("app", piece("llo\",\"level\":\"warn\"}", 1), "j", true, LogRules.NONE, TRACES);
        h.processor.acceptPiece("app", piece("Exception in thread \"main\" java.lang.IllegalState", 2), "t", false,
                LogRules.NONE, TRACES);
        h.processor.acceptPiece("app", piece("Exception: boom", 2), "t", true, LogRules.NONE, TRACES);
        h.feed("app", TRACES, "\tat com.example.App.main(App.java:10)");
        h.processor.flushAll();
        assertEquals("hello", h.out.get(0).messageText(), "the JSON was lifted from the whole line");
        assertEquals("warn", h.out.get(0).status());
        assertEquals(List.of("hello", joined("Exception in thread \"main\" java.lang.IllegalStateException: boom",
                "\tat com.example.App.main(App.java:10)")), h.texts());
    }

    @Test
    void piecesWhoseLastNeverComesGoOnAsALineAndAreCounted() {
        Harness h = new Harness();
        h.processor.acceptPiece("app", piece("half of one", 1), "one", false, LogRules.NONE, NONE);
        h.processor.acceptPiece("app", piece("half of two", 2), "two", false, LogRules.NONE, NONE);
        h.processor.acceptPiece("app", piece(" and its end", 2), "two", true, LogRules.NONE, NONE);
        h.processor.acceptPiece("app", piece("half of three", 3), "three", false, LogRules.NONE, NONE);
        h.feed("app", NONE, "a whole line");
        h.processor.acceptPiece("app", piece("half of four", 4), "four", false, LogRules.NONE, NONE);
        h.processor.flushIdle(h.now.get() + Duration.ofMillis(999).toNanos());
        assertEquals(List.of("half of one", "half of two and its end", "half of three", "a whole line"), h.texts(),
                "another line's piece or a whole line ends the wait; the timeout has not passed yet");
        h.processor.flushIdle(h.now.get() + Duration.ofSeconds(1).toNanos());
        assertEquals("half of four", h.texts().get(4), "the flush timeout ends it");
        h.processor.acceptPiece("app", piece("half of five", 5), "five", false, LogRules.NONE, NONE);
        h.processor.flushAll();
        assertEquals("half of five", h.texts().get(5), "so does a stop");
        assertEquals(4, h.telemetry.count("logs.partial_lines.incomplete"));
        assertEquals(1, h.telemetry.count("logs.partial_lines.joined"));
        assertEquals(0, h.processor.pendingBytes());
    }

    @Test
    void piecesPastTheLargestMessageGoOnCutAndMarkedAndThePendingBudgetHolds() {
        MultiLineSettings small = new MultiLineSettings(null, true, false, Duration.ofSeconds(1), 100);
        Harness h = new Harness();
        for (int i = 0; i < 5; i++) {
            h.processor.acceptPiece("app", piece(String.valueOf((char) ('a' + i)).repeat(40), 1), "long", i == 4,
                    LogRules.NONE, small);
            assertTrue(h.processor.pendingBytes() <= 140, "held: " + h.processor.pendingBytes());
        }
        h.processor.flushAll();
        String all = String.join("", h.out.stream().map(LogRecord::messageText).toList())
                .replace("...TRUNCATED...", "");
        assertEquals("a".repeat(40) + "b".repeat(40) + "c".repeat(40) + "d".repeat(40) + "e".repeat(40), all,
                "every byte arrives, in order");
        assertTrue(h.out.stream().allMatch(r -> r.message().length <= 100 + 2 * 15), h.texts().toString());
        assertTrue(h.out.get(0).messageText().endsWith("...TRUNCATED..."), h.texts().toString());
        assertEquals(0, h.processor.pendingBytes());

        Harness budget = new Harness(LogRules.NONE, 64 * 1024, LogProcessor.MAX_STREAMS);
        for (int stream = 0; stream < 8; stream++) {
            budget.processor.acceptPiece("c" + stream, piece("z".repeat(16_384), 1), "l" + stream, false,
                    LogRules.NONE, TRACES);
        }
        assertTrue(budget.processor.pendingBytes() <= 64 * 1024, "pieces count in the pending budget: "
                + budget.processor.pendingBytes());
        assertTrue(budget.telemetry.count("logs.multiline.flushed_early") > 0);
    }

    // ---- multi_line pattern ----

    @Test
    void aPatternStartsMessagesAndOtherLinesJoinTheOpenOne() {
        Harness h = new Harness();
        h.feed("app", pattern("\\d{4}-\\d{2}-\\d{2}"),
                "2024-01-01 10:00:00 first", "  detail 1", "detail 2", "2024-01-01 10:00:01 second",
                "2024-01-01 10:00:02 third", "more");
        assertEquals(List.of(joined("2024-01-01 10:00:00 first", "  detail 1", "detail 2"),
                "2024-01-01 10:00:01 second"), h.texts());
        h.processor.flushAll();
        assertEquals(joined("2024-01-01 10:00:02 third", "more"), h.texts().get(2));
        assertEquals(2, h.telemetry.count("logs.multiline.aggregated"));
        // the Agent's escaped line feed, two bytes
        assertEquals("2024-01-01 10:00:02 third\\nmore", h.out.get(2).messageText());
        assertEquals(0, h.processor.pendingBytes());
    }

    @Test
    void aGroupKeepsItsFirstLinesMetadata() {
        Harness h = new Harness();
        LogRecord first = new LogRecord("2024-01-01 start".getBytes(StandardCharsets.UTF_8), 111, "error", "svc",
                "java", "", TagSet.of("a:1"), Map.of("container_name", "web"));
        LogRecord second = new LogRecord("continued".getBytes(StandardCharsets.UTF_8), 222, "info", "", "",
                "", TagSet.EMPTY, null);
        h.processor.accept("s", first, LogRules.NONE, pattern("\\d{4}"));
        h.processor.accept("s", second, LogRules.NONE, pattern("\\d{4}"));
        h.processor.flushAll();
        LogRecord r = h.out.get(0);
        assertEquals("2024-01-01 start\\ncontinued", r.messageText());
        assertEquals(111, r.timestamp());
        assertEquals("error", r.status());
        assertEquals("svc", r.service());
        assertEquals(TagSet.of("a:1"), r.tags());
        assertEquals(Map.of("container_name", "web"), r.attributes());
    }

    @Test
    void anIdleGroupIsSentAfterItsTimeout() {
        Harness h = new Harness();
        h.feed("app", pattern("\\d{4}"), "2024 a", "b");
        long t = h.now.get();
        h.processor.flushIdle(t + 999_000_000L);
        assertTrue(h.out.isEmpty());
        h.processor.flushIdle(t + 1_000_000_000L);
        assertEquals(List.of(joined("2024 a", "b")), h.texts());
        // a line after the timeout opens a new message, even without the pattern (as the Agent)
        h.now.addAndGet(2_000_000_000L);
        h.feed("app", pattern("\\d{4}"), "c");
        h.processor.flushAll();
        assertEquals("c", h.texts().get(1));
    }

    @Test
    void theTimerRestartsWithEachLine() {
        Harness h = new Harness();
        h.feed("app", pattern("\\d{4}"), "2024 a");
        h.now.addAndGet(800_000_000L);
        h.feed("app", pattern("\\d{4}"), "b");
        h.processor.flushIdle(h.now.get() + 500_000_000L);
        assertTrue(h.out.isEmpty());
        h.processor.flushIdle(h.now.get() + 1_000_000_000L);
        assertEquals(1, h.out.size());
    }

    @Test
    void aGroupOverMaxBytesIsCutAndMarkedAndTheRestFollows() {
        Harness h = new Harness();
        MultiLineSettings small = pattern("START").withMaxBytes(100);
        String a = "START " + "a".repeat(60);
        String b = "b".repeat(60);
        h.feed("app", small, a, b, "START next");
        List<String> texts = h.out.stream().map(LogRecord::messageText).toList();
        assertEquals(2, texts.size());
        // 66 + 2 (\n) + 32 = 100 bytes, then the marker at the end
        assertEquals(a + "\\n" + "b".repeat(32) + "...TRUNCATED...", texts.get(0));
        // the remainder is marked at its start, as the Agent marks the rest of a cut line
        assertEquals("...TRUNCATED..." + "b".repeat(28), texts.get(1));
        h.processor.flushAll();
        assertEquals("START next", h.out.get(2).messageText());
        assertEquals(2, h.telemetry.count("logs.multiline.truncated"));
    }

    @Test
    void aSingleLineOverMaxBytesIsCutInPieces() {
        Harness h = new Harness();
        h.feed("app", NONE.withMaxBytes(100), "é".repeat(120)); // 240 bytes, two a character
        List<String> texts = h.out.stream().map(LogRecord::messageText).toList();
        assertEquals(List.of("é".repeat(50) + "...TRUNCATED...",
                "...TRUNCATED..." + "é".repeat(50) + "...TRUNCATED...",
                "...TRUNCATED..." + "é".repeat(20)), texts);
        for (LogRecord r : h.out) {
            assertTrue(r.message().length <= 100 + 2 * LogProcessor.TRUNCATED.length);
        }
    }

    @Test
    void aCutNeverSplitsAUtf8Sequence() {
        Harness h = new Harness();
        h.feed("app", NONE.withMaxBytes(101), "é".repeat(60)); // 101 falls inside a character
        assertEquals("é".repeat(50) + "...TRUNCATED...", h.out.get(0).messageText());
    }

    // ---- stack traces from real runtimes ----

    private static List<String> run(String resource) {
        Harness h = new Harness();
        for (String line : Harness.resourceLines(resource)) {
            h.processor.accept("stdout", Harness.line(line), LogRules.NONE, TRACES);
        }
        h.processor.flushAll();
        assertEquals(0, h.processor.pendingBytes());
        return h.texts();
    }

    private static String lines(String resource, int from, int to) {
        return String.join("\n", Harness.resourceLines(resource).subList(from, to));
    }

    @Test
    void javaTracesAreJoinedWithTheirCausesAndSuppressed() {
        List<String> texts = run("java.txt");
        assertEquals(List.of(
                "2026-12-05 16:40:00.001 INFO  starting worker",
                "2026-12-05 16:40:00.002 ERROR request failed",
                lines("java.txt", 2, 17),
                "2026-12-05 16:40:00.003 INFO  still running",
                lines("java.txt", 18, 21),
                "2026-12-05 16:40:00.004 INFO  done"), texts);
        assertTrue(texts.get(2).startsWith("java.lang.IllegalStateException: request 42 failed\n\tat Boom.outer"));
        assertTrue(texts.get(2).contains("\n\tSuppressed: java.lang.RuntimeException: close failed\n"));
        assertTrue(texts.get(2).endsWith("Caused by: java.io.IOException: disk gone\n\tat Boom.inner(Boom.java:4)"
                + "\n\tat Boom.outer(Boom.java:6)\n\t... 6 more"));
    }

    @Test
    void pythonTracebacksAreJoinedWithTheirChainedSections() {
        List<String> texts = run("python.txt");
        assertEquals(List.of(
                "INFO starting",
                lines("python.txt", 1, 2),
                lines("python.txt", 2, 18),
                "INFO between",
                lines("python.txt", 19, 32),
                "INFO end",
                lines("python.txt", 33, 40)), texts);
        assertTrue(texts.get(2).contains("\n\nThe above exception was the direct cause of the following exception:"
                + "\n\nTraceback (most recent call last):\n"));
        assertTrue(texts.get(2).endsWith("KeyError: 'lookup failed'"));
        assertTrue(texts.get(4).contains("\n\nDuring handling of the above exception, another exception occurred:"));
    }

    @Test
    void nodeStacksAreJoinedOntoTheirErrorLine() {
        List<String> texts = run("node.txt");
        assertEquals(List.of(
                "info: starting",
                lines("node.txt", 1, 11),
                "info: between",
                lines("node.txt", 12, 20),
                "info: end",
                "/srv/app/boom.js:8",
                "setTimeout(() => { null.x; }, 1);",
                "                        ^",
                "",
                lines("node.txt", 25, 29),
                "",
                "Node.js v20.20.2"), texts);
    }

    @Test
    void goPanicsAreJoinedWithTheirGoroutines() {
        assertEquals(List.of(
                "2026/12/05 16:40:00 starting",
                "2026/12/05 16:40:00 recovered: assignment to entry in nil map",
                "2026/12/05 16:40:01 working",
                lines("go.txt", 3, 10)), run("go.txt"));
        List<String> texts = run("go-goroutine.txt");
        assertEquals(4, texts.size());
        assertEquals(lines("go-goroutine.txt", 3, 13), texts.get(3));
        assertTrue(texts.get(3).contains("\n[signal SIGSEGV"));
        assertTrue(texts.get(3).contains("\ncreated by main.main in goroutine 1\n"));
    }

    @Test
    void interleavedStreamsStaySeparate() {
        Harness h = new Harness();
        List<String> java = Harness.resourceLines("java.txt");
        // a trace on stderr while stdout writes ordinary lines between its frames
        for (int i = 2; i < 17; i++) {
            h.processor.accept("web/stderr", Harness.line(java.get(i)), LogRules.NONE, TRACES);
            h.processor.accept("web/stdout", Harness.line("GET /health 200 " + i), LogRules.NONE, TRACES);
        }
        h.processor.flushAll();
        List<String> texts = h.texts();
        assertEquals(16, texts.size());
        assertTrue(texts.contains(lines("java.txt", 2, 17)));
        for (int i = 2; i < 17; i++) {
            assertTrue(texts.contains("GET /health 200 " + i));
        }
    }

    @Test
    void ordinaryLinesAreNeverJoined() {
        Harness h = new Harness();
        h.feed("s", TRACES, "first line", "  indented but not a frame", "at noon we left", "\tat least once",
                "Caused by: nothing (no frames before)", "... 3 more", "plain", "ERROR: x", "  File \"a.py\"");
        h.processor.flushAll();
        assertEquals(9, h.out.size());
        assertEquals(0, h.telemetry.count("logs.multiline.aggregated"));
    }

    @Test
    void anOrdinaryLineIsSentWhenTheNextOneComes() {
        Harness h = new Harness();
        h.feed("s", TRACES, "one");
        assertTrue(h.out.isEmpty()); // it may still get frames
        h.feed("s", TRACES, "two");
        assertEquals(List.of("one"), h.texts());
    }

    @Test
    void jsonLinesAreNeverJoined() {
        Harness h = new Harness();
        h.feed("s", TRACES, "{\"message\":\"boom\"}", "    at foo (/srv/app/x.js:1:1)");
        h.processor.flushAll();
        assertEquals(List.of("boom", "    at foo (/srv/app/x.js:1:1)"), h.texts());
    }

    @Test
    void withoutJoiningEachLineGoesAlone() {
        Harness h = new Harness();
        h.feed("s", NONE, "java.lang.RuntimeException: x", "\tat A.b(A.java:1)");
        assertEquals(2, h.out.size()); // sent at once: nothing pending
        assertEquals(0, h.processor.pendingBytes());
    }

    // ---- auto multi-line ----

    @Test
    void autoDetectionStartsMessagesAtTimestamps() {
        Harness h = new Harness();
        MultiLineSettings auto = new MultiLineSettings(null, true, true, Duration.ofSeconds(1), 256_000);
        h.feed("s", auto,
                "no timestamp yet",
                "2024-03-28T13:45:30.123Z ERROR failed",
                "java.lang.IllegalStateException: x",
                "\tat A.b(A.java:1)",
                "{\"message\":\"json alone\"}",
                "orphan after json",
                "Mar 16 08:12:04 host app[1]: syslog line",
                "  continued",
                "[28/Mar/2024:13:45:30 +0000] apache",
                "panic: boom",
                "",
                "goroutine 1 [running]:",
                "2024-03-28 13:45:31,123 INFO python logging");
        h.processor.flushAll();
        assertEquals(List.of(
                "no timestamp yet",
                "2024-03-28T13:45:30.123Z ERROR failed\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)",
                "json alone",
                "orphan after json",
                "Mar 16 08:12:04 host app[1]: syslog line\n  continued",
                "[28/Mar/2024:13:45:30 +0000] apache",
                // as the Agent: a goroutine header starts a message of its own (and the blank line stays)
                "panic: boom\n",
                "goroutine 1 [running]:",
                "2024-03-28 13:45:31,123 INFO python logging"), h.texts());
    }

    @Test
    void timestampLayouts() {
        for (String s : List.of("2024-03-28T13:45:30.123456Z x", "2024/04/12 19:37:50 x", "2017-05-16_13:53:08 x",
                "28/Mar/2024:13:45:30 x", "Sun, 28 Mar 2024 13:45:30 x", "02 Jan 06 15:04 MST x",
                "Jan 21 18:20:11 +0000 2024", "Dec 2, 2024 2:39:58 AM x", "Jun 09 2024 15:28:14 x",
                "Jul 1 09:00:55 x", "06/01/24 04:11:05 x", "9/28/2024 2:23:15 PM", "11:42:35.173 x",
                "23-Apr-2024 11:42:35.883", "2024 Mar 03 05:12:41.211 PDT", "I1205 16:40:00.123456 glog",
                "[2024-01-31] x", "<2024-01-31 10:00:00> x", "Mon Jan  2 15:04:05 2006 x")) {
            assertTrue(Timestamps.startsWithTimestamp(s.getBytes(StandardCharsets.UTF_8)), s);
        }
        for (String s : List.of("INFO starting", "at 2024-01-01", "12345 items", "1.2.3 version", "Traceback",
                "\tat A.b(A.java:1)", "{\"time\":\"2024-01-01\"}", "2024 was a year", "10:00 meeting")) {
            assertFalse(Timestamps.startsWithTimestamp(s.getBytes(StandardCharsets.UTF_8)), s);
        }
    }

    // ---- rules and counters in the chain ----

    @Test
    void rulesRunOnTheJoinedMessageAndAreCounted() {
        LogRules global = LogRules.compile(List.of(
                new ProcessingRule(ProcessingRule.Type.EXCLUDE_AT_MATCH, "no_health", "GET /health", null)));
        Harness h = new Harness(global, 1 << 20, 16);
        LogRules source = LogRules.compile(List.of(
                new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "cards", LogRulesTest.CARDS, "[masked_card]"),
                new ProcessingRule(ProcessingRule.Type.INCLUDE_AT_MATCH, "only_errors", "Exception|ERROR", null)));
        String[] lines = {"GET /health 200", "java.lang.RuntimeException: card 4111111111111111 refused",
                "\tat A.b(A.java:1)", "INFO fine", "ERROR with card 4111111111111111"};
        for (String l : lines) {
            h.processor.accept("s", Harness.line(l), source, TRACES);
        }
        h.processor.flushAll();
        assertEquals(List.of("java.lang.RuntimeException: card [masked_card] refused\n\tat A.b(A.java:1)",
                "ERROR with card [masked_card]"), h.texts());
        assertEquals(1, h.telemetry.count("logs.processing.dropped", "rule:no_health", "type:exclude_at_match"));
        assertEquals(1, h.telemetry.count("logs.processing.dropped", "rule:only_errors", "type:include_at_match"));
        assertEquals(2, h.telemetry.count("logs.processing.masked", "rule:cards"));
        assertEquals(1, h.telemetry.count("logs.multiline.aggregated"));
    }

    @Test
    void anAbandonedMaskDropsTheLineAndIsCounted() {
        LogRules mask = LogRules.compile(List.of(
                new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "slow", "(a|b)*c", "x")));
        Harness h = new Harness();
        h.processor.accept("s", Harness.line("a".repeat(60_000)), mask, NONE);
        h.processor.accept("s", Harness.line("fine"), mask, NONE);
        assertEquals(List.of("fine"), h.texts());
        assertEquals(1, h.telemetry.count("logs.processing.abandoned", "rule:slow", "type:mask_sequences"));
    }

    // ---- JSON lines ----

    @Test
    void jsonFieldsAreLiftedAndTheMessageFieldBecomesTheMessage() {
        Harness h = new Harness();
        LogRecord line = new LogRecord(("{\"message\":\"user logged in\",\"level\":\"WARNING\",\"user\":{\"id\":7},"
                + "\"dd.trace_id\":\"123\",\"dd\":{\"span_id\":\"456\",\"trace_id\":\"123\"},\"big\":18446744073709551615,"
                + "\"ratio\":0.25,\"container_name\":\"override\"}").getBytes(StandardCharsets.UTF_8),
                5, "error", "", "", "", TagSet.EMPTY, Map.of("container_name", "web", "ecs_cluster", "c1"));
        h.processor.accept("s", line, LogRules.NONE, NONE);
        LogRecord r = h.out.get(0);
        assertEquals("user logged in", r.messageText());
        assertEquals("warn", r.status());
        assertFalse(r.attributes().containsKey("message"));
        assertEquals("override", r.attributes().get("container_name"));
        assertEquals("c1", r.attributes().get("ecs_cluster"));
        assertEquals(Map.of("id", 7L), r.attributes().get("user"));
        assertEquals("123", r.attributes().get("dd.trace_id"));
        assertEquals(Map.of("span_id", "456", "trace_id", "123"), r.attributes().get("dd"));
        assertEquals(new java.math.BigInteger("18446744073709551615"), r.attributes().get("big"));
        assertEquals(new java.math.BigDecimal("0.25"), r.attributes().get("ratio"));
        assertEquals(5, r.timestamp());
    }

    @Test
    void jsonStatusesAndService() {
        assertEquals("critical", lifted("{\"msg\":\"x\",\"severity\":\"FATAL\"}", "info", "").status());
        assertEquals("error", lifted("{\"msg\":\"x\",\"status\":\"Err\"}", "info", "").status());
        assertEquals("debug", lifted("{\"log\":\"x\",\"level\":\"trace\"}", "info", "").status());
        assertEquals("warn", lifted("{\"message\":\"x\",\"log.level\":\"warning\"}", "info", "").status());
        assertEquals("notice", lifted("{\"message\":\"x\",\"log\":{\"level\":\"NOTICE\"}}", "info", "").status());
        assertEquals("emerg", lifted("{\"message\":\"x\",\"level\":\"emergency\"}", "info", "").status());
        // not a level we know, or not a string: the stream's status stays
        assertEquals("error", lifted("{\"message\":\"x\",\"level\":\"loud\"}", "error", "").status());
        assertEquals("error", lifted("{\"message\":\"x\",\"level\":30}", "error", "").status());
        assertEquals("checkout", lifted("{\"message\":\"x\",\"service\":\"checkout\"}", "info", "").service());
        assertEquals("web", lifted("{\"message\":\"x\",\"service\":\"checkout\"}", "info", "web").service());
        // msg, then log, when there is no message field
        assertEquals("m", lifted("{\"msg\":\"m\",\"log\":\"l\"}", "info", "").messageText());
        assertEquals("l", lifted("{\"message\":{\"not\":\"text\"},\"log\":\"l\"}", "info", "").messageText());
    }

    @Test
    void aJsonTimestampTheIntakeWouldReadBecomesTheLogsTimestamp() {
        LogRecord iso = lifted("{\"message\":\"x\",\"timestamp\":\"2026-12-05T10:00:00.123Z\",\"n\":1}", "info", "");
        assertEquals(java.time.Instant.parse("2026-12-05T10:00:00.123Z").toEpochMilli(), iso.timestamp());
        assertFalse(iso.attributes().containsKey("timestamp"), "not sent twice");
        assertEquals(1L, iso.attributes().get("n"));
        assertEquals(java.time.Instant.parse("2026-12-05T09:00:00Z").toEpochMilli(),
                lifted("{\"message\":\"x\",\"timestamp\":\"2026-12-05T10:00:00+01:00\"}", "info", "").timestamp());
        assertEquals(1764928800123L, lifted("{\"message\":\"x\",\"timestamp\":1764928800123}", "info", "")
                .timestamp(), "milliseconds, as the intake reads a number");
        assertEquals(1764928800000L, lifted("{\"message\":\"x\",\"timestamp\":1764928800}", "info", "")
                .timestamp(), "seconds, which the intake would put in 1970");
        assertEquals(1764928800250L, lifted("{\"message\":\"x\",\"timestamp\":1764928800.25}", "info", "")
                .timestamp());
        // Anything else leaves the record's own time.
        for (String other : List.of("\"yesterday\"", "\"2026-12-05\"", "42", "-1764928800123", "true", "{}")) {
            LogRecord r = lifted("{\"message\":\"x\",\"timestamp\":" + other + "}", "info", "");
            assertEquals(LIFTED_AT, r.timestamp(), other);
        }
    }

    @Test
    void jsonWithoutAMessageFieldStaysAsItIs() {
        String text = "{\"event\":\"login\",\"level\":\"error\"}";
        LogRecord r = lifted(text, "info", "");
        assertEquals(text, r.messageText());
        assertEquals("info", r.status());
        assertTrue(r.attributes().isEmpty());
    }

    @Test
    void invalidOrTooDeepJsonGoesAsText() {
        for (String text : List.of("{\"message\":\"x\"", "{\"message\":\"x\",}", "{message:\"x\"}",
                "{\"message\":\"x\"} trailing", "{\"message\":\"x\",\"n\":01}", "{\"message\":\"\\x\"}",
                "{\"message\":\"x\",\"d\":" + "[".repeat(20) + "]".repeat(20) + "}", "[\"message\"]")) {
            LogRecord r = lifted(text, "info", "");
            assertEquals(text, r.messageText());
            assertTrue(r.attributes().isEmpty(), text);
        }
        assertEquals("deep", lifted("{\"message\":\"deep\",\"d\":" + "[".repeat(15) + "]".repeat(15) + "}",
                "info", "").messageText());
    }

    @Test
    void invalidUtf8NeverThrows() {
        Harness h = new Harness();
        byte[][] lines = {{(byte) 0xFF, (byte) 0xFE, '{'}, {'{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':',
                '"', (byte) 0xC3, '"', '}'}, {'\t', 'a', 't', ' ', (byte) 0xE2, (byte) 0x82, ')'}, {}};
        for (byte[] bytes : lines) {
            h.processor.accept("s", new LogRecord(bytes, 1, "", "", "", "", TagSet.EMPTY, null),
                    LogRules.compile(List.of(new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "m", ".", "x"))),
                    TRACES);
        }
        h.processor.flushAll();
        assertEquals(0, h.processor.pendingBytes());
    }

    /** The record's own time in {@link #lifted}. */
    private static final long LIFTED_AT = 1;

    private static LogRecord lifted(String text, String status, String service) {
        Harness h = new Harness();
        h.processor.accept("s", LogRecord.of(text, LIFTED_AT, status, service, "", TagSet.EMPTY), LogRules.NONE,
                NONE);
        return h.out.get(0);
    }

    @Test
    void aLineNoRuleChangesKeepsItsArray() {
        Harness h = new Harness();
        LogRecord line = Harness.line("plain");
        h.processor.accept("s", line, LogRules.NONE, NONE);
        assertSame(line.message(), h.out.get(0).message());
    }

    // ---- bounds ----

    @Test
    void pendingMessagesStayWithinTheBudgetAndNothingIsLost() {
        Harness h = new Harness(LogRules.NONE, 10_000, 1000);
        MultiLineSettings joinAll = pattern("NEVER-MATCHES");
        int lines = 0;
        for (int round = 0; round < 50; round++) {
            for (int s = 0; s < 20; s++) {
                h.processor.accept("stream-" + s, Harness.line("x".repeat(100) + round), LogRules.NONE, joinAll);
                lines++;
                assertTrue(h.processor.pendingBytes() <= 10_000, "pending " + h.processor.pendingBytes());
            }
        }
        assertTrue(h.telemetry.count("logs.multiline.flushed_early") > 0);
        h.processor.flushAll();
        assertEquals(0, h.processor.pendingBytes());
        long sent = h.texts().stream().mapToLong(t -> t.split("\n").length).sum();
        assertEquals(lines, sent);
    }

    @Test
    void streamsAreBoundedAndIdleOnesForgotten() {
        Harness h = new Harness(LogRules.NONE, 1 << 20, 8);
        for (int i = 0; i < 20; i++) {
            h.feed("stream-" + i, TRACES, "line " + i);
            assertTrue(h.processor.streamCount() <= 8);
        }
        h.processor.flushAll();
        assertEquals(20, h.out.size()); // the evicted streams' lines were sent, not lost
        h.processor.flushIdle(h.now.get() + 2_000_000_000L);
        assertEquals(0, h.processor.streamCount());
    }

    @Test
    void closeFlushesEverything() {
        Harness h = new Harness();
        h.feed("a", TRACES, "one");
        h.feed("b", pattern("x"), "x two", "three");
        h.processor.close();
        assertEquals(2, h.out.size());
        assertEquals(0, h.processor.pendingBytes());
    }

    @Test
    void manyThreadsFeedingTheirOwnStreams() throws InterruptedException {
        List<LogRecord> out = java.util.Collections.synchronizedList(new ArrayList<>());
        LogProcessor p = new LogProcessor(LogRules.NONE, 64 * 1024, new Harness.Telemetry(), out::add);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String stream = "s" + t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 2000; i++) {
                    p.accept(stream, Harness.line(i % 3 == 0 ? "Exception " + i : "\tat A.b(A.java:" + i + ")"),
                            LogRules.NONE, TRACES);
                    if (i % 100 == 0) {
                        p.flushIdle(System.nanoTime());
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        p.close();
        long frames = 0;
        synchronized (out) {
            for (LogRecord r : out) {
                frames += r.messageText().split("\\\\n").length;
            }
        }
        assertEquals(4 * 2000, frames);
        assertEquals(0, p.pendingBytes());
    }
}
