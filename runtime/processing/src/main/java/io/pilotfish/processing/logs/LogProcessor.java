package io.pilotfish.processing.logs;

import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Utf8;
import io.pilotfish.spi.signal.LogRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A collector's whole log chain, in the Agent's order: lines of each stream are joined into messages (its decoder's
 * multi-line handling, see {@link MultiLineSettings}), the rules run on each message (its processor: the global
 * rules, then the stream's), a JSON message is lifted into attributes ({@link JsonLines}), and the record goes to
 * {@code out}.
 *
 * <p>Thread-safe: a stream's state is locked while one of its lines is handled, so lines of different streams may
 * come from different threads; a stream's messages reach {@code out} in its lines' order, from the thread that
 * handed in the line that completed them (or from {@link #flushIdle}'s, {@link #flushAll}'s). {@code out} must not
 * throw and should not block for long.
 *
 * <p>Bounded: pending messages of all streams hold at most about {@code maxPendingBytes} (past it the largest is
 * sent early, whole so far; nothing is dropped), a message at most {@link MultiLineSettings#maxBytes()} (past it it
 * is cut and marked {@code ...TRUNCATED...}, the rest following in the next message, marked at its start, as the
 * Agent does), and at most {@value #MAX_STREAMS} streams are remembered (one idle past its flush timeout with
 * nothing pending is forgotten; when all are busy, the least recently fed is flushed and forgotten).
 */
public final class LogProcessor implements AutoCloseable {

    /** Streams remembered at once. */
    public static final int MAX_STREAMS = 4096;
    /** What the Agent puts between the lines of one message: an escaped line feed, the two bytes {@code \n}. */
    static final byte[] LINE_SEPARATOR = {'\\', 'n'};
    /** The Agent's marker at the end of a cut message and at the start of its remainder. */
    static final byte[] TRUNCATED = "...TRUNCATED...".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HELD_BLANKS = 2;

    private final LogRules globalRules;
    private final long maxPendingBytes;
    private final SelfTelemetry telemetry;
    private final Consumer<LogRecord> out;
    private final LongSupplier nanoClock;
    private final int maxStreams;
    private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final Object evictionLock = new Object();
    private final Map<String, SelfTelemetry.Counter> counters = new ConcurrentHashMap<>();
    private final SelfTelemetry.Counter aggregated;
    private final SelfTelemetry.Counter truncated;
    private final SelfTelemetry.Counter flushedEarly;
    private final SelfTelemetry.Counter streamsEvicted;
    private final SelfTelemetry.Counter jsonErrors;
    private final SelfTelemetry.Counter piecesJoined;
    private final SelfTelemetry.Counter piecesIncomplete;
    private final LogRules.Listener ruleCounters = new RuleCounters();

    /**
     * @param globalRules     rules for every stream ({@code processing_rules}), run before a stream's own
     * @param maxPendingBytes what all streams' pending messages may hold, e.g. 4 MiB
     * @param telemetry       where the counters go
     * @param out             takes each finished record
     */
    public LogProcessor(LogRules globalRules, long maxPendingBytes, SelfTelemetry telemetry,
                        Consumer<LogRecord> out) {
        this(globalRules, maxPendingBytes, telemetry, out, System::nanoTime, MAX_STREAMS);
    }

    /** As above, with the clock lines are timed by and the number of streams remembered (for tests). */
    public LogProcessor(LogRules globalRules, long maxPendingBytes, SelfTelemetry telemetry,
                        Consumer<LogRecord> out, LongSupplier nanoClock, int maxStreams) {
        this.globalRules = Objects.requireNonNull(globalRules, "globalRules");
        if (maxPendingBytes <= 0 || maxStreams <= 0) {
            throw new IllegalArgumentException("maxPendingBytes and maxStreams must be positive");
        }
        this.maxPendingBytes = maxPendingBytes;
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.out = Objects.requireNonNull(out, "out");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.maxStreams = maxStreams;
        this.aggregated = telemetry.counter("logs.multiline.aggregated");
        this.truncated = telemetry.counter("logs.multiline.truncated");
        this.flushedEarly = telemetry.counter("logs.multiline.flushed_early");
        this.streamsEvicted = telemetry.counter("logs.multiline.streams_evicted");
        this.jsonErrors = telemetry.counter("logs.processing.json_errors");
        this.piecesJoined = telemetry.counter("logs.partial_lines.joined");
        this.piecesIncomplete = telemetry.counter("logs.partial_lines.incomplete");
        telemetry.gauge("logs.multiline.pending_bytes", pendingBytes::get);
        telemetry.gauge("logs.multiline.streams", streams::size);
    }

    /**
     * One line of {@code stream} (a container's stdout, a file).
     *
     * @param line        the line, without its line break; its timestamp, status, tags and attributes become the
     *                    message's when it opens one
     * @param sourceRules the stream's rules, run after the global ones
     */
    public void accept(String stream, LogRecord line, LogRules sourceRules, MultiLineSettings multiLine) {
        feed(stream, line, null, false, sourceRules, multiLine);
    }

    /**
     * One piece of a line that its writer cut: Docker's and ECS's log drivers send a line longer than 16 KiB as
     * pieces marked {@code partial_message}, each with the line's id and the last one marked. The pieces of a stream
     * are joined, without a separator, into the line they were cut from, which then goes on as {@link #accept} takes
     * a line, with the first piece's timestamp, status, tags and attributes.
     *
     * <p>Pieces are bytes as the writer cut them, so one may start or end inside a character: they are joined
     * first, and what is still not UTF-8 after joining is repaired (each invalid byte becomes U+FFFD).
     *
     * <p>A line never waits for pieces that do not come: a piece of another line, a whole line, the flush timeout,
     * {@link #flushAll} or the pending budget send what has arrived as a line of its own (counted in
     * {@code logs.partial_lines.incomplete}). Pieces that reach the largest message ({@link
     * MultiLineSettings#maxBytes()}) go on at once, and the message is cut and marked as any long line is.
     *
     * @param lineId the id the pieces of one line share
     * @param last   whether this is the line's last piece
     */
    public void acceptPiece(String stream, LogRecord piece, String lineId, boolean last, LogRules sourceRules,
                            MultiLineSettings multiLine) {
        feed(stream, piece, Objects.requireNonNull(lineId, "lineId"), last, sourceRules, multiLine);
    }

    private void feed(String stream, LogRecord line, String pieceOf, boolean lastPiece, LogRules sourceRules,
                      MultiLineSettings multiLine) {
        Objects.requireNonNull(line, "line");
        Objects.requireNonNull(sourceRules, "sourceRules");
        Objects.requireNonNull(multiLine, "multiLine");
        long now = nanoClock.getAsLong();
        while (true) {
            Stream s = streams.get(stream);
            if (s == null) {
                s = newStream(stream, now);
            }
            synchronized (s) {
                if (s.retired) {
                    continue; // forgotten between the lookup and the lock: take the new one
                }
                s.lastActivity = now;
                if (pieceOf != null) {
                    piece(s, line, pieceOf, lastPiece, sourceRules, multiLine, now);
                } else {
                    flushPieces(s, now);
                    handle(s, line, sourceRules, multiLine, now);
                }
            }
            break;
        }
        if (pendingBytes.get() > maxPendingBytes) {
            shed();
        }
    }

    /** Sends messages idle longer than their flush timeout; the collector calls it every 100-250 ms. */
    public void flushIdle(long nowNanos) {
        for (Stream s : streams.values()) {
            synchronized (s) {
                if (s.retired) {
                    continue;
                }
                long timeout = s.settings == null ? 0 : s.settings.flushTimeout().toNanos();
                if (s.firstPiece != null && nowNanos - s.lastPiece >= timeout) {
                    flushPieces(s, nowNanos);
                }
                if (s.template != null) {
                    if (nowNanos - s.lastLine >= timeout) {
                        close(s);
                    }
                } else if (s.firstPiece == null && nowNanos - s.lastActivity >= timeout) {
                    retire(s);
                }
            }
        }
    }

    /** Sends every pending message (stop, reload). */
    public void flushAll() {
        for (Stream s : streams.values()) {
            synchronized (s) {
                flushPieces(s, nanoClock.getAsLong());
                close(s);
            }
        }
    }

    /** What pending messages hold now. */
    public long pendingBytes() {
        return pendingBytes.get();
    }

    /** Streams remembered now. */
    public int streamCount() {
        return streams.size();
    }

    @Override
    public void close() {
        flushAll();
    }

    // ---- one stream's lines ----

    private void handle(Stream s, LogRecord line, LogRules rules, MultiLineSettings settings, long now) {
        byte[] message = line.message();
        s.settings = settings;
        if (settings.startPattern() != null) {
            if (s.template == null || startsMessage(settings, message)) {
                close(s);
                open(s, line, rules, settings, now);
            } else {
                append(s, message, now);
            }
        } else if (settings.autoDetect()) {
            if (JsonLines.looksLikeObject(message)) {
                close(s);
                alone(s, line, rules, settings, now);
            } else if (Timestamps.startsWithTimestamp(message) || StackTraces.isAgentTraceStart(message)) {
                close(s);
                open(s, line, rules, settings, now);
            } else if (s.template != null) {
                append(s, message, now);
            } else {
                alone(s, line, rules, settings, now);
            }
        } else if (settings.stackTraces()) {
            stackTraceLine(s, line, rules, settings, now);
        } else {
            close(s);
            alone(s, line, rules, settings, now);
        }
    }

    // ---- pieces of a cut line ----

    private void piece(Stream s, LogRecord piece, String lineId, boolean last, LogRules rules,
                       MultiLineSettings settings, long now) {
        s.settings = settings; // the flush timeout the pieces wait at most
        if (s.firstPiece != null && !s.pieceOf.equals(lineId)) {
            flushPieces(s, now); // the rest of that line never came
        }
        if (s.firstPiece == null) {
            s.firstPiece = piece;
            s.pieceOf = lineId;
            s.pieceRules = rules;
            s.pieceSettings = settings;
            s.pieceCount = 0;
        }
        byte[] bytes = piece.message();
        int needed = s.pieceLength + bytes.length;
        if (s.pieceBuffer == null || needed > s.pieceBuffer.length) {
            byte[] grown = new byte[Math.max(needed, Math.min(settings.maxBytes(), needed * 2))];
            if (s.pieceBuffer != null) {
                System.arraycopy(s.pieceBuffer, 0, grown, 0, s.pieceLength);
            }
            s.pieceBuffer = grown;
        }
        System.arraycopy(bytes, 0, s.pieceBuffer, s.pieceLength, bytes.length);
        s.pieceLength = needed;
        s.pieceCount++;
        s.lastPiece = now;
        addPending(s, bytes.length);
        if (last || s.pieceLength >= settings.maxBytes()) {
            // Whole, or as long as a message may be: on it goes (a longer one is cut and marked as any line is).
            if (last && s.pieceCount > 1) {
                piecesJoined.increment();
            }
            handle(s, takePieces(s), rules, settings, now);
        }
    }

    /** Sends the pieces that arrived as a line of their own. */
    private void flushPieces(Stream s, long now) {
        if (s.firstPiece != null) {
            LogRules rules = s.pieceRules;
            MultiLineSettings settings = s.pieceSettings;
            piecesIncomplete.increment();
            handle(s, takePieces(s), rules, settings, now);
        }
    }

    private LogRecord takePieces(Stream s) {
        LogRecord first = s.firstPiece;
        byte[] joined = s.pieceCount == 1 ? first.message() : Arrays.copyOf(s.pieceBuffer, s.pieceLength);
        int invalid = Utf8.invalidBytes(joined, 0, joined.length);
        if (invalid > 0) { // a character cut where no later piece completes it
            joined = Utf8.repair(joined, 0, joined.length, invalid);
        }
        addPending(s, -s.pieceLength);
        s.firstPiece = null;
        s.pieceOf = null;
        s.pieceRules = null;
        s.pieceSettings = null;
        s.pieceBuffer = null;
        s.pieceLength = 0;
        s.pieceCount = 0;
        return joined == first.message() ? first : first.withMessage(joined);
    }

    private boolean startsMessage(MultiLineSettings settings, byte[] message) {
        try {
            return settings.startPattern().find(new String(message, StandardCharsets.UTF_8));
        } catch (RuntimeException | StackOverflowError e) {
            counter("logs.processing.abandoned", "rule:multi_line", "type:multi_line").increment();
            return true; // never join on a guess
        }
    }

    private void stackTraceLine(Stream s, LogRecord line, LogRules rules, MultiLineSettings settings, long now) {
        byte[] message = line.message();
        if (JsonLines.looksLikeObject(message)) {
            close(s);
            s.trace = StackTraces.State.NONE;
            alone(s, line, rules, settings, now);
            return;
        }
        StackTraces.Step step = StackTraces.classify(s.trace, message, s.template != null);
        s.trace = step.next();
        switch (step.action()) {
            case JOIN -> {
                if (s.template == null) {
                    open(s, line, rules, settings, now);
                } else {
                    releaseBlanksInto(s, now);
                    append(s, message, now);
                }
            }
            case START -> {
                close(s);
                open(s, line, rules, settings, now);
            }
            case HOLD_BLANK -> {
                if (s.template == null) {
                    alone(s, line, rules, settings, now);
                } else if (s.blanks.size() >= MAX_HELD_BLANKS) {
                    close(s);
                    s.trace = StackTraces.State.NONE;
                    alone(s, line, rules, settings, now);
                } else {
                    s.blanks.add(line);
                    s.lastLine = now;
                    addPending(s, message.length);
                }
            }
        }
    }

    private void releaseBlanksInto(Stream s, long now) {
        if (s.blanks.isEmpty()) {
            return;
        }
        List<LogRecord> held = new ArrayList<>(s.blanks);
        s.blanks.clear();
        for (LogRecord blank : held) {
            addPending(s, -blank.message().length);
            append(s, blank.message(), now);
        }
    }

    /** A line that is its own message. */
    private void alone(Stream s, LogRecord line, LogRules rules, MultiLineSettings settings, long now) {
        open(s, line, rules, settings, now);
        close(s);
    }

    private void open(Stream s, LogRecord line, LogRules rules, MultiLineSettings settings, long now) {
        s.template = line;
        s.rules = rules;
        s.groupSettings = settings;
        s.buffer = line.message();
        s.owned = false;
        s.length = 0;
        s.lines = 1;
        s.truncatedStart = false;
        s.lastLine = now;
        byte[] message = line.message();
        if (message.length <= settings.maxBytes()) {
            s.length = message.length;
            addPending(s, message.length);
        } else {
            s.buffer = null;
            add(s, message, 0, message.length, false);
        }
    }

    private void append(Stream s, byte[] message, long now) {
        s.lines++;
        s.lastLine = now;
        add(s, message, 0, message.length, true);
    }

    /** Appends bytes to the open message, cutting and sending it whenever it reaches its size limit. */
    private void add(Stream s, byte[] bytes, int off, int len, boolean separator) {
        int max = s.groupSettings.maxBytes();
        while (true) {
            int room = max - s.length - (separator && s.length > 0 ? LINE_SEPARATOR.length : 0);
            if (len <= room) {
                write(s, separator, bytes, off, len);
                return;
            }
            int take = room <= 0 ? 0 : utf8Boundary(bytes, off, room);
            if (take > 0) {
                write(s, separator, bytes, off, take);
            }
            emit(s, true);
            s.truncatedStart = true; // the rest follows, marked, with the same metadata
            s.lines = 1;
            off += take;
            len -= take;
            separator = false;
        }
    }

    private void write(Stream s, boolean separator, byte[] bytes, int off, int len) {
        boolean sep = separator && s.length > 0;
        int needed = s.length + (sep ? LINE_SEPARATOR.length : 0) + len;
        if (!s.owned) {
            byte[] copy = new byte[Math.max(needed, Math.min(s.groupSettings.maxBytes(), needed * 2))];
            if (s.buffer != null && s.length > 0) {
                System.arraycopy(s.buffer, 0, copy, 0, s.length);
            }
            s.buffer = copy;
            s.owned = true;
        } else if (needed > s.buffer.length) {
            s.buffer = Arrays.copyOf(s.buffer, Math.max(needed, Math.min(s.groupSettings.maxBytes(),
                    s.buffer.length * 2)));
        }
        int before = s.length;
        if (sep) {
            System.arraycopy(LINE_SEPARATOR, 0, s.buffer, s.length, LINE_SEPARATOR.length);
            s.length += LINE_SEPARATOR.length;
        }
        System.arraycopy(bytes, off, s.buffer, s.length, len);
        s.length += len;
        addPending(s, s.length - before);
    }

    /** Sends the open message (and the blank lines held after it, each alone). */
    private void close(Stream s) {
        LogRules rules = s.rules == null ? LogRules.NONE : s.rules;
        if (s.template != null) {
            emit(s, false);
            s.template = null;
            s.rules = null;
            s.buffer = null;
            s.owned = false;
        }
        if (!s.blanks.isEmpty()) {
            List<LogRecord> held = new ArrayList<>(s.blanks);
            s.blanks.clear();
            for (LogRecord blank : held) {
                addPending(s, -blank.message().length);
                process(blank, rules);
            }
        }
    }

    /** Sends what the open message holds; the stream keeps its metadata for a remainder. */
    private void emit(Stream s, boolean cut) {
        LogRecord template = s.template;
        byte[] content;
        int from = 0;
        int to = s.length;
        boolean trim = s.groupSettings.startPattern() != null || s.groupSettings.autoDetect();
        if (trim) { // the Agent's multi-line handlers trim the message
            while (from < to && isSpace(s.buffer[from])) {
                from++;
            }
            while (to > from && isSpace(s.buffer[to - 1])) {
                to--;
            }
        }
        boolean marked = cut || s.truncatedStart;
        if (!marked && !s.owned && from == 0 && to == s.buffer.length) {
            content = s.buffer; // a single line as it came: no copy
        } else {
            int size = (to - from) + (s.truncatedStart ? TRUNCATED.length : 0) + (cut ? TRUNCATED.length : 0);
            content = new byte[size];
            int at = 0;
            if (s.truncatedStart) {
                System.arraycopy(TRUNCATED, 0, content, 0, TRUNCATED.length);
                at = TRUNCATED.length;
            }
            System.arraycopy(s.buffer, from, content, at, to - from);
            at += to - from;
            if (cut) {
                System.arraycopy(TRUNCATED, 0, content, at, TRUNCATED.length);
            }
        }
        addPending(s, -s.length);
        if (s.lines > 1) {
            aggregated.increment();
        }
        if (marked) {
            truncated.increment();
        }
        s.length = 0;
        s.owned = false;
        s.buffer = null;
        LogRules rules = s.rules;
        process(content == template.message() ? template : template.withMessage(content), rules);
    }

    /** Rules, then JSON, then out. */
    private void process(LogRecord record, LogRules sourceRules) {
        byte[] message = record.message();
        LogRules.Outcome outcome = globalRules.apply(message, ruleCounters);
        if (outcome instanceof LogRules.Outcome.Kept kept) {
            message = kept.message();
            if (!sourceRules.isEmpty()) {
                outcome = sourceRules.apply(message, ruleCounters);
                if (outcome instanceof LogRules.Outcome.Kept again) {
                    message = again.message();
                }
            }
        }
        if (outcome instanceof LogRules.Outcome.Dropped) {
            return;
        }
        LogRecord result = message == record.message() ? record : record.withMessage(message);
        try {
            result = JsonLines.lift(result);
        } catch (RuntimeException | StackOverflowError e) {
            jsonErrors.increment(); // the line goes as text
        }
        out.accept(result);
    }

    // ---- bounds ----

    private void addPending(Stream s, long delta) {
        s.pending += delta;
        pendingBytes.addAndGet(delta);
    }

    /** Sends the largest pending messages until all fit in the budget again. */
    private void shed() {
        int rounds = streams.size() + 1;
        while (pendingBytes.get() > maxPendingBytes && rounds-- > 0) {
            Stream largest = null;
            long most = 0;
            for (Stream s : streams.values()) {
                long p = s.pending;
                if (p > most) {
                    most = p;
                    largest = s;
                }
            }
            if (largest == null) {
                return;
            }
            synchronized (largest) {
                if (largest.pending > 0) {
                    flushPieces(largest, nanoClock.getAsLong());
                    close(largest);
                    flushedEarly.increment();
                }
            }
        }
    }

    private Stream newStream(String key, long now) {
        if (streams.size() >= maxStreams) {
            makeRoom(now);
        }
        return streams.computeIfAbsent(key, Stream::new);
    }

    /** Forgets idle streams; if none is idle, flushes and forgets the least recently fed. */
    private void makeRoom(long now) {
        synchronized (evictionLock) {
            if (streams.size() < maxStreams) {
                return;
            }
            Stream oldest = null;
            for (Stream s : streams.values()) {
                synchronized (s) {
                    long timeout = s.settings == null ? 0 : s.settings.flushTimeout().toNanos();
                    if (!s.retired && s.template == null && s.firstPiece == null
                            && now - s.lastActivity >= timeout) {
                        retire(s);
                        continue;
                    }
                }
                if (oldest == null || s.lastActivity - oldest.lastActivity < 0) {
                    oldest = s;
                }
            }
            if (streams.size() >= maxStreams && oldest != null) {
                synchronized (oldest) {
                    if (!oldest.retired) {
                        flushPieces(oldest, now);
                        close(oldest);
                        retire(oldest);
                        streamsEvicted.increment();
                    }
                }
            }
        }
    }

    /** Called with the stream's lock held and nothing pending in it. */
    private void retire(Stream s) {
        s.retired = true;
        streams.remove(s.key, s);
    }

    // ---- helpers ----

    /** The largest count {@code <= max} of bytes from {@code off} that does not split a UTF-8 sequence. */
    static int utf8Boundary(byte[] bytes, int off, int max) {
        int cut = off + max;
        while (cut > off && (bytes[cut] & 0xC0) == 0x80) {
            cut--;
        }
        return cut == off ? max : cut - off; // not UTF-8 at all: cut where asked
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0B || b == '\f';
    }

    private SelfTelemetry.Counter counter(String name, String... tags) {
        String key = name + '|' + String.join(",", tags);
        return counters.computeIfAbsent(key, k -> telemetry.counter(name, tags));
    }

    private final class RuleCounters implements LogRules.Listener {
        @Override
        public void dropped(String rule, ProcessingRule.Type type) {
            counter("logs.processing.dropped", "rule:" + rule, "type:" + type.configName()).increment();
        }

        @Override
        public void masked(String rule) {
            counter("logs.processing.masked", "rule:" + rule).increment();
        }

        @Override
        public void abandoned(String rule, ProcessingRule.Type type, boolean dropped) {
            counter("logs.processing.abandoned", "rule:" + rule, "type:" + type.configName()).increment();
        }
    }

    /** One stream's state, guarded by its own lock ({@code pending} and {@code lastActivity} are read without). */
    private static final class Stream {
        final String key;
        boolean retired;
        volatile long lastActivity;
        volatile long pending;
        MultiLineSettings settings; // of the last line
        StackTraces.State trace = StackTraces.State.NONE;
        final List<LogRecord> blanks = new ArrayList<>(MAX_HELD_BLANKS);
        // the open message; template == null when none
        LogRecord template;
        LogRules rules;
        MultiLineSettings groupSettings;
        byte[] buffer; // the first line's own array until a second line (or a cut) needs a copy
        boolean owned;
        int length;
        int lines;
        boolean truncatedStart;
        long lastLine;
        // pieces of a cut line; firstPiece == null when none
        LogRecord firstPiece;
        String pieceOf;
        LogRules pieceRules;
        MultiLineSettings pieceSettings;
        byte[] pieceBuffer;
        int pieceLength;
        int pieceCount;
        long lastPiece;

        Stream(String key) {
            this.key = key;
        }
    }
}
