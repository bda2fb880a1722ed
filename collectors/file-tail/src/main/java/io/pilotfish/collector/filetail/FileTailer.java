package io.pilotfish.collector.filetail;

import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.processing.logs.LogProcessingOptions;
import io.pilotfish.processing.logs.LogProcessor;
import io.pilotfish.processing.logs.LogRules;
import io.pilotfish.processing.logs.MultiLineSettings;
import io.pilotfish.spi.signal.LogRecord;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Follows the files of {@link FileTailConfig#paths} on one thread of its own: every poll it expands the globs, reads
 * what each followed file gained since the last poll, and hands its complete lines to the log processing (each file
 * is a stream: stack traces and {@code multi_line} messages joined, then the rules). A line still being written stays
 * in the file and is read whole at a later poll; a message being joined waits in the processor (bounded) until its
 * next line, its flush timeout or the stop.
 * <ul>
 *   <li><b>Rotation by rename</b>: a file is followed by its identity (device and inode), through the channel opened
 *       on it. When its path shows another file, the old one is read to its end, its last line included, and closed;
 *       the new file is read from its start.</li>
 *   <li><b>Copy-truncate</b>: a followed file shorter than the position reached was truncated; it is read again from
 *       its start.</li>
 *   <li><b>Where to start</b>: at the position kept for the file; at the end of a file that existed before the first
 *       run (no positions kept yet), as the Datadog Agent starts; at the start of any other file.</li>
 *   <li><b>Long lines</b>: cut at {@code max-line-bytes} with the Agent's {@value #TRUNCATED} marker, counted; the rest
 *       of the line is skipped.</li>
 * </ul>
 */
final class FileTailer implements Receiver {

    /** What the Datadog Agent appends to a line it cut. */
    static final String TRUNCATED = "...TRUNCATED...";
    /** A byte array read as longs, for {@link #indexOfNewline}. */
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final byte[] TRUNCATED_BYTES = TRUNCATED.getBytes(StandardCharsets.UTF_8);
    /** Bytes read from one file in one poll at most, so that one busy file does not starve the others. */
    static final long MAX_BYTES_PER_FILE_PER_POLL = 8L * 1024 * 1024;
    /** Lines emitted between two waits for the sinks' room. */
    private static final int LINES_PER_SLICE = 500;
    private static final int LINES_PER_HAND_OVER = 128;
    private static final Duration MAX_WAIT_FOR_ROOM = Duration.ofSeconds(2);
    private static final long WARN_EVERY_MILLIS = 60_000;

    private final FileTailConfig config;
    private final PluginContext context;
    private final List<Glob> globs = new ArrayList<>();
    private final Checkpoints checkpoints;
    private final byte[] buffer;
    /** By file identity. Only the tailer's thread touches it (and stop(), once that thread has ended). */
    private final Map<String, Followed> followed = new LinkedHashMap<>();

    private final SelfTelemetry.Counter linesRead;
    private final SelfTelemetry.Counter bytesRead;
    private final SelfTelemetry.Counter linesCut;
    private final SelfTelemetry.Counter rotated;
    private final SelfTelemetry.Counter truncated;
    private final SelfTelemetry.Counter overLimit;
    private final SelfTelemetry.Counter readErrors;
    private final SelfTelemetry.Counter checkpointErrors;

    /** Joins each file's lines into messages and runs the rules (its own thread, or stop's). */
    private final LogProcessor processor;
    private final LogRules rules;
    private final MultiLineSettings multiLine;
    /** The file whose lines are being read: the stream they are joined in. */
    private String stream = "";

    private volatile boolean running;
    private Thread thread;
    private Emitter emitter;
    private boolean firstPoll = true;
    private long lastWarnMillis = Long.MIN_VALUE / 2;
    private int sinceWait;
    /** Messages not yet handed to the sinks (the tailer's thread, or stop's once it has ended). */
    private final List<LogRecord> outgoing = new ArrayList<>(LINES_PER_HAND_OVER);
    private Map<String, Checkpoints.Position> saved = Map.of();

    /** One glob: the directory to walk (its part before any wildcard) and how deep. */
    private record Glob(String pattern, Path root, int depth, PathMatcher matcher) {
    }

    private static final class Followed {
        final String key;
        final FileChannel channel;
        Path path;
        long offset;
        boolean skipping;
        boolean seen;

        Followed(String key, FileChannel channel, Path path, long offset) {
            this.key = key;
            this.channel = channel;
            this.path = path;
            this.offset = offset;
        }
    }

    FileTailer(FileTailConfig config, PluginContext context) {
        this.config = config;
        this.context = context;
        for (String pattern : config.paths()) {
            globs.add(glob(pattern));
        }
        this.checkpoints = new Checkpoints(config.checkpointDir(), context.instanceName());
        this.buffer = new byte[FileTailFactory.READ_CHUNK_BYTES + config.maxLineBytes()];
        SelfTelemetry t = context.telemetry();
        linesRead = t.counter("lines.read");
        bytesRead = t.counter("bytes.read");
        linesCut = t.counter("lines.truncated");
        rotated = t.counter("files.rotated");
        truncated = t.counter("files.truncated");
        overLimit = t.counter("files.over_limit");
        readErrors = t.counter("errors", "reason:read");
        checkpointErrors = t.counter("errors", "reason:checkpoint");
        t.gauge("files.followed", () -> followed.size());
        boolean agentAuto = LogProcessingOptions.agentAutoMultiLine(context.agent());
        this.rules = config.processing().logRules();
        this.multiLine = config.processing().multiLine(agentAuto);
        this.processor = new LogProcessor(LogProcessingOptions.globalRules(context.agent()),
                FileTailFactory.MAX_PENDING_BYTES, t, this::send);
    }

    static Glob glob(String pattern) {
        String[] parts = pattern.split("/");
        StringBuilder root = new StringBuilder();
        int i = 1; // parts[0] is "" (absolute)
        for (; i < parts.length; i++) {
            if (parts[i].chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) {
                break;
            }
            root.append('/').append(parts[i]);
        }
        int depth = pattern.contains("**") ? 16 : Math.max(0, parts.length - i);
        Path rootPath = Path.of(root.isEmpty() ? "/" : root.toString());
        if (i == parts.length) {
            // No wildcard: the pattern is one file; walk its directory one level.
            rootPath = rootPath.getParent() == null ? rootPath : rootPath.getParent();
            depth = 1;
        }
        return new Glob(pattern, rootPath, depth, FileSystems.getDefault().getPathMatcher("glob:" + pattern));
    }

    @Override
    public CompletionStage<Void> start(Emitter emitter) {
        prepare(emitter);
        running = true;
        thread = new Thread(this::loop, "pilotfish-file-tail-" + context.instanceName());
        thread.setDaemon(true);
        thread.start();
        return CompletableFuture.completedFuture(null);
    }

    /** Takes the emitter and the kept positions; polls are then made by the thread, or by a test one by one. */
    void prepare(Emitter emitter) {
        this.emitter = emitter;
        try {
            checkpoints.load();
        } catch (IOException e) {
            checkpointErrors.increment();
            context.log().warn("checkpoint_unreadable", "cannot read the file positions (" + e.getMessage()
                    + "); starting as on a first run: at the end of the files that exist");
        }
    }

    private void loop() {
        long sleepMillis = Math.max(10, config.pollInterval().toMillis());
        while (running) {
            boolean behind = false;
            try {
                behind = pollOnce();
                processor.flushIdle(System.nanoTime());
                handOver();
            } catch (RuntimeException e) {
                readErrors.increment();
                warn("poll_failed", "a poll of the files failed: " + e);
            }
            if (behind) {
                continue; // a file has more than one poll's share waiting: read on now, not a poll-interval later
            }
            try {
                TimeUnit.MILLISECONDS.sleep(sleepMillis);
            } catch (InterruptedException e) {
                return; // stop() interrupts the sleep only; it then reads what is left itself
            }
        }
    }

    @Override
    public CompletionStage<Void> stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (emitter != null && (t == null || !t.isAlive())) {
            // What the app wrote up to now, then the positions, so that the next start takes up from here.
            pollOnce();
            processor.flushAll();
            handOver();
        }
        closeAll();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t == null || !t.isAlive()) {
            closeAll();
        }
    }

    /**
     * One round: find the files, read each, forget those rotated away once read to their end, keep the positions.
     *
     * @return whether a file stopped at its share of a poll ({@link #MAX_BYTES_PER_FILE_PER_POLL}) with more to read
     */
    boolean pollOnce() {
        boolean behind = false;
        Map<String, Path> present = expand();
        for (Followed f : followed.values()) {
            f.seen = false;
        }
        for (Map.Entry<String, Path> e : present.entrySet()) {
            Followed f = followed.get(e.getKey());
            if (f != null) {
                f.seen = true;
                f.path = e.getValue();
            } else if (followed.size() < config.maxFiles()) {
                follow(e.getKey(), e.getValue());
            } else {
                overLimit.increment();
                warn("too_many_files", "following " + config.maxFiles() + " files already (max-files); "
                        + e.getValue() + " is left");
            }
        }
        firstPoll = false;
        Iterator<Followed> it = followed.values().iterator();
        while (it.hasNext()) {
            Followed f = it.next();
            try {
                if (f.seen && f.channel.size() < f.offset) {
                    truncated.increment();
                    f.offset = 0;
                    f.skipping = false;
                }
                if (read(f, !f.seen)) {
                    behind = true;
                    continue; // rotated away or not, a file is let go only once read to its end
                }
            } catch (IOException e) {
                readErrors.increment();
                warn("read_failed", "cannot read " + f.path + ": " + e.getMessage());
            }
            if (!f.seen) {
                rotated.increment();
                closeQuietly(f.channel);
                it.remove();
            }
        }
        handOver();
        saveCheckpoints();
        return behind;
    }

    private void follow(String key, Path path) {
        FileChannel channel;
        long size;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            size = channel.size();
        } catch (IOException e) {
            readErrors.increment();
            warn("open_failed", "cannot open " + path + ": " + e.getMessage());
            return;
        }
        long offset;
        var kept = checkpoints.position(key);
        if (kept.isPresent()) {
            offset = kept.get().offset() <= size ? kept.get().offset() : 0;
        } else if (firstPoll && !checkpoints.earlierRun()) {
            offset = size; // existed before the first run: start at its end, as the Agent does
        } else {
            offset = 0; // appeared since: every line of it is new
        }
        Followed f = new Followed(key, channel, path, offset);
        f.seen = true;
        followed.put(key, f);
    }

    /** The files the globs match now, by identity. */
    private Map<String, Path> expand() {
        Map<String, Path> found = new LinkedHashMap<>();
        for (Glob g : globs) {
            if (!Files.isDirectory(g.root())) {
                continue;
            }
            try (Stream<Path> paths = Files.find(g.root(), g.depth(),
                    (p, attributes) -> attributes.isRegularFile() && g.matcher().matches(p))) {
                paths.forEach(p -> {
                    try {
                        BasicFileAttributes attributes = Files.readAttributes(p, BasicFileAttributes.class);
                        Object fileKey = attributes.fileKey();
                        found.putIfAbsent(fileKey == null ? p.toString() : fileKey.toString(), p);
                    } catch (IOException e) {
                        // gone between the walk and the look: the next poll sees what is there
                    }
                });
            } catch (IOException | java.io.UncheckedIOException e) {
                readErrors.increment();
                warn("walk_failed", "cannot list " + g.root() + " for " + g.pattern() + ": " + e.getMessage());
            }
        }
        return found;
    }

    /**
     * Emits the complete lines from the file's position on; with {@code toTheEnd} (a file rotated away), the last
     * line too, newline or not.
     *
     * @return true when it stopped at {@link #MAX_BYTES_PER_FILE_PER_POLL} with the file not read to its end
     */
    private boolean read(Followed f, boolean toTheEnd) throws IOException {
        stream = f.key;
        long readThisPoll = 0;
        while (readThisPoll < MAX_BYTES_PER_FILE_PER_POLL) {
            int filled = fill(f.channel, f.offset);
            if (filled == 0) {
                return false;
            }
            readThisPoll += filled;
            int start = 0;
            for (int end = indexOfNewline(buffer, 0, filled); end >= 0;
                    end = indexOfNewline(buffer, start, filled)) {
                if (f.skipping) {
                    f.skipping = false;
                } else {
                    line(start, end);
                }
                start = end + 1;
            }
            boolean full = filled == buffer.length;
            if (start == 0 && full) {
                // No newline in a whole buffer: a line longer than max-line-bytes. Cut it, skip its rest.
                if (!f.skipping) {
                    line(0, filled);
                    f.skipping = true;
                }
                start = filled;
            } else if (!full && toTheEnd && start < filled) {
                if (!f.skipping) {
                    line(start, filled); // the last line of a file that will not grow any more
                }
                f.skipping = false;
                start = filled;
            }
            f.offset += start;
            bytesRead.add(start);
            if (!full) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the first newline of {@code bytes[from, to)} is, or -1. Eight bytes at a time: the scan for newlines was a
     * fifth of the agent's CPU when tailing a busy file. A byte of {@code x = word ^ 0x0A..0A} is zero where the word
     * has a newline; {@code (x - 0x01..01) & ~x & 0x80..80} sets the top bit of the lowest such byte (bytes above it
     * may be marked too, so only the lowest counts).
     */
    static int indexOfNewline(byte[] bytes, int from, int to) {
        int i = from;
        for (; i <= to - Long.BYTES; i += Long.BYTES) {
            long x = (long) WORDS.get(bytes, i) ^ NEWLINES;
            long marked = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
            if (marked != 0) {
                return i + (Long.numberOfTrailingZeros(marked) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private int fill(FileChannel channel, long position) throws IOException {
        ByteBuffer target = ByteBuffer.wrap(buffer);
        while (target.hasRemaining()) {
            int n = channel.read(target, position + target.position());
            if (n <= 0) {
                break;
            }
        }
        return target.position();
    }

    /** One line, {@code buffer[from, to)} without its newline; a trailing CR is dropped. */
    private void line(int from, int to) {
        if (to > from && buffer[to - 1] == '\r') {
            to--;
        }
        byte[] message;
        int length = to - from;
        if (length > config.maxLineBytes()) {
            int cut = utf8Boundary(from, from + config.maxLineBytes());
            message = new byte[cut - from + TRUNCATED_BYTES.length];
            System.arraycopy(buffer, from, message, 0, cut - from);
            System.arraycopy(TRUNCATED_BYTES, 0, message, cut - from, TRUNCATED_BYTES.length);
            linesCut.increment();
        } else {
            message = Arrays.copyOfRange(buffer, from, to);
        }
        message = validUtf8(message);
        linesRead.increment();
        processor.accept(stream, new LogRecord(message, context.clock().millis(), "", config.service(),
                config.source(), "", config.tags(), null), rules, multiLine);
    }

    /**
     * A finished message, handed to the sinks with the others of its group ({@value #LINES_PER_HAND_OVER} at a time:
     * one hand-over, not one per line), with a wait for their room every {@value #LINES_PER_SLICE}.
     */
    private void send(LogRecord record) {
        outgoing.add(record);
        if (outgoing.size() >= LINES_PER_HAND_OVER) {
            handOver();
        }
    }

    /** Hands what was read to the sinks; before the positions are kept, so a kept position is never ahead of them. */
    private void handOver() {
        if (outgoing.isEmpty()) {
            return;
        }
        emitter.emitAll(outgoing);
        sinceWait += outgoing.size();
        outgoing.clear();
        if (sinceWait >= LINES_PER_SLICE) {
            sinceWait = 0;
            emitter.awaitCapacity(MAX_WAIT_FOR_ROOM);
        }
    }

    /** The largest index ≤ {@code limit} that does not split a UTF-8 sequence. */
    private int utf8Boundary(int from, int limit) {
        int i = limit;
        while (i > from && (buffer[i] & 0xC0) == 0x80) {
            i--;
        }
        return i;
    }

    /** Invalid UTF-8 (a binary file, a cut write) becomes U+FFFD, as the intake needs valid text. */
    private static byte[] validUtf8(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return new String(bytes, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
            }
        }
        return bytes;
    }

    private void saveCheckpoints() {
        if (!checkpoints.persistent()) {
            return;
        }
        Map<String, Checkpoints.Position> now = new LinkedHashMap<>();
        for (Followed f : followed.values()) {
            now.put(f.key, new Checkpoints.Position(f.offset, f.path.toString()));
        }
        if (now.equals(saved)) {
            return; // nothing moved: no write every poll of an idle task
        }
        try {
            checkpoints.save(now);
            saved = now;
        } catch (IOException e) {
            checkpointErrors.increment();
            warn("checkpoint_failed", "cannot keep the file positions in " + config.checkpointDir().orElseThrow()
                    + " (" + e.getMessage() + "); tailing goes on, but a restart would start at the files' ends");
        }
    }

    private void warn(String kind, String message) {
        long now = context.clock().millis();
        if (now - lastWarnMillis >= WARN_EVERY_MILLIS) {
            lastWarnMillis = now;
            context.log().warn(kind, message);
        }
    }

    private void closeAll() {
        for (Followed f : followed.values()) {
            closeQuietly(f.channel);
        }
        followed.clear();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to do: the file is no longer followed
        }
    }

    @Override
    public String toString() {
        return "FileTailer[" + config.paths() + "]";
    }
}
