package io.pilotfish.core.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskBufferTest {

    /** Small segments, so a few hundred records span several. */
    private static final long SEGMENT = 64 * 1024;

    @TempDir
    Path dir;

    private final Events events = new Events();

    static final class Events implements DiskBuffer.Listener {
        long droppedItems;
        long droppedSegments;
        final List<String> corrupt = new ArrayList<>();
        final List<String> refused = new ArrayList<>();
        final List<String> failures = new ArrayList<>();

        @Override
        public void droppedOldest(Path segment, long items, long bytes, String why) {
            droppedItems += items;
            droppedSegments++;
        }

        @Override
        public void corrupt(Path segment, long offset, long bytes, String why) {
            corrupt.add(segment.getFileName() + "@" + offset + ": " + why);
        }

        @Override
        public void refused(Path segment, String why) {
            refused.add(segment.getFileName() + ": " + why);
        }

        @Override
        public void ioFailure(String what, IOException e) {
            failures.add(what + ": " + e.getMessage());
        }
    }

    private static LogRecord line(int n) {
        return LogRecord.of("line " + n + " " + "x".repeat(200), 1_700_000_000_000L + n, "info", "svc", "app",
                TagSet.of("n:" + n));
    }

    private static List<DiskBuffer.Pending> lines(int from, int to) {
        return IntStream.range(from, to).mapToObj(n -> new DiskBuffer.Pending(line(n), 1000L + n)).toList();
    }

    private static int number(DiskBuffer.Stored stored) {
        String text = ((LogRecord) stored.signal()).messageText();
        return Integer.parseInt(text.substring(5, text.indexOf(' ', 5)));
    }

    private static List<Integer> numbers(List<DiskBuffer.Stored> stored) {
        return stored.stream().map(DiskBufferTest::number).toList();
    }

    private DiskBuffer open(long maxBytes) throws IOException {
        return DiskBuffer.open(dir, maxBytes, SEGMENT, events);
    }

    private List<Path> segmentFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pfq")).sorted().toList();
        }
    }

    private static List<DiskBuffer.Stored> readAll(DiskBuffer buffer) {
        List<DiskBuffer.Stored> out = new ArrayList<>();
        while (true) {
            List<DiskBuffer.Stored> some = buffer.read(Long.MAX_VALUE, 100);
            if (some.isEmpty()) {
                return out;
            }
            out.addAll(some);
        }
    }

    @Test
    void recordsComeBackInOrderAcrossSegmentsWithTheirEnqueueTime() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        assertTrue(buffer.append(lines(0, 1000)).isEmpty());
        assertEquals(1000, buffer.unreadItems());
        assertTrue(segmentFiles().size() > 2, "several segments: " + segmentFiles());
        List<DiskBuffer.Stored> stored = readAll(buffer);
        assertEquals(IntStream.range(0, 1000).boxed().toList(), numbers(stored));
        assertEquals(1000L + 7, stored.get(7).enqueuedAtMillis());
        assertEquals(line(7).tags(), ((LogRecord) stored.get(7).signal()).tags());
        assertEquals(0, buffer.unreadItems());
        buffer.close();
    }

    @Test
    void readingStopsAtTheHeapAskedFor() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 100));
        long one = line(0).estimatedBytes();
        assertEquals(10, buffer.read(one * 10, 1000).size());
        assertEquals(1, buffer.read(1, 1000).size(), "at least one record");
        assertEquals(5, buffer.read(Long.MAX_VALUE, 5).size());
        buffer.close();
    }

    @Test
    void aRestartContinuesAfterWhatWasAcknowledged() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 300));
        List<DiskBuffer.Stored> first = buffer.read(Long.MAX_VALUE, 120);
        buffer.ack(first.get(99).end()); // 0..99 sent; 100..119 read, not sent (a crash loses memory)
        int before = segmentFiles().size();
        buffer.close();

        DiskBuffer again = open(DiskBuffer.MIN_MAX_BYTES);
        assertEquals(200, again.unreadItems());
        assertEquals(IntStream.range(100, 300).boxed().toList(), numbers(readAll(again)));
        assertTrue(segmentFiles().size() <= before, "acknowledged segments deleted");
        again.close();
    }

    @Test
    void aCleanStopKeepsMemoryAheadOfDiskAndQueueBehind() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(10, 400));
        List<DiskBuffer.Stored> read = buffer.read(Long.MAX_VALUE, 150); // 10..159 in memory, unsent
        buffer.ack(read.get(49).end()); // 10..59 sent
        List<DiskBuffer.Pending> before = new ArrayList<>(lines(0, 10)); // a batch being retried, older
        read.subList(50, 150).forEach(s -> before.add(new DiskBuffer.Pending(s.signal(), s.enqueuedAtMillis())));
        List<DiskBuffer.Pending> refused = buffer.persist(before, lines(400, 450));
        assertTrue(refused.isEmpty());

        DiskBuffer again = open(DiskBuffer.MIN_MAX_BYTES);
        List<Integer> expected = new ArrayList<>(IntStream.range(0, 10).boxed().toList());
        expected.addAll(IntStream.range(60, 450).boxed().toList());
        assertEquals(expected.size(), again.unreadItems());
        assertEquals(expected, numbers(readAll(again)));
        again.close();
    }

    @Test
    void aCleanStopWithEverythingReadStartsAfresh() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 50));
        List<DiskBuffer.Stored> read = readAll(buffer);
        buffer.ack(read.get(19).end());
        List<DiskBuffer.Pending> before = read.subList(20, 50).stream()
                .map(s -> new DiskBuffer.Pending(s.signal(), s.enqueuedAtMillis())).toList();
        buffer.persist(before, lines(50, 60));
        DiskBuffer again = open(DiskBuffer.MIN_MAX_BYTES);
        assertEquals(IntStream.range(20, 60).boxed().toList(), numbers(readAll(again)));
        again.close();
    }

    @Test
    void maxBytesDropsTheOldestSegmentAndCountsWhatWasUnread() throws IOException {
        long max = DiskBuffer.MIN_MAX_BYTES;
        DiskBuffer buffer = DiskBuffer.open(dir, max, DiskBuffer.segmentBytesFor(max), events);
        assertTrue(buffer.append(lines(0, 10_000)).isEmpty(), "never refused: the oldest makes room");
        assertTrue(buffer.bytes() <= max, buffer.bytes() + " bytes");
        assertTrue(events.droppedSegments > 0);
        List<Integer> left = numbers(readAll(buffer));
        assertEquals(10_000, events.droppedItems + left.size(), "every record read or counted");
        assertEquals(9_999, left.get(left.size() - 1));
        assertEquals(IntStream.range(left.get(0), 10_000).boxed().toList(), left, "the newest, in order");
        buffer.close();
    }

    @Test
    void aTruncatedTailIsSkippedAndTheRestKept() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 500));
        buffer.close();
        List<Path> files = segmentFiles();
        Path last = files.get(files.size() - 1);
        long size = Files.size(last);
        try (RandomAccessFile file = new RandomAccessFile(last.toFile(), "rw")) {
            file.setLength(size - 30); // the writer died in the middle of the last record
        }
        DiskBuffer again = open(DiskBuffer.MIN_MAX_BYTES);
        assertEquals(1, events.corrupt.size(), events.corrupt.toString());
        assertTrue(events.corrupt.get(0).contains("cut short"), events.corrupt.toString());
        assertEquals(IntStream.range(0, 499).boxed().toList(), numbers(readAll(again)));
        // Appending after a restart goes to a new segment, never after the torn record.
        again.append(lines(500, 510));
        List<Integer> tail = numbers(readAll(again));
        assertEquals(IntStream.range(500, 510).boxed().toList(), tail);
        again.close();
    }

    @Test
    void aCorruptRecordSkipsTheRestOfItsSegmentOnly() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 1000));
        buffer.close();
        List<Path> files = segmentFiles();
        assertTrue(files.size() >= 3);
        Path first = files.get(0);
        try (RandomAccessFile file = new RandomAccessFile(first.toFile(), "rw")) {
            long at = Files.size(first) / 2;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0x55); // one flipped byte in the middle
        }
        DiskBuffer again = open(DiskBuffer.MIN_MAX_BYTES);
        assertEquals(1, events.corrupt.size(), events.corrupt.toString());
        List<Integer> left = numbers(readAll(again));
        assertEquals(0, left.get(0), "records before the bad one are kept");
        assertEquals(999, left.get(left.size() - 1), "later segments are kept");
        assertTrue(left.size() < 1000);
        for (int i = 1; i < left.size(); i++) {
            assertTrue(left.get(i) > left.get(i - 1), "in order");
        }
        again.close();
    }

    @Test
    void aSegmentOfAnotherVersionIsLeftAloneAndNotRead() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 10));
        buffer.close();
        Path segment = segmentFiles().get(0);
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.seek(4);
            file.write(DiskBuffer.FORMAT_VERSION + 1);
        }
        DiskBuffer again = open(DiskBuffer.MIN_MAX_BYTES);
        assertEquals(1, events.refused.size(), events.refused.toString());
        assertTrue(events.refused.get(0).contains("version 2"), events.refused.toString());
        assertEquals(0, again.unreadItems());
        again.append(lines(10, 12));
        assertEquals(List.of(10, 11), numbers(readAll(again)));
        again.close();
        assertTrue(Files.exists(segment), "kept for an agent that reads it");
    }

    @Test
    void aFailedWriteDropsTheOldestAndRetriesNeverThrows() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        buffer.append(lines(0, 300));
        long before = buffer.unreadItems();
        AtomicInteger failures = new AtomicInteger(1);
        buffer.writeHook(bytes -> {
            if (failures.getAndDecrement() > 0) {
                throw new IOException("No space left on device");
            }
        });
        assertTrue(buffer.append(lines(300, 310)).isEmpty(), "written after the oldest segment went");
        assertEquals(1, events.failures.size(), events.failures.toString());
        assertEquals(1, events.droppedSegments);
        assertEquals(before + 10 - events.droppedItems, buffer.unreadItems());

        buffer.writeHook(bytes -> {
            throw new IOException("Input/output error");
        });
        List<DiskBuffer.Pending> refused = buffer.append(lines(310, 320));
        assertEquals(10, refused.size(), "refused, not thrown");
        buffer.writeHook(bytes -> { });
        assertTrue(buffer.append(lines(320, 321)).isEmpty(), "works again once the volume does");
        List<Integer> left = numbers(readAll(buffer));
        assertEquals(320, left.get(left.size() - 1));
        assertFalse(left.contains(315));
        buffer.close();
    }

    @Test
    void onlyKindsWithACodecAreWritten() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        DiskBuffer.Pending metric = new DiskBuffer.Pending(Metric.gauge("m", 1, 1, TagSet.EMPTY), 1);
        List<DiskBuffer.Pending> refused = buffer.append(List.of(new DiskBuffer.Pending(line(1), 1), metric));
        assertEquals(List.of(metric), refused);
        assertEquals(1, buffer.unreadItems());
        buffer.close();
    }

    @Test
    void oneDirectoryServesOneBufferAtATime() throws IOException {
        DiskBuffer buffer = open(DiskBuffer.MIN_MAX_BYTES);
        IOException error = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> open(DiskBuffer.MIN_MAX_BYTES));
        assertTrue(error.getMessage().contains("in use"), error.getMessage());
        buffer.close();
        open(DiskBuffer.MIN_MAX_BYTES).close();
    }

    @Test
    void prepareCreatesTheDirectoryOrSaysWhyNot() throws IOException {
        assertTrue(DiskBuffer.prepare(dir.resolve("a/b")).isEmpty());
        assertTrue(Files.isDirectory(dir.resolve("a/b")));
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertTrue(DiskBuffer.prepare(file).orElseThrow().contains("not a directory"));
        assertTrue(DiskBuffer.prepare(file.resolve("under")).isPresent());
    }
}
