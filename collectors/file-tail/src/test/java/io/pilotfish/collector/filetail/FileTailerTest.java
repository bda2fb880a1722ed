package io.pilotfish.collector.filetail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.TestPluginContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTailerTest {

    @TempDir
    Path logs;
    @TempDir
    Path volume;

    private final TestPluginContext context = TestPluginContext.create();
    private final CollectingEmitter emitter = new CollectingEmitter();

    private FileTailer tailer(String... extra) {
        Map<String, String> values = new HashMap<>(Map.of("paths", logs + "/*.log", "service", "checkout",
                "source", "java", "tags", "team:payments", "checkpoint-dir", volume.toString(),
                // Each line at once for the reading tests; the processing test below turns joining on.
                "stack-trace-aggregation", "false"));
        for (int i = 0; i < extra.length; i += 2) {
            values.put(extra[i], extra[i + 1]);
        }
        MapPluginConfig config = MapPluginConfig.of("files", values);
        FileTailConfig parsed = new FileTailFactory().configure(config);
        assertEquals(List.of(), config.problems());
        FileTailer tailer = new FileTailer(parsed, context);
        tailer.prepare(emitter);
        return tailer;
    }

    private List<String> lines() {
        return emitter.ofType(LogRecord.class).stream().map(LogRecord::messageText).toList();
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void theNewlineScanFindsTheFirstNewlineWhereverItIsAndWhateverBytesSurroundIt() {
        java.util.Random random = new java.util.Random(42);
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            for (int i = 0; i < bytes.length; i++) {
                switch (random.nextInt(24)) { // newlines, and bytes one bit or one away from one
                    case 0 -> bytes[i] = '\n';
                    case 1 -> bytes[i] = (byte) 0x8A;
                    case 2 -> bytes[i] = 0x0B;
                    case 3 -> bytes[i] = 0x09;
                    default -> { }
                }
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
            int expected = -1;
            for (int i = from; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    expected = i;
                    break;
                }
            }
            assertEquals(expected, FileTailer.indexOfNewline(bytes, from, bytes.length),
                    () -> java.util.Arrays.toString(bytes) + " from " + from);
        }
        byte[] lines = "a\n\nbcdefghij\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(1, FileTailer.indexOfNewline(lines, 0, lines.length));
        assertEquals(2, FileTailer.indexOfNewline(lines, 2, lines.length));
        assertEquals(12, FileTailer.indexOfNewline(lines, 3, lines.length));
        assertEquals(-1, FileTailer.indexOfNewline(lines, 3, 12), "the end is exclusive");
    }

    @Test
    void startsAtTheEndOfFilesThatExistedAndReadsEveryLineWrittenAfter() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "old 1\nold 2\n");
        FileTailer tailer = tailer();
        tailer.pollOnce();
        assertEquals(List.of(), lines(), "what was there before the first run is not sent, as the Agent starts");

        append(app, "new 1\nnew 2\r\npartial");
        tailer.pollOnce();
        assertEquals(List.of("new 1", "new 2"), lines(), "a line still being written waits for its newline");
        append(app, " line\n");
        tailer.pollOnce();
        assertEquals(List.of("new 1", "new 2", "partial line"), lines());

        LogRecord log = emitter.ofType(LogRecord.class).get(0);
        assertEquals("checkout", log.service());
        assertEquals("java", log.source());
        assertEquals(TagSet.of("team:payments"), log.tags());
        assertEquals(3, context.counter("lines.read"));
    }

    @Test
    void aFileThatAppearsLaterIsReadFromItsStart() throws IOException {
        FileTailer tailer = tailer();
        tailer.pollOnce();
        append(logs.resolve("later.log"), "first\nsecond\n");
        append(logs.resolve("ignored.txt"), "not matched\n");
        tailer.pollOnce();
        assertEquals(List.of("first", "second"), lines());
    }

    @Test
    void rotationByRenameLosesNothingOfTheOldFileAndReadsTheNewOneFromItsStart() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer tailer = tailer();
        tailer.pollOnce();
        append(app, "a\nb\n");
        tailer.pollOnce();
        append(app, "c\nlast without newline");
        Files.move(app, logs.resolve("app.log.1"), StandardCopyOption.ATOMIC_MOVE);
        append(app, "d\n");
        tailer.pollOnce();
        tailer.pollOnce();
        // app.log.1 does not match *.log: the old file is drained through its open channel, then let go.
        assertEquals(List.of("a", "b", "c", "last without newline", "d"), lines());
        assertEquals(1, context.counter("files.rotated"));
    }

    @Test
    void aFileRotatedAwayWithMoreThanOnePollsShareUnreadIsStillReadToItsEnd() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer tailer = tailer();
        tailer.pollOnce();
        // More than a poll's share of one file, then a rotation before the next poll: an app faster than the tailer.
        String pad = "x".repeat(190);
        int count = (int) (FileTailer.MAX_BYTES_PER_FILE_PER_POLL / 200) + 5000;
        StringBuilder text = new StringBuilder(count * 200);
        for (int i = 0; i < count; i++) {
            text.append(String.format("%08d ", i)).append(pad).append('\n');
        }
        append(app, text.toString());
        Files.move(app, logs.resolve("app.log.1"), StandardCopyOption.ATOMIC_MOVE);
        append(app, "new\n");
        assertTrue(tailer.pollOnce(), "behind after one poll's share: the loop reads on without waiting");
        assertEquals(false, tailer.pollOnce());
        List<String> lines = lines();
        assertEquals(count + 1, lines.size(), "every line of the rotated file, and the new file's");
        assertTrue(lines.contains("new"));
        List<String> old = lines.stream().filter(l -> !l.equals("new")).toList();
        for (int i = 0; i < count; i++) {
            if (!old.get(i).startsWith(String.format("%08d ", i))) {
                throw new AssertionError("line " + i + " of the rotated file is " + old.get(i).substring(0, 9));
            }
        }
        assertEquals(1, context.counter("files.rotated"));
    }

    @Test
    void copyTruncateStartsTheFileAgain() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer tailer = tailer();
        tailer.pollOnce();
        append(app, "one\ntwo\n");
        tailer.pollOnce();
        Files.write(app, new byte[0], StandardOpenOption.TRUNCATE_EXISTING);
        append(app, "x\n");
        tailer.pollOnce();
        assertEquals(List.of("one", "two", "x"), lines());
        assertEquals(1, context.counter("files.truncated"));
    }

    @Test
    void aRestartedTailerNeitherLosesNorRepeatsALine() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer first = tailer();
        first.pollOnce();
        append(app, "1\n2\n");
        first.pollOnce();
        first.close();

        append(app, "3 written while the sidecar restarts\n");
        append(logs.resolve("new.log"), "n1\n");
        FileTailer second = tailer();
        second.pollOnce();
        append(app, "4\n");
        second.pollOnce();
        assertEquals(List.of("1", "2", "3 written while the sidecar restarts", "n1", "4"), lines());
        assertTrue(Files.list(volume).anyMatch(p -> p.getFileName().toString().endsWith(".positions")));
    }

    @Test
    void aLineOverTheLimitIsCutMarkedAndCountedAndItsRestSkipped() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer tailer = tailer("max-line-bytes", "1024");
        tailer.pollOnce();
        String huge = "é".repeat(200_000); // 400,000 bytes: more than the read buffer, in two-byte characters
        append(app, huge + "\nafter\n" + "z".repeat(1500) + "\n");
        tailer.pollOnce();
        tailer.pollOnce();

        List<String> lines = lines();
        assertEquals(3, lines.size(), lines.size() + " lines");
        assertTrue(lines.get(0).endsWith(FileTailer.TRUNCATED) && !lines.get(0).contains("\uFFFD"),
                "cut on a character boundary, then the marker");
        assertEquals(1024, lines.get(0).getBytes(StandardCharsets.UTF_8).length - FileTailer.TRUNCATED.length());
        assertEquals("after", lines.get(1));
        assertEquals("z".repeat(1024) + FileTailer.TRUNCATED, lines.get(2));
        assertEquals(2, context.counter("lines.truncated"));
    }

    @Test
    void invalidUtf8IsRepairedNotDropped() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer tailer = tailer();
        tailer.pollOnce();
        Files.write(app, new byte[] {'o', 'k', (byte) 0xC3, '\n'}, StandardOpenOption.APPEND);
        tailer.pollOnce();
        assertEquals(List.of("ok\uFFFD"), lines());
    }

    @Test
    void anUnwritableCheckpointDirectoryIsReportedNotFatal() throws IOException {
        Path file = volume.resolve("not-a-directory");
        Files.writeString(file, "x");
        FileTailer tailer = tailer("checkpoint-dir", file.toString());
        tailer.pollOnce();
        append(logs.resolve("late.log"), "still read\n");
        tailer.pollOnce();
        assertEquals(List.of("still read"), lines());
        assertTrue(context.counter("errors", "reason:checkpoint") >= 1);
    }

    @Test
    void configErrorsNameTheKey() {
        MapPluginConfig config = MapPluginConfig.of("files", Map.of("paths", "relative/*.log",
                "poll-interval", "1ms", "checkpoint-dir", "var/lib"));
        new FileTailFactory().configure(config);
        String problems = config.problems().toString();
        assertTrue(problems.contains("paths") && problems.contains("poll-interval")
                && problems.contains("checkpoint-dir"), problems);

        MapPluginConfig none = MapPluginConfig.of("files", Map.of());
        new FileTailFactory().configure(none);
        assertTrue(none.problems().toString().contains("paths"), none.problems().toString());
    }

    /** A Python traceback written to a file arrives as one log; a masking rule applies to what the file holds. */
    @Test
    void aTracebackInAFileIsOneLogAndTheRulesApply() throws IOException {
        Path app = logs.resolve("app.log");
        append(app, "");
        FileTailer tailer = tailer("stack-trace-aggregation", "true", "log-processing-rules",
                "[{\"type\":\"mask_sequences\",\"name\":\"tokens\",\"replace_placeholder\":\"token=[masked]\","
                        + "\"pattern\":\"token=\\\\w+\"}]");
        tailer.pollOnce();
        append(app, "login token=abc123 ok\n"
                + "Traceback (most recent call last):\n"
                + "  File \"/srv/app/main.py\", line 3, in <module>\n"
                + "    charge()\n"
                + "ValueError: card declined\n");
        tailer.pollOnce();
        tailer.stop(); // what is still being joined is sent at stop
        assertEquals(List.of("login token=[masked] ok",
                "Traceback (most recent call last):\\n  File \"/srv/app/main.py\", line 3, in <module>\\n"
                        + "    charge()\\nValueError: card declined"), lines());
    }
}
