package io.pilotfish.spi.signal;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One log line (or one multi-line record, such as a stack trace) as the Datadog logs intake takes it. The message is
 * kept as the UTF-8 bytes it arrived in, so that a queue's byte budget counts what the line really weighs and a line
 * that no rule looks at is never decoded; {@link #messageText()} decodes it for rules that must.
 *
 * @param message    the line, UTF-8 (repaired by the collector: never invalid)
 * @param timestamp  epoch milliseconds, as the intake's {@code timestamp}
 * @param status     {@code info}, {@code error}, {@code warn}, ... (the intake's {@code status}); "" to let the intake
 *                   derive it
 * @param service    the intake's {@code service}; "" for none
 * @param source     the intake's {@code ddsource}; "" for none
 * @param hostname   the intake's {@code hostname}; "" to let the sink use the agent's
 * @param tags       the intake's {@code ddtags}
 * @param attributes structured attributes sent beside the message (a JSON line's fields, {@code dd.trace_id}, the
 *                   container's name): values are {@code String}, {@code Number}, {@code Boolean}, {@code null}, or
 *                   {@code List}/{@code Map} of those. Immutable: the map handed in becomes the record's own
 */
public record LogRecord(byte[] message, long timestamp, String status, String service, String source, String hostname,
                        TagSet tags, Map<String, Object> attributes) implements Signal {

    /** Heap of a record beside its message, tags and attributes: the object, the array header, the strings' headers. */
    private static final int OVERHEAD_BYTES = 160;

    public LogRecord {
        Objects.requireNonNull(message, "message");
        status = status == null ? "" : status;
        service = service == null ? "" : service;
        source = source == null ? "" : source;
        hostname = hostname == null ? "" : hostname;
        tags = tags == null ? TagSet.EMPTY : tags;
        attributes = attributes == null || attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(attributes);
    }

    /** A record of a text line with no attributes. */
    public static LogRecord of(String message, long timestamp, String status, String service, String source,
                               TagSet tags) {
        return new LogRecord(message.getBytes(StandardCharsets.UTF_8), timestamp, status, service, source, "", tags,
                null);
    }

    /** The message as text. */
    public String messageText() {
        return new String(message, StandardCharsets.UTF_8);
    }

    /** The same record with another message, e.g. after a rule masked part of it. */
    public LogRecord withMessage(byte[] newMessage) {
        return new LogRecord(newMessage, timestamp, status, service, source, hostname, tags, attributes);
    }

    /** The same record with other tags. */
    public LogRecord withTags(TagSet newTags) {
        return new LogRecord(message, timestamp, status, service, source, hostname, newTags, attributes);
    }

    @Override
    public SignalKind kind() {
        return SignalKind.LOG;
    }

    /**
     * The message's bytes, the strings at up to two bytes a character (Java keeps non-Latin-1 text in UTF-16), the tags
     * as the tag set weighs them and the attributes walked to a fixed depth, plus the objects' overhead.
     */
    @Override
    public int estimatedBytes() {
        long bytes = OVERHEAD_BYTES + message.length
                + 2L * (status.length() + service.length() + source.length() + hostname.length())
                + tags.heapBytes() + attributeBytes(attributes, 0);
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** What an attribute value weighs on the heap, about; nesting past 16 levels is counted flat. */
    public static long attributeBytes(Object value, int depth) {
        if (value == null || value instanceof Boolean) {
            return 8;
        }
        if (value instanceof String s) {
            return 48 + 2L * s.length();
        }
        if (value instanceof Number) {
            return 24;
        }
        if (depth >= 16) {
            return 64;
        }
        if (value instanceof Map<?, ?> map) {
            long bytes = 64;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                bytes += 40 + attributeBytes(e.getKey(), depth + 1) + attributeBytes(e.getValue(), depth + 1);
            }
            return bytes;
        }
        if (value instanceof List<?> list) {
            long bytes = 40;
            for (Object element : list) {
                bytes += 8 + attributeBytes(element, depth + 1);
            }
            return bytes;
        }
        return 64 + 2L * String.valueOf(value).length();
    }
}
