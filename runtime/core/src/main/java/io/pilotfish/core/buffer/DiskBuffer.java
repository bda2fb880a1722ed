package io.pilotfish.core.buffer;

import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A sink's queue continued on disk: a FIFO of signals in append-only segment files in one directory, bounded in
 * bytes. Not thread-safe: one thread (the sink's disk thread) makes every call; {@link #bytes()} and
 * {@link #unreadItems()} may be read from any thread.
 *
 * <p><b>Format (version {@value #FORMAT_VERSION}).</b> A segment {@code segment-<sequence>.pfq} starts with an
 * 8-byte header, {@code "PFDB"}, the format version, three zero bytes; then records, each
 * {@code length (4 bytes, big-endian) | CRC-32C of the payload (4) | payload}, the payload being
 * {@code kind (1: log) | enqueued-at epoch ms (8) | the record} ({@link LogRecordCodec}). A segment is appended to
 * until it reaches its size (8 MiB, or a quarter of {@code max-bytes} when that is smaller), then a new one is
 * started; a segment is never appended to after a restart. A segment of another version is left in place, unread,
 * and reported: a later format is refused, never misread.
 *
 * <p><b>Reading and acknowledging.</b> {@link #read} hands records out oldest first and moves a read position; the
 * caller {@linkplain #ack acknowledges} a position once everything up to it is sent (or dropped for good). A segment
 * read and acknowledged to its end is deleted, and the acknowledged position is kept in the file {@code cursor}, so
 * after a crash only what was read but not yet acknowledged is read again. At a clean stop {@link #persist} writes
 * what the memory queue still held (read from disk or not) in order, so nothing is read twice.
 *
 * <p><b>Full.</b> When a write would pass {@code max-bytes}, or the file system refuses it (no space left, an I/O
 * error), the oldest segment is deleted (its unread records reported to {@link Listener#droppedOldest}) and the
 * write tried again; a write that still fails is refused, never thrown. A record that cannot be read back (CRC
 * mismatch, cut short by a crash, undecodable) ends what is read of its segment: the rest of that segment is skipped
 * and reported to {@link Listener#corrupt}, the other segments are kept.
 */
public final class DiskBuffer implements Closeable {

    public static final int FORMAT_VERSION = 1;
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
    public static final long MIN_MAX_BYTES = 1024L * 1024;
    public static final long MAX_SEGMENT_BYTES = 8L * 1024 * 1024;
    static final int HEADER_BYTES = 8;
    static final int RECORD_HEADER_BYTES = 8;
    private static final byte[] MAGIC = {'P', 'F', 'D', 'B'};
    private static final byte KIND_LOG = 1;
    private static final String PREFIX = "segment-";
    private static final String SUFFIX = ".pfq";
    private static final String CURSOR = "cursor";
    private static final String LOCK = "lock";
    private static final int CURSOR_BYTES = 20;
    /** Records are written to the file in chunks of about this much: few system calls, little memory. */
    static final int CHUNK_BYTES = 256 * 1024;
    /**
     * The heap the buffer itself may hold at once: the write chunk and the read buffer (each about
     * {@value #CHUNK_BYTES} bytes, more only for one record that is larger).
     */
    public static final long IO_BUFFER_BYTES = 2L * CHUNK_BYTES;

    /** What the buffer reports; called on the buffer's thread. */
    public interface Listener {
        /** The oldest segment was deleted to make room: {@code items} records, {@code bytes} bytes never read. */
        void droppedOldest(Path segment, long items, long bytes, String why);

        /** The rest of a segment, from {@code offset}, cannot be read and is skipped. */
        void corrupt(Path segment, long offset, long bytes, String why);

        /** A segment of another format version is left in place and not read. */
        void refused(Path segment, String why);

        /** A write or delete failed; the buffer went on as described above. */
        void ioFailure(String what, IOException e);
    }

    /** Where a record ends: acknowledging it acknowledges everything before it. */
    public record Position(long segment, long offset) implements Comparable<Position> {
        @Override
        public int compareTo(Position other) {
            int bySegment = Long.compare(segment, other.segment);
            return bySegment != 0 ? bySegment : Long.compare(offset, other.offset);
        }
    }

    /** A signal to write, with when it entered the queue (so {@code retry.max-age} still applies after a restart). */
    public record Pending(Signal signal, long enqueuedAtMillis) {
    }

    /** A signal read back, and where its record ends. */
    public record Stored(Signal signal, long enqueuedAtMillis, Position end) {
    }

    private static final class Segment {
        final long sequence;
        final Path path;
        /** Bytes of valid records plus the header: what is read, and what counts against max-bytes. */
        long size;
        /** The file's length on disk, which may exceed {@link #size} by a corrupt tail. */
        long fileBytes;
        long items;
        long readOffset = HEADER_BYTES;
        long itemsRead;

        Segment(long sequence, Path path) {
            this.sequence = sequence;
            this.path = path;
        }
    }

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final Listener listener;
    /** Oldest first. */
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private Segment writing;
    private FileChannel writeChannel;
    private Segment reading;
    private FileChannel readChannel;
    private Position acked = new Position(-1, 0);
    /** The highest segment number used: a new segment always gets a higher one. */
    private long lastSequence;
    private final ByteBuffer recordHead = ByteBuffer.allocate(RECORD_HEADER_BYTES);
    private final LogRecordCodec.ByteSink chunk = new LogRecordCodec.ByteSink(CHUNK_BYTES);
    private ByteBuffer readBuffer = ByteBuffer.allocate(4096);
    private final CRC32C crc = new CRC32C();
    private volatile long bytes;
    private volatile long unreadItems;
    private boolean closed;
    /** Held while open: two agents writing one directory would corrupt each other's segments. */
    private FileChannel lockChannel;
    /** Tests only: runs before every write to a segment, so a test can make one fail. */
    private WriteHook writeHook = bytes -> { };

    /** Tests only. */
    interface WriteHook {
        void beforeWrite(long bytes) throws IOException;
    }

    private DiskBuffer(Path dir, long maxBytes, long segmentBytes, Listener listener) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.listener = listener;
    }

    /** Whether a signal of this kind can be written (has a codec). */
    public static boolean storable(Signal signal) {
        return signal instanceof LogRecord;
    }

    /** The segment size for a bound: 8 MiB, or a quarter of it when smaller, so that dropping one frees little. */
    static long segmentBytesFor(long maxBytes) {
        return Math.max(64 * 1024, Math.min(MAX_SEGMENT_BYTES, maxBytes / 4));
    }

    /**
     * Creates the directory if missing and checks that a file can be created in it.
     *
     * @return empty when usable, otherwise why not
     */
    public static Optional<String> prepare(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            return Optional.of("exists and is not a directory");
        } catch (AccessDeniedException e) {
            return Optional.of("cannot be created (permission denied: " + e.getFile() + ")");
        } catch (IOException | RuntimeException e) {
            return Optional.of("cannot be created (" + e + ")");
        }
        Path probe = dir.resolve(".write-probe");
        try {
            Files.deleteIfExists(probe);
            Files.write(probe, new byte[] {1});
            Files.delete(probe);
            return Optional.empty();
        } catch (NotDirectoryException e) {
            return Optional.of("is not a directory");
        } catch (IOException | RuntimeException e) {
            return Optional.of("is not writable (" + e + ")");
        }
    }

    /**
     * Opens the buffer in {@code dir} (created if missing): removes what an interrupted stop left half-written, reads
     * every segment once to count and check its records, and continues from the last acknowledged position.
     */
    public static DiskBuffer open(Path dir, long maxBytes, Listener listener) throws IOException {
        return open(dir, maxBytes, segmentBytesFor(maxBytes), listener);
    }

    static DiskBuffer open(Path dir, long maxBytes, long segmentBytes, Listener listener) throws IOException {
        Files.createDirectories(dir);
        DiskBuffer buffer = new DiskBuffer(dir, maxBytes, segmentBytes, listener);
        buffer.lock();
        try {
            buffer.load();
        } catch (IOException | RuntimeException e) {
            buffer.unlock();
            throw e;
        }
        return buffer;
    }

    private void lock() throws IOException {
        lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            unlock();
            throw new IOException(dir + " is in use by another agent (or another sink): each needs a directory of its "
                    + "own");
        }
    }

    private void unlock() {
        if (lockChannel != null) {
            try {
                lockChannel.close(); // releases the lock
            } catch (IOException e) {
                // nothing held any more
            }
            lockChannel = null;
        }
    }

    void writeHook(WriteHook hook) {
        this.writeHook = hook;
    }

    public Path dir() {
        return dir;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Bytes of the segment files: what {@code max-bytes} bounds. */
    public long bytes() {
        return bytes;
    }

    /** Records written and not yet read back. */
    public long unreadItems() {
        return unreadItems;
    }

    // ------------------------------------------------------------------ open

    private void load() throws IOException {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(".tmp")) {
                    stale.add(file);
                } else if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                    try {
                        long sequence = Long.parseLong(name.substring(PREFIX.length(),
                                name.length() - SUFFIX.length()));
                        segments.put(sequence, new Segment(sequence, file));
                        lastSequence = Math.max(lastSequence, sequence);
                    } catch (NumberFormatException e) {
                        // not ours
                    }
                }
            }
        }
        for (Path file : stale) {
            Files.deleteIfExists(file); // a rewrite interrupted before its rename: the original is intact
        }
        Position cursor = readCursor();
        for (Segment segment : new ArrayList<>(segments.values())) {
            if (cursor != null && segment.sequence < cursor.segment()) {
                // Acknowledged to its end before the cursor moved on; its delete did not happen (a crash).
                deleteQuietly(segment.path);
                segments.remove(segment.sequence);
                continue;
            }
            if (!scan(segment, cursor)) {
                segments.remove(segment.sequence);
            }
        }
        if (cursor != null) {
            acked = cursor;
            lastSequence = Math.max(lastSequence, cursor.segment());
        }
        long total = 0;
        long unread = 0;
        for (Segment segment : segments.values()) {
            total += segment.fileBytes;
            unread += segment.items - segment.itemsRead;
        }
        bytes = total;
        unreadItems = unread;
    }

    /** Counts and checks a segment's records; false when it is not to be used (deleted or another version). */
    private boolean scan(Segment segment, Position cursor) throws IOException {
        try (FileChannel channel = FileChannel.open(segment.path, StandardOpenOption.READ)) {
            long length = channel.size();
            segment.fileBytes = length;
            if (length == 0) {
                deleteQuietly(segment.path); // created, then the process stopped before the header was written
                return false;
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            readFully(channel, header, 0);
            header.flip();
            if (header.remaining() < HEADER_BYTES || !magic(header)) {
                listener.corrupt(segment.path, 0, length, "not a disk buffer segment (bad header)");
                deleteQuietly(segment.path);
                return false;
            }
            int version = header.get(4) & 0xFF;
            if (version != FORMAT_VERSION) {
                listener.refused(segment.path, "written in format version " + version + ", this agent reads version "
                        + FORMAT_VERSION + "; left in place, not read");
                return false;
            }
            long offset = HEADER_BYTES;
            long items = 0;
            boolean cursorHere = cursor != null && cursor.segment() == segment.sequence;
            long readOffset = HEADER_BYTES;
            long itemsRead = 0;
            while (offset < length) {
                String problem = check(channel, offset, length);
                if (problem != null) {
                    listener.corrupt(segment.path, offset, length - offset, problem);
                    break;
                }
                offset += RECORD_HEADER_BYTES + readBuffer.limit();
                items++;
                if (cursorHere && offset <= cursor.offset()) {
                    readOffset = offset;
                    itemsRead = items;
                }
            }
            segment.size = offset;
            segment.items = items;
            if (cursorHere && readOffset == cursor.offset()) {
                segment.readOffset = readOffset;
                segment.itemsRead = itemsRead;
            }
            return true;
        }
    }

    private static boolean magic(ByteBuffer header) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (header.get(i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the record at {@code offset} into {@link #readBuffer} (the payload, flipped) and checks it; returns why it
     * is bad, or null.
     */
    private String check(FileChannel channel, long offset, long length) throws IOException {
        if (length - offset < RECORD_HEADER_BYTES) {
            return "record header cut short (" + (length - offset) + " bytes; the writer stopped mid-record)";
        }
        ByteBuffer head = recordHead.clear();
        readFully(channel, head, offset);
        int payload = head.getInt(0);
        int expected = head.getInt(4);
        if (payload <= 9 || payload > length - offset - RECORD_HEADER_BYTES) {
            return payload > 9 && payload <= maxBytes
                    ? "record cut short (" + payload + " bytes announced, " + (length - offset - RECORD_HEADER_BYTES)
                    + " present; the writer stopped mid-record)"
                    : "bad record length " + payload;
        }
        if (readBuffer.capacity() < payload) {
            readBuffer = ByteBuffer.allocate(Math.max(payload, readBuffer.capacity() * 2));
        }
        readBuffer.clear().limit(payload);
        readFully(channel, readBuffer, offset + RECORD_HEADER_BYTES);
        readBuffer.flip();
        crc.reset();
        crc.update(readBuffer.array(), 0, payload);
        if ((int) crc.getValue() != expected) {
            return "CRC mismatch";
        }
        return null;
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                return;
            }
            at += n;
        }
    }

    private Position readCursor() {
        Path file = dir.resolve(CURSOR);
        try {
            byte[] raw = Files.readAllBytes(file);
            if (raw.length != CURSOR_BYTES) {
                return null;
            }
            ByteBuffer in = ByteBuffer.wrap(raw);
            long segment = in.getLong();
            long offset = in.getLong();
            crc.reset();
            crc.update(raw, 0, 16);
            return (int) crc.getValue() == in.getInt() ? new Position(segment, offset) : null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            listener.ioFailure("reading " + file, e);
            return null;
        }
    }

    private void writeCursor(Position position) {
        Path file = dir.resolve(CURSOR);
        ByteBuffer out = ByteBuffer.allocate(CURSOR_BYTES);
        out.putLong(position.segment()).putLong(position.offset());
        crc.reset();
        crc.update(out.array(), 0, 16);
        out.putInt((int) crc.getValue());
        out.flip();
        // 20 bytes at offset 0: one write within one sector; a torn one fails its CRC and is ignored.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            while (out.hasRemaining()) {
                channel.write(out, out.position());
            }
        } catch (IOException e) {
            listener.ioFailure("writing " + file, e);
        }
    }

    // ------------------------------------------------------------------ write

    /**
     * Appends signals in order. Kinds without a codec, records larger than half of {@code max-bytes}, and what the
     * file system refuses even after the oldest segment was dropped are not written.
     *
     * @return the items that were not written (empty when all were), in order
     */
    public List<Pending> append(List<Pending> items) {
        if (closed) {
            return items;
        }
        List<Pending> refused = new ArrayList<>(0);
        List<Pending> inChunk = new ArrayList<>();
        chunk.reset();
        for (Pending item : items) {
            if (!storable(item.signal())) {
                refused.add(item);
                continue;
            }
            int start = chunk.length();
            encode(item);
            int recordBytes = chunk.length() - start;
            if (recordBytes > maxBytes / 2) {
                chunk.position(start); // too large for this buffer
                refused.add(item);
                continue;
            }
            if (!inChunk.isEmpty() && start + recordBytes > chunkLimit()) {
                // Write what came before; this record starts the next chunk.
                byte[] record = java.util.Arrays.copyOfRange(chunk.array(), start, start + recordBytes);
                chunk.position(start);
                if (!flush(inChunk.size())) {
                    refused.addAll(inChunk);
                }
                inChunk.clear();
                chunk.reset();
                chunk.raw(record, 0, record.length);
            }
            inChunk.add(item);
        }
        if (!inChunk.isEmpty() && !flush(inChunk.size())) {
            refused.addAll(inChunk);
        }
        chunk.shrink(CHUNK_BYTES);
        return refused;
    }

    /** How large the chunk may grow: what the current segment has room for, within the chunk size. */
    private long chunkLimit() {
        long room = writing == null || writing.size >= segmentBytes ? segmentBytes - HEADER_BYTES
                : segmentBytes - writing.size;
        return Math.min(Math.min(CHUNK_BYTES, maxBytes / 2), Math.max(room, RECORD_HEADER_BYTES));
    }

    private void encode(Pending item) {
        int start = chunk.length();
        chunk.fixed32(0);
        chunk.fixed32(0);
        chunk.b(KIND_LOG);
        chunk.fixed64(item.enqueuedAtMillis());
        LogRecordCodec.encode((LogRecord) item.signal(), chunk);
        int end = chunk.length();
        int payload = end - start - RECORD_HEADER_BYTES;
        crc.reset();
        crc.update(chunk.array(), start + RECORD_HEADER_BYTES, payload);
        chunk.position(start);
        chunk.fixed32(payload);
        chunk.fixed32((int) crc.getValue());
        chunk.position(end);
    }

    /** Writes the chunk ({@code items} records) to the end of the buffer; false when it could not be written. */
    private boolean flush(int items) {
        long length = chunk.length();
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                if (writing != null && writing.size > HEADER_BYTES && writing.size + length > segmentBytes) {
                    seal();
                }
                while (bytes + length + (writing == null ? HEADER_BYTES : 0) > maxBytes && !segments.isEmpty()) {
                    dropOldest("max-bytes (" + maxBytes + ") reached");
                }
                if (writing == null) {
                    startSegment();
                }
                writeHook.beforeWrite(length);
                ByteBuffer out = ByteBuffer.wrap(chunk.array(), 0, (int) length);
                long at = writing.size;
                while (out.hasRemaining()) {
                    at += writeChannel.write(out, at);
                }
                writing.size += length;
                writing.fileBytes = writing.size;
                writing.items += items;
                bytes += length;
                unreadItems += items;
                return true;
            } catch (IOException e) {
                listener.ioFailure("writing to " + (writing == null ? dir : writing.path), e);
                undoPartialWrite();
                if (segments.isEmpty()) {
                    return false;
                }
                // No space (or a failing volume): the oldest data goes, as when max-bytes is reached.
                dropOldest("the file system refused a write (" + e.getMessage() + ")");
            }
        }
        return false;
    }

    /** After a failed write: cut the file back to its last whole record, or stop writing to it. */
    private void undoPartialWrite() {
        if (writing == null) {
            return;
        }
        try {
            writeChannel.truncate(writing.size);
        } catch (IOException e) {
            // The reader stops at writing.size anyway; the next write goes to a new segment.
            closeWriter();
        }
    }

    private void startSegment() throws IOException {
        long sequence = Math.max(lastSequence, acked.segment()) + 1;
        lastSequence = sequence;
        Path path = dir.resolve(String.format("%s%019d%s", PREFIX, sequence, SUFFIX));
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            header.put(MAGIC).put((byte) FORMAT_VERSION).put(new byte[3]).flip();
            writeHook.beforeWrite(HEADER_BYTES);
            while (header.hasRemaining()) {
                channel.write(header, header.position());
            }
        } catch (IOException e) {
            channel.close();
            deleteQuietly(path);
            throw e;
        }
        Segment segment = new Segment(sequence, path);
        segment.size = HEADER_BYTES;
        segment.fileBytes = HEADER_BYTES;
        segments.put(sequence, segment);
        bytes += HEADER_BYTES;
        writing = segment;
        writeChannel = channel;
    }

    /** Ends writing to the current segment: later appends start a new one. */
    private void seal() {
        if (writeChannel != null) {
            try {
                writeChannel.force(false);
            } catch (IOException e) {
                listener.ioFailure("syncing " + writing.path, e);
            }
        }
        closeWriter();
    }

    private void closeWriter() {
        if (writeChannel != null) {
            try {
                writeChannel.close();
            } catch (IOException e) {
                // nothing more to lose
            }
        }
        writeChannel = null;
        writing = null;
    }

    private void dropOldest(String why) {
        Segment oldest = segments.firstEntry().getValue();
        if (oldest == writing) {
            closeWriter();
        }
        if (oldest == reading) {
            closeReader();
        }
        segments.remove(oldest.sequence);
        long unread = oldest.items - oldest.itemsRead;
        long unreadBytes = Math.max(0, oldest.size - oldest.readOffset);
        bytes -= oldest.fileBytes;
        unreadItems -= unread;
        deleteQuietly(oldest.path);
        listener.droppedOldest(oldest.path, unread, unreadBytes, why);
    }

    private void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            listener.ioFailure("deleting " + path, e);
        }
    }

    // ------------------------------------------------------------------ read

    /**
     * Reads the oldest unread records, at least one when there is one, until their estimated heap reaches
     * {@code maxHeapBytes} or there are {@code maxItems}.
     */
    public List<Stored> read(long maxHeapBytes, int maxItems) {
        List<Stored> out = new ArrayList<>();
        if (closed) {
            return out;
        }
        long heap = 0;
        while (out.size() < maxItems && (out.isEmpty() || heap < maxHeapBytes)) {
            Segment segment = firstUnread();
            if (segment == null) {
                break;
            }
            Stored stored = readOne(segment);
            if (stored != null) {
                out.add(stored);
                heap += stored.signal().estimatedBytes();
            }
        }
        return out;
    }

    private Segment firstUnread() {
        for (Segment segment : segments.values()) {
            if (segment.readOffset < segment.size) {
                return segment;
            }
        }
        return null;
    }

    /** The record at the segment's read position, or null (and the rest of the segment skipped) when it is bad. */
    private Stored readOne(Segment segment) {
        long offset = segment.readOffset;
        String problem;
        try {
            if (reading != segment) {
                closeReader();
                readChannel = FileChannel.open(segment.path, StandardOpenOption.READ);
                reading = segment;
            }
            problem = check(readChannel, offset, segment.size);
        } catch (IOException e) {
            problem = "read failed: " + e;
        }
        if (problem == null) {
            try {
                int payload = readBuffer.limit();
                byte kind = readBuffer.get();
                if (kind != KIND_LOG) {
                    throw new IllegalArgumentException("unknown signal kind " + kind);
                }
                long enqueuedAt = readBuffer.getLong();
                LogRecord record = LogRecordCodec.decode(readBuffer);
                segment.readOffset = offset + RECORD_HEADER_BYTES + payload;
                segment.itemsRead++;
                unreadItems--;
                shrinkReadBuffer();
                return new Stored(record, enqueuedAt, new Position(segment.sequence, segment.readOffset));
            } catch (RuntimeException e) {
                problem = "undecodable record: " + e.getMessage();
            }
        }
        long lost = segment.items - segment.itemsRead;
        listener.corrupt(segment.path, offset, segment.size - offset, problem);
        segment.readOffset = segment.size;
        segment.itemsRead = segment.items;
        unreadItems -= lost;
        return null;
    }

    private void shrinkReadBuffer() {
        if (readBuffer.capacity() > CHUNK_BYTES) {
            readBuffer = ByteBuffer.allocate(4096); // one large record does not keep its buffer
        }
    }

    private void closeReader() {
        if (readChannel != null) {
            try {
                readChannel.close();
            } catch (IOException e) {
                // read only
            }
        }
        readChannel = null;
        reading = null;
    }

    /**
     * Everything up to {@code position} is sent or dropped for good: segments read and acknowledged to their end are
     * deleted, and the position is kept for a restart after a crash.
     */
    public void ack(Position position) {
        if (closed || position.compareTo(acked) <= 0) {
            return;
        }
        acked = position;
        for (Segment segment : new ArrayList<>(segments.values())) {
            boolean before = segment.sequence < position.segment()
                    || (segment.sequence == position.segment() && position.offset() >= segment.size);
            if (!before || segment == writing || segment.readOffset < segment.size) {
                break;
            }
            if (segment == reading) {
                closeReader();
            }
            segments.remove(segment.sequence);
            bytes -= segment.fileBytes;
            deleteQuietly(segment.path); // before the cursor moves: a crash in between reads nothing twice
        }
        writeCursor(position);
    }

    // ------------------------------------------------------------------ stop

    /**
     * At a stop: writes {@code before} (what the memory queue held that is older than anything unread on disk:
     * batches being retried or sent, records read back) ahead of the unread records, and {@code after} (the memory
     * queue, newer than all of it) behind them; then syncs and closes. Records read and not acknowledged are in
     * {@code before}, so none is read twice at the next start.
     *
     * @return the items that were not written, {@code before}'s first
     */
    public List<Pending> persist(List<Pending> before, List<Pending> after) {
        if (closed) {
            List<Pending> all = new ArrayList<>(before);
            all.addAll(after);
            return all;
        }
        List<Pending> refused = new ArrayList<>(before.stream().filter(p -> !storable(p.signal())).toList());
        List<Pending> head = before.stream().filter(p -> storable(p.signal())).toList();
        if (!head.isEmpty()) {
            refused.addAll(rewriteHead(head));
        } else {
            Segment first = firstUnread();
            if (first != null) {
                ack(new Position(first.sequence, first.readOffset));
            } else if (writing != null) {
                ack(new Position(writing.sequence, writing.size));
            }
        }
        refused.addAll(append(after));
        close();
        return refused;
    }

    /** Puts {@code head} in front of the unread records, in a segment that replaces the first one holding them. */
    private List<Pending> rewriteHead(List<Pending> head) {
        Segment first = firstUnread();
        if (first == null) {
            // Nothing unread: what was read (and is in head) can go, and head starts a new segment.
            seal();
            dropRead(Long.MAX_VALUE);
            return append(head);
        }
        closeReader();
        if (first == writing) {
            seal();
        }
        Path tmp = first.path.resolveSibling(first.path.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            chunk.reset();
            chunk.raw(MAGIC, 0, MAGIC.length);
            chunk.b(FORMAT_VERSION);
            chunk.raw(new byte[3], 0, 3);
            for (Pending item : head) {
                encode(item);
            }
            writeHook.beforeWrite(chunk.length());
            ByteBuffer buffer = ByteBuffer.wrap(chunk.array(), 0, chunk.length());
            long at = 0;
            while (buffer.hasRemaining()) {
                at += out.write(buffer, at);
            }
            try (FileChannel in = FileChannel.open(first.path, StandardOpenOption.READ)) {
                long from = first.readOffset;
                out.position(at); // transferTo writes at the target's position
                while (from < first.size) {
                    long n = in.transferTo(from, first.size - from, out);
                    if (n <= 0) {
                        throw new IOException("copying " + first.path + " stopped at " + from);
                    }
                    from += n;
                    at += n;
                }
            }
            out.force(true);
            long newSize = at;
            chunk.shrink(CHUNK_BYTES);
            Files.move(tmp, first.path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            bytes += newSize - first.fileBytes;
            unreadItems += head.size();
            first.items = head.size() + (first.items - first.itemsRead);
            first.itemsRead = 0;
            first.size = newSize;
            first.fileBytes = newSize;
            first.readOffset = HEADER_BYTES;
        } catch (IOException e) {
            chunk.shrink(CHUNK_BYTES);
            listener.ioFailure("writing " + tmp, e);
            deleteQuietly(tmp);
            return head;
        }
        dropRead(first.sequence);
        deleteQuietly(dir.resolve(CURSOR)); // the rewritten segment is read from its start
        acked = new Position(-1, 0);
        while (bytes > maxBytes && segments.size() > 1) {
            dropOldest("max-bytes (" + maxBytes + ") reached");
        }
        return List.of();
    }

    /** Deletes the segments before {@code sequence}: every record of them was read, and is in memory or sent. */
    private void dropRead(long sequence) {
        for (Segment segment : new ArrayList<>(segments.headMap(sequence).values())) {
            if (segment == writing) {
                closeWriter();
            }
            segments.remove(segment.sequence);
            bytes -= segment.fileBytes;
            deleteQuietly(segment.path);
        }
    }

    /** Syncs and closes; every later call does nothing (append and persist refuse everything). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        seal();
        closeReader();
        unlock();
        closed = true;
    }
}
