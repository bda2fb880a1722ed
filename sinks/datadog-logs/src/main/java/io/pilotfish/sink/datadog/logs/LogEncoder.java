package io.pilotfish.sink.datadog.logs;

import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The logs intake's body: a JSON array of the Agent's log records ({@code pkg/logs/processor/json.go}),
 * {@code [{"message":..,"status":..,"timestamp":<ms>,"hostname":..,"service":..,"ddsource":..,"ddtags":"a:b,c"}]},
 * each followed by its record's attributes as top-level fields. Written by hand straight into bytes: a message is
 * already UTF-8, so it is copied with JSON escaping and never decoded to a String.
 */
final class LogEncoder {

    /** The intake's limit of entries in one array, and the Agent's {@code DefaultBatchMaxSize}. */
    static final int MAX_LOGS_PER_PAYLOAD = 1000;
    /** The intake's limit of one payload before compression, and the Agent's {@code DefaultBatchMaxContentSize}. */
    static final int MAX_PAYLOAD_BYTES = 5_000_000;
    /** The intake's limit of one log; a longer message is cut to this many bytes, marker included. */
    static final int MAX_MESSAGE_BYTES = 1_000_000;
    /** What the Agent appends where it cut a message (its decoders and event-log tailer). */
    static final String TRUNCATION_MARKER = "...TRUNCATED...";
    /** Attribute values nested deeper than this are written as {@code null}: a cyclic map must not loop forever. */
    static final int MAX_ATTRIBUTE_DEPTH = 32;

    private static final byte[] MARKER_BYTES = TRUNCATION_MARKER.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** What {@link #encode} made of a batch. */
    sealed interface Result permits Encoded, OverLimit, NothingToSend {
    }

    /**
     * A body to send: bytes {@code [0, length)} of {@code json}.
     *
     * @param logs        log records in it
     * @param truncated   of those, how many had their message cut to {@link #MAX_MESSAGE_BYTES}
     * @param unsupported signals of other kinds left out
     */
    record Encoded(byte[] json, int length, int logs, int truncated, int unsupported) implements Result {
    }

    /** The batch does not fit one payload (entries or bytes); nothing was sent, the platform splits it. */
    record OverLimit(String reason) implements Result {
    }

    /** The batch held no log record at all, only {@code unsupported} signals of other kinds. */
    record NothingToSend(int unsupported) implements Result {
    }

    private LogEncoder() {
    }

    /**
     * @param agentHostname the hostname of records that carry none; empty to leave the field out (Fargate)
     */
    static Result encode(List<? extends Signal> batch, String agentHostname) {
        return encode(batch, agentHostname, null);
    }

    /**
     * @param agentHostname the hostname of records that carry none; empty to leave the field out (Fargate)
     * @param spare         a buffer to write into while it is large enough (a grown one replaces it), or null; the
     *                      returned {@link Encoded#json()} may be it
     */
    static Result encode(List<? extends Signal> batch, String agentHostname, byte[] spare) {
        int logs = 0;
        for (Signal signal : batch) {
            if (signal instanceof LogRecord) {
                logs++;
            }
        }
        int unsupported = batch.size() - logs;
        if (logs == 0) {
            return new NothingToSend(unsupported);
        }
        if (logs > MAX_LOGS_PER_PAYLOAD) {
            return new OverLimit("a batch of " + logs + " logs is over the " + MAX_LOGS_PER_PAYLOAD
                    + " the logs intake takes in one payload");
        }
        int expected = Math.min(MAX_PAYLOAD_BYTES, 256 + batch.size() * 256);
        JsonBytes out = spare != null && spare.length >= expected ? new JsonBytes(spare) : new JsonBytes(expected);
        int truncated = 0;
        try {
            out.raw('[');
            boolean first = true;
            for (Signal signal : batch) {
                if (signal instanceof LogRecord record) {
                    if (!first) {
                        out.raw(',');
                    }
                    first = false;
                    if (writeRecord(record, agentHostname, out)) {
                        truncated++;
                    }
                }
            }
            out.raw(']');
        } catch (PayloadFull full) {
            return new OverLimit((logs == 1 ? "a log encodes" : "a batch of " + logs + " logs encodes")
                    + " to more than " + MAX_PAYLOAD_BYTES + " bytes of JSON, the most the logs intake takes in"
                    + " one payload");
        }
        return new Encoded(out.bytes(), out.size(), logs, truncated, unsupported);
    }

    /** Writes one record's object; true when its message was truncated. */
    private static boolean writeRecord(LogRecord record, String agentHostname, JsonBytes out) {
        byte[] message = record.message();
        boolean truncated = message.length > MAX_MESSAGE_BYTES;
        out.raw("{\"message\":\"");
        if (truncated) {
            int cut = utf8Boundary(message, MAX_MESSAGE_BYTES - MARKER_BYTES.length);
            out.utf8Content(message, 0, cut);
            out.raw(TRUNCATION_MARKER);
        } else {
            out.utf8Content(message, 0, message.length);
        }
        out.raw('"');
        optionalField("status", record.status(), out);
        if (record.timestamp() > 0) {
            // Left out when unknown: the intake then uses the time of receipt, where 0 would be refused as too old.
            out.raw(",\"timestamp\":");
            out.decimal(record.timestamp());
        }
        optionalField("hostname", record.hostname().isEmpty() ? agentHostname : record.hostname(), out);
        optionalField("service", record.service(), out);
        optionalField("ddsource", record.source(), out);
        TagSet tags = record.tags();
        if (!tags.isEmpty()) {
            out.raw(",\"ddtags\":\"");
            if (tags == out.lastTags) {
                // The logs of one container share one tag set: its text is copied from the record before.
                out.repeat(out.lastTagsFrom, out.lastTagsTo);
            } else {
                int from = out.size();
                for (int i = 0; i < tags.size(); i++) {
                    if (i > 0) {
                        out.raw(',');
                    }
                    out.stringContent(tags.get(i));
                }
                out.lastTags = tags;
                out.lastTagsFrom = from;
                out.lastTagsTo = out.size();
            }
            out.raw('"');
        }
        Map<String, Object> attributes = record.attributes();
        if (!attributes.isEmpty()) {
            attributes.forEach(out.attributeWriter);
        }
        out.raw('}');
        return truncated;
    }

    /** Writes one attribute as a top-level field; the buffer keeps one, so a record's walk allocates nothing. */
    private static final class AttributeWriter implements java.util.function.BiConsumer<String, Object> {
        private final JsonBytes out;

        AttributeWriter(JsonBytes out) {
            this.out = out;
        }

        @Override
        public void accept(String name, Object value) {
            String key = String.valueOf(name);
            if (isStandardField(key)) {
                return;
            }
            out.raw(',');
            out.string(key);
            out.raw(':');
            writeValue(value, 1, out);
        }
    }

    /**
     * The largest length {@code <= max} that does not split a UTF-8 sequence of {@code bytes}: a continuation byte
     * ({@code 10xxxxxx}) at {@code max} means the sequence started before it, so the cut moves back to its start.
     */
    static int utf8Boundary(byte[] bytes, int max) {
        int cut = Math.min(max, bytes.length);
        while (cut > 0 && cut < bytes.length && (bytes[cut] & 0xC0) == 0x80) {
            cut--;
        }
        return cut;
    }

    /** The record's own fields; an attribute of the same name would make a duplicate key, so it is left out. */
    static boolean isStandardField(String key) {
        int length = key.length();
        if (length < 6 || length > 9) {
            return false; // container_id, ecs_task_arn, source, ...: most attributes end here
        }
        return switch (key) {
            case "message", "status", "timestamp", "hostname", "service", "ddsource", "ddtags" -> true;
            default -> false;
        };
    }

    private static void optionalField(String name, String value, JsonBytes out) {
        if (value == null || value.isEmpty()) {
            return;
        }
        out.raw(',');
        out.raw('"');
        out.raw(name);
        out.raw("\":");
        out.string(value);
    }

    private static void writeValue(Object value, int depth, JsonBytes out) {
        if (value == null || depth > MAX_ATTRIBUTE_DEPTH) {
            out.raw("null");
        } else if (value instanceof String s) {
            out.string(s);
        } else if (value instanceof Boolean b) {
            out.raw(b ? "true" : "false");
        } else if (value instanceof Number n) {
            writeNumber(n, out);
        } else if (value instanceof Map<?, ?> map) {
            out.raw('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!first) {
                    out.raw(',');
                }
                first = false;
                out.string(String.valueOf(entry.getKey()));
                out.raw(':');
                writeValue(entry.getValue(), depth + 1, out);
            }
            out.raw('}');
        } else if (value instanceof List<?> list) {
            out.raw('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.raw(',');
                }
                writeValue(list.get(i), depth + 1, out);
            }
            out.raw(']');
        } else {
            // Not one of the documented kinds: its text, rather than failing the batch.
            out.string(String.valueOf(value));
        }
    }

    /** Integers and finite decimals as JSON numbers; NaN and infinities, which JSON cannot hold, as strings. */
    private static void writeNumber(Number n, JsonBytes out) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger || n instanceof BigDecimal) {
            out.raw(n.toString());
        } else if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isFinite(d)) {
                out.raw(n.toString());
            } else {
                out.string(n.toString());
            }
        } else {
            out.string(n.toString()); // AtomicLong, a user's own Number: text that is surely valid JSON
        }
    }

    /** Signals that the body would pass {@link #MAX_PAYLOAD_BYTES}; thrown before the buffer grows past it. */
    private static final class PayloadFull extends RuntimeException {
        private static final PayloadFull INSTANCE = new PayloadFull();

        private PayloadFull() {
            super("payload full", null, false, false);
        }
    }

    private static final int SEEN_SLOTS = 256;

    /** A growable byte buffer that never holds more than {@link #MAX_PAYLOAD_BYTES}, with JSON string escaping. */
    static final class JsonBytes {
        private byte[] buf;
        private int size;
        /** The last tag set written, and where its text is in the buffer. */
        private TagSet lastTags;
        private int lastTagsFrom;
        private int lastTagsTo;
        final AttributeWriter attributeWriter = new AttributeWriter(this);
        /**
         * Strings written before, by identity, with where their escaped text is in the buffer: a receiver that keeps
         * one instance of a repeated string (an interned field name or container id) has it copied, not re-escaped.
         */
        private final String[] seen = new String[SEEN_SLOTS];
        private final int[] seenFrom = new int[SEEN_SLOTS];
        private final int[] seenTo = new int[SEEN_SLOTS];

        JsonBytes(int initialCapacity) {
            buf = new byte[Math.max(64, initialCapacity)];
        }

        /** Writes into {@code buffer} from its start, for as long as it is large enough. */
        JsonBytes(byte[] buffer) {
            buf = buffer;
        }

        byte[] bytes() {
            return buf;
        }

        int size() {
            return size;
        }

        private void ensure(int more) {
            long needed = (long) size + more;
            if (needed > MAX_PAYLOAD_BYTES) {
                throw PayloadFull.INSTANCE;
            }
            if (needed > buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(MAX_PAYLOAD_BYTES, Math.max(needed, 2L * buf.length)));
            }
        }

        void raw(char ascii) {
            ensure(1);
            buf[size++] = (byte) ascii;
        }

        /** A positive number's digits, written in place: a string for each log's timestamp was garbage. */
        void decimal(long positive) {
            int digits = 1;
            for (long rest = positive / 10; rest > 0; rest /= 10) {
                digits++;
            }
            ensure(digits);
            long rest = positive;
            for (int at = size + digits - 1; at >= size; at--) {
                buf[at] = (byte) ('0' + rest % 10);
                rest /= 10;
            }
            size += digits;
        }

        /** ASCII text that needs no escaping (field names, numbers, literals). */
        void raw(String ascii) {
            int n = ascii.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[size++] = (byte) ascii.charAt(i);
            }
        }

        void string(String value) {
            raw('"');
            int slot = System.identityHashCode(value) & (SEEN_SLOTS - 1);
            if (seen[slot] == value) {
                repeat(seenFrom[slot], seenTo[slot]);
            } else {
                int from = size;
                stringContent(value);
                seen[slot] = value;
                seenFrom[slot] = from;
                seenTo[slot] = size;
            }
            raw('"');
        }

        /**
         * A Java string's characters as escaped UTF-8, without quotes. A lone surrogate (not valid Unicode, so not
         * encodable) becomes U+FFFD.
         */
        void stringContent(String value) {
            int n = value.length();
            // Tags, names and ids are short printable ASCII: one room check, then a byte per character until the
            // first character that needs more (escaping or a multi-byte sequence), from where the general loop goes on.
            int i = 0;
            if (size + (long) n <= buf.length) {
                byte[] b = buf;
                int at = size;
                while (i < n) {
                    char c = value.charAt(i);
                    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                        break;
                    }
                    b[at++] = (byte) c;
                    i++;
                }
                size = at;
            }
            for (; i < n; i++) {
                char c = value.charAt(i);
                if (c < 0x80) {
                    ascii(c);
                } else if (c < 0x800) {
                    ensure(2);
                    buf[size++] = (byte) (0xC0 | (c >> 6));
                    buf[size++] = (byte) (0x80 | (c & 0x3F));
                } else if (c == '\u2028' || c == '\u2029') {
                    escapeUnicode(c);
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, value.charAt(++i));
                    ensure(4);
                    buf[size++] = (byte) (0xF0 | (cp >> 18));
                    buf[size++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    buf[size++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    buf[size++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    char ch = Character.isSurrogate(c) ? '\uFFFD' : c;
                    ensure(3);
                    buf[size++] = (byte) (0xE0 | (ch >> 12));
                    buf[size++] = (byte) (0x80 | ((ch >> 6) & 0x3F));
                    buf[size++] = (byte) (0x80 | (ch & 0x3F));
                }
            }
        }

        /**
         * Valid UTF-8 bytes {@code [from, to)} as JSON string content, without quotes: runs that need no escaping
         * are copied as they are; quotes, backslashes and control characters are escaped, and so are U+2028 and
         * U+2029 (valid JSON, but line breaks to JavaScript and to some log viewers).
         */
        void utf8Content(byte[] bytes, int from, int to) {
            int run = from;
            int i = from;
            while (i < to) {
                int b = bytes[i] & 0xFF;
                boolean lineSeparator = b == 0xE2 && i + 2 < to && bytes[i + 1] == (byte) 0x80
                        && (bytes[i + 2] == (byte) 0xA8 || bytes[i + 2] == (byte) 0xA9);
                if (b >= 0x20 && b != '"' && b != '\\' && !lineSeparator) {
                    i++;
                    continue;
                }
                copy(bytes, run, i);
                if (lineSeparator) {
                    escapeUnicode(bytes[i + 2] == (byte) 0xA8 ? '\u2028' : '\u2029');
                    i += 3;
                } else {
                    ascii((char) b);
                    i++;
                }
                run = i;
            }
            copy(bytes, run, to);
        }

        /** Bytes {@code [from, to)} written earlier, once more. */
        void repeat(int from, int to) {
            int n = to - from;
            ensure(n);
            System.arraycopy(buf, from, buf, size, n);
            size += n;
        }

        private void copy(byte[] bytes, int from, int to) {
            int n = to - from;
            if (n > 0) {
                ensure(n);
                System.arraycopy(bytes, from, buf, size, n);
                size += n;
            }
        }

        private void ascii(char c) {
            switch (c) {
                case '"' -> raw("\\\"");
                case '\\' -> raw("\\\\");
                case '\n' -> raw("\\n");
                case '\r' -> raw("\\r");
                case '\t' -> raw("\\t");
                case '\b' -> raw("\\b");
                case '\f' -> raw("\\f");
                default -> {
                    if (c < 0x20) {
                        escapeUnicode(c);
                    } else {
                        raw(c);
                    }
                }
            }
        }

        private void escapeUnicode(char c) {
            ensure(6);
            buf[size++] = '\\';
            buf[size++] = 'u';
            buf[size++] = HEX[(c >> 12) & 0xF];
            buf[size++] = HEX[(c >> 8) & 0xF];
            buf[size++] = HEX[(c >> 4) & 0xF];
            buf[size++] = HEX[c & 0xF];
        }
    }
}
