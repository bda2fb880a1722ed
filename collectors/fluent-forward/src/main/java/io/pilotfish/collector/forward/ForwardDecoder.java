package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.ForwardException.Reason;
import io.pilotfish.collector.forward.firelens.FireLensRoutes;
import io.pilotfish.spi.Utf8Interner;
import io.pilotfish.spi.signal.LogRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;

/**
 * Decodes one whole forward frame into log records, handing each to a {@link RecordConsumer} as it is read. Modes are
 * told apart as the specification says, by the frame's second element: a time (integer, float or EventTime) for
 * Message, an array for Forward, a {@code str}/{@code bin} for PackedForward, which the {@code compressed: "gzip"}
 * option makes CompressedPackedForward.
 *
 * <p>A compressed chunk is inflated a window at a time and its entries decoded as each is whole, so it holds at most
 * one entry (at most {@code max-frame-bytes}) and a window, however far it inflates; past
 * {@code max-decompressed-bytes} inflated it is refused (a zip bomb is cut there). Records handed on before an error
 * in the same frame stay handed on; the frame is then not acknowledged, so a client that asked for an ack sends it
 * again. Stateless between frames; one per worker thread.
 */
final class ForwardDecoder {

    private static final int INFLATE_WINDOW = 64 * 1024;
    /** Times past this (year 2^37 s, far beyond any clock) are refused rather than overflowing milliseconds. */
    private static final long MAX_SECONDS = 1L << 37;

    /** Where decoded records go, in order. */
    @FunctionalInterface
    interface RecordConsumer {
        void accept(LogRecord record);

        /** A record with where it came from (its stream, its container's labels); the record alone by default. */
        default void accept(RecordMapper.Mapped mapped) {
            accept(mapped.record());
        }
    }

    /**
     * What a frame held: its mode, how many records, how many of them were cut, the chunk id to ack (or null), and
     * whether it was skipped as another signal than logs (Fluent Bit's {@code fluent_signal} for metrics, traces).
     */
    record Decoded(ForwardMode mode, String tag, int records, int cut, String chunk, boolean otherSignal,
                   int unrouted, int filtered) {
    }

    private final long maxFrameBytes;
    private final long maxDecompressedBytes;
    private final RecordMapper mapper;
    private final LongSupplier nowMillis;

    static final int INTERNED_BYTES = 128;

    ForwardDecoder(long maxFrameBytes, long maxDecompressedBytes, int maxLineBytes, LongSupplier nowMillis) {
        this(maxFrameBytes, maxDecompressedBytes, new RecordMapper(maxLineBytes, FireLensRoutes.none()), nowMillis);
    }

    /**
     * Field names and the ids and ARNs repeated in every record, decoded once (2048 slots of up to 128 bytes,
     * 272 KiB; one per decoder thread).
     */
    private final Utf8Interner interner = new Utf8Interner(INTERNED_BYTES);

    ForwardDecoder(long maxFrameBytes, long maxDecompressedBytes, RecordMapper mapper, LongSupplier nowMillis) {
        this.maxFrameBytes = maxFrameBytes;
        this.maxDecompressedBytes = maxDecompressedBytes;
        this.mapper = mapper;
        this.nowMillis = nowMillis;
    }

    /** Decodes the frame in {@code buf[offset, offset + length)}, which the {@link FrameScanner} found whole. */
    Decoded decode(byte[] buf, int offset, int length, RecordConsumer out) throws ForwardException {
        MsgpackReader in = new MsgpackReader(buf, offset, length, interner);
        int elements = in.readArrayHeader("a frame");
        if (elements < 2 || elements > 4) {
            throw new ForwardException(Reason.WRONG_TYPE, "a frame has 2 to 4 elements, this one " + elements);
        }
        String tag = in.readString("the tag");
        Counts counts = new Counts();
        ForwardMode mode;
        Options options;
        switch (in.nextType()) {
            case ARRAY -> {
                mode = ForwardMode.FORWARD;
                int entries = in.readArrayHeader("the entries");
                for (int i = 0; i < entries; i++) {
                    entry(in, tag, out, counts);
                }
                options = elements > 2 ? options(in) : Options.NONE;
            }
            case STRING, BINARY -> {
                int size = in.readBytesHeader("the packed entries");
                int start = in.position();
                in.skipBytes(size);
                options = elements > 2 ? options(in) : Options.NONE;
                if (options.signal() != 0) {
                    // Fluent Bit's metrics and traces over forward: their own encodings, not records.
                    return new Decoded(options.gzip() ? ForwardMode.COMPRESSED_PACKED_FORWARD
                            : ForwardMode.PACKED_FORWARD, tag, 0, 0, options.chunk(), true, 0, 0);
                }
                if (options.gzip()) {
                    mode = ForwardMode.COMPRESSED_PACKED_FORWARD;
                    inflate(buf, start, size, tag, out, counts);
                } else {
                    mode = ForwardMode.PACKED_FORWARD;
                    MsgpackReader packed = new MsgpackReader(buf, start, size, interner);
                    while (packed.remaining() > 0) {
                        entry(packed, tag, out, counts);
                    }
                }
            }
            default -> {
                if (elements < 3) {
                    throw new ForwardException(Reason.WRONG_TYPE, "a Message frame has a time and a record");
                }
                mode = ForwardMode.MESSAGE;
                long time = time(in);
                record(in, tag, time, out, counts);
                options = elements > 3 ? options(in) : Options.NONE;
            }
        }
        return new Decoded(mode, tag, counts.records, counts.cut, options.chunk(), false, counts.unrouted,
                counts.filtered);
    }

    private static final class Counts {
        int records;
        int cut;
        int unrouted;
        int filtered;
    }

    private record Options(String chunk, boolean gzip, long signal) {
        static final Options NONE = new Options(null, false, 0);
    }

    /**
     * The option map: {@code chunk} (ack wanted), {@code compressed}, Fluent Bit's {@code fluent_signal} (0 logs, 1
     * metrics, 2 traces); {@code size} and anything else are ignored.
     */
    private static Options options(MsgpackReader in) throws ForwardException {
        if (in.tryReadNil()) {
            return Options.NONE;
        }
        int n = in.readMapHeader("the option");
        String chunk = null;
        boolean gzip = false;
        long signal = 0;
        for (int i = 0; i < n; i++) {
            String key = in.readString("an option key");
            switch (key) {
                case "chunk" -> {
                    chunk = in.readString("the chunk option");
                    if (chunk.isEmpty()) {
                        chunk = null;
                    }
                }
                case "compressed" -> {
                    String compressed = in.readString("the compressed option");
                    if (compressed.equals("gzip")) {
                        gzip = true;
                    } else if (!compressed.equals("text")) {
                        throw new ForwardException(Reason.BAD_COMPRESSION, "compressed \"" + compressed
                                + "\": only gzip and text are defined");
                    }
                }
                case "fluent_signal" -> signal = in.nextType() == MsgpackReader.Type.INTEGER
                        ? in.readLong("the fluent_signal option") : readSkipped(in);
                default -> in.skipValue();
            }
        }
        return new Options(chunk, gzip, signal);
    }

    private static long readSkipped(MsgpackReader in) throws ForwardException {
        in.skipValue();
        return 0;
    }

    /** One {@code [time, record]} entry of Forward or PackedForward. */
    private void entry(MsgpackReader in, String tag, RecordConsumer out, Counts counts) throws ForwardException {
        int n = in.readArrayHeader("an entry");
        if (n < 2) {
            throw new ForwardException(Reason.WRONG_TYPE, "an entry is [time, record]; this one has " + n
                    + " elements");
        }
        long time = time(in);
        record(in, tag, time, out, counts);
        for (int i = 2; i < n; i++) {
            in.skipValue();
        }
    }

    @SuppressWarnings("unchecked")
    private void record(MsgpackReader in, String tag, long time, RecordConsumer out, Counts counts)
            throws ForwardException {
        if (in.nextType() != MsgpackReader.Type.MAP) {
            throw new ForwardException(Reason.WRONG_TYPE, "a record must be a map, found "
                    + in.nextType().name().toLowerCase(java.util.Locale.ROOT));
        }
        int start = in.position();
        Map<String, Object> fields = (Map<String, Object>) in.readValue(1);
        byte[] pieceBytes = RecordMapper.isPiece(fields) ? logBytes(in.buffer(), start, in.position()) : null;
        RecordMapper.Mapped mapped = mapper.map(tag, time, fields, pieceBytes);
        if (mapped.record() == null) {
            if (mapped.filtered()) {
                counts.filtered++; // a FireLens grep filter (include-pattern, exclude-pattern) dropped it
            } else {
                counts.unrouted++; // no datadog output takes this tag: not sent, as in Fluent Bit
            }
            return;
        }
        counts.records++;
        if (mapped.cut()) {
            counts.cut++;
        }
        out.accept(mapped);
    }

    /**
     * The {@code log} field's bytes as sent, of the record map at {@code [from, to)}, or null. A driver cuts a long
     * line into pieces byte-wise, so a piece may end inside a character: its bytes are joined before they are
     * decoded, where the repaired string would have lost that character.
     */
    private static byte[] logBytes(byte[] buf, int from, int to) throws ForwardException {
        MsgpackReader map = new MsgpackReader(buf, from, to - from);
        byte[] found = null;
        for (int entries = map.readMapHeader("a record"); entries > 0; entries--) {
            String key = null;
            if (map.nextType() == MsgpackReader.Type.STRING) {
                key = map.readString("a field name");
            } else {
                map.skipValue();
            }
            MsgpackReader.Type type = map.nextType();
            if ("log".equals(key) && (type == MsgpackReader.Type.STRING || type == MsgpackReader.Type.BINARY)) {
                int length = map.readBytesHeader("the log field");
                found = java.util.Arrays.copyOfRange(buf, map.position(), map.position() + length); // the last wins
                map.skipBytes(length);
            } else {
                map.skipValue();
            }
        }
        return found;
    }

    /**
     * An event time as epoch milliseconds: integer seconds, float seconds (some loggers), EventTime (extension 0:
     * seconds and nanoseconds, big-endian), Fluent Bit's {@code [time, metadata]} pair, or nil (now).
     */
    private long time(MsgpackReader in) throws ForwardException {
        return switch (in.nextType()) {
            case INTEGER -> {
                long seconds = in.readLong("the time");
                if (seconds < 0 || seconds > MAX_SECONDS) {
                    throw new ForwardException(Reason.WRONG_TYPE, "a time of " + seconds + " s is out of range");
                }
                yield seconds * 1000;
            }
            case FLOAT -> (long) (in.readDouble("the time") * 1000);
            case EXTENSION -> {
                MsgpackReader.Extension ext = in.readExtension("the time");
                if (ext.type() != 0 || ext.length() != 8) {
                    throw new ForwardException(Reason.WRONG_TYPE, "a time extension must be EventTime (type 0, 8 "
                            + "bytes); found type " + ext.type() + " of " + ext.length() + " bytes");
                }
                long seconds = in.uint32At(ext.offset());
                long nanos = in.uint32At(ext.offset() + 4);
                yield seconds * 1000 + nanos / 1_000_000;
            }
            case ARRAY -> {
                int n = in.readArrayHeader("the time");
                if (n < 1) {
                    throw new ForwardException(Reason.WRONG_TYPE, "an empty [time, metadata] pair");
                }
                if (in.nextType() == MsgpackReader.Type.ARRAY) {
                    throw new ForwardException(Reason.WRONG_TYPE, "a time nested in a time");
                }
                long time = time(in);
                for (int i = 1; i < n; i++) {
                    in.skipValue();
                }
                yield time;
            }
            case NIL -> {
                in.tryReadNil();
                yield nowMillis.getAsLong();
            }
            default -> throw new ForwardException(Reason.WRONG_TYPE, "expected a time, found "
                    + in.nextType().name().toLowerCase(java.util.Locale.ROOT));
        };
    }

    /** CompressedPackedForward: gzip (one member or several, concatenated) of concatenated entries. */
    private void inflate(byte[] buf, int offset, int length, String tag, RecordConsumer out, Counts counts)
            throws ForwardException {
        if (length == 0) {
            return;
        }
        FrameScanner scanner = new FrameScanner(maxFrameBytes);
        byte[] window = new byte[INFLATE_WINDOW];
        int filled = 0;
        long inflated = 0;
        try (InputStream gzip = new GZIPInputStream(new ByteArrayInputStream(buf, offset, length), 8192)) {
            while (true) {
                if (filled == window.length) {
                    // One entry fills the window: it may grow up to a frame's size, never more.
                    if (window.length >= maxFrameBytes) {
                        throw new ForwardException(Reason.FRAME_TOO_LARGE, "an entry of more than " + maxFrameBytes
                                + " bytes in a compressed chunk");
                    }
                    window = Arrays.copyOf(window, (int) Math.min((long) window.length * 2, maxFrameBytes));
                }
                int n = gzip.read(window, filled, window.length - filled);
                if (n < 0) {
                    break;
                }
                inflated += n;
                if (inflated > maxDecompressedBytes) {
                    throw new ForwardException(Reason.DECOMPRESSED_TOO_LARGE, "a compressed chunk inflates past "
                            + maxDecompressedBytes + " bytes (max-decompressed-bytes)");
                }
                filled += n;
                int consumed = 0;
                while (consumed < filled) {
                    long end = scanner.scan(window, consumed, filled - consumed, true);
                    if (end < 0) {
                        break;
                    }
                    entry(new MsgpackReader(window, consumed, (int) end, interner), tag, out, counts);
                    consumed += (int) end;
                }
                if (consumed > 0) {
                    System.arraycopy(window, consumed, window, 0, filled - consumed);
                    filled -= consumed;
                }
            }
        } catch (IOException e) {
            throw new ForwardException(Reason.BAD_COMPRESSION, "a compressed chunk is not valid gzip: "
                    + e.getMessage());
        }
        if (filled > 0) {
            throw new ForwardException(Reason.TRUNCATED, "a compressed chunk ends inside an entry");
        }
    }
}
