package io.pilotfish.processing.logs;

import io.pilotfish.spi.signal.LogRecord;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A message that is a JSON object becomes structured: its top-level fields are lifted into the record's attributes
 * (over the collector's), its {@code message} (else {@code msg}, else {@code log}) string becomes the message and
 * leaves the attributes, so that nothing is sent twice (logs are billed by the byte). Without such a field the line
 * stays as it is and nothing is lifted. {@code status}/{@code level}/{@code severity}/{@code log.level} sets the
 * status, {@code service} the service when the record has none; trace ids ({@code dd.trace_id}, {@code dd:{trace_id}})
 * stay in the attributes as sent, where the intake correlates them. A {@code timestamp} the intake's date remapper
 * would read (epoch milliseconds, or an ISO-8601 date-time) becomes the record's timestamp: as an attribute it would
 * collide with the log's own {@code timestamp} field and be lost.
 */
final class JsonLines {

    /** The deepest nesting read; a deeper document stays text. */
    static final int MAX_DEPTH = 16;

    private static final String[] MESSAGE_FIELDS = {"message", "msg", "log"};
    private static final String[] STATUS_FIELDS = {"status", "level", "severity", "log.level"};

    private JsonLines() {
    }

    /** Whether the message looks like a JSON object: first and last non-space bytes are braces. */
    static boolean looksLikeObject(byte[] message) {
        int i = 0;
        int n = message.length;
        while (i < n && isSpace(message[i])) {
            i++;
        }
        while (n > i && isSpace(message[n - 1])) {
            n--;
        }
        return n - i >= 2 && message[i] == '{' && message[n - 1] == '}';
    }

    /** The record with its JSON lifted, or the record itself when it is not a JSON object with a message field. */
    static LogRecord lift(LogRecord record) {
        byte[] bytes = record.message();
        if (!looksLikeObject(bytes)) {
            return record;
        }
        Object parsed;
        try {
            parsed = Json.parse(bytes, 0, bytes.length, MAX_DEPTH);
        } catch (Json.Malformed e) {
            return record; // invalid JSON goes as text
        }
        if (!(parsed instanceof Map<?, ?> raw)) {
            return record;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) raw;
        String messageField = null;
        for (String name : MESSAGE_FIELDS) {
            if (fields.get(name) instanceof String) {
                messageField = name;
                break;
            }
        }
        if (messageField == null) {
            return record;
        }
        String message = (String) fields.remove(messageField);
        String status = record.status();
        String jsonStatus = statusOf(fields);
        if (jsonStatus != null) {
            status = jsonStatus;
        }
        String service = record.service();
        if (service.isEmpty() && fields.get("service") instanceof String s && !s.isEmpty()) {
            service = s;
        }
        long timestamp = record.timestamp();
        Long own = timestampOf(fields.get("timestamp"));
        if (own != null) {
            timestamp = own;
            fields.remove("timestamp");
        }
        Map<String, Object> attributes;
        if (record.attributes().isEmpty()) {
            attributes = fields;
        } else {
            attributes = new LinkedHashMap<>(record.attributes());
            attributes.putAll(fields);
        }
        return new LogRecord(message.getBytes(StandardCharsets.UTF_8), timestamp, status, service,
                record.source(), record.hostname(), record.tags(), attributes);
    }

    /** Epoch milliseconds from 2001 on, or seconds from 2001 on (a number under 10^11). */
    private static final long MIN_EPOCH_MILLIS = 1_000_000_000_000L;
    private static final long MIN_EPOCH_SECONDS = 1_000_000_000L;
    private static final long MAX_EPOCH_SECONDS = 100_000_000_000L;

    /**
     * Epoch milliseconds from a JSON {@code timestamp}: a number of milliseconds (as the intake reads one), or of
     * seconds when it is too small to be milliseconds of this century (a common logger setting, which the intake
     * would place in 1970 and refuse as too old), or an ISO-8601 date-time with an offset; null for anything else.
     */
    static Long timestampOf(Object value) {
        if (value instanceof Long millis) {
            if (millis >= MIN_EPOCH_MILLIS && millis < MAX_EPOCH_SECONDS * 1000) {
                return millis;
            }
            return millis >= MIN_EPOCH_SECONDS && millis < MAX_EPOCH_SECONDS ? millis * 1000 : null;
        }
        if (value instanceof java.math.BigDecimal seconds && seconds.compareTo(java.math.BigDecimal.valueOf(
                MIN_EPOCH_SECONDS)) >= 0 && seconds.compareTo(java.math.BigDecimal.valueOf(MAX_EPOCH_SECONDS)) < 0) {
            return seconds.movePointRight(3).longValue();
        }
        if (value instanceof String text && text.length() >= 20 && text.length() <= 40) {
            try {
                return java.time.OffsetDateTime.parse(text).toInstant().toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                return null;
            }
        }
        return null;
    }

    /** The Datadog status a JSON field names, or null when there is none or it is not one we know. */
    private static String statusOf(Map<String, Object> fields) {
        for (String name : STATUS_FIELDS) {
            Object value = fields.get(name);
            if (value == null && name.equals("log.level") && fields.get("log") instanceof Map<?, ?> log) {
                value = log.get("level");
            }
            if (value instanceof String s) {
                String status = datadogStatus(s);
                if (status != null) {
                    return status;
                }
            }
        }
        return null;
    }

    /**
     * A level as Datadog's statuses name it: emerg, alert, critical, error, warn, notice, info, debug (any case; the
     * usual aliases: warning, err, fatal, crit, emergency, panic, information, informational, trace, verbose).
     */
    static String datadogStatus(String level) {
        String s = level.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "emerg", "emergency", "panic" -> "emerg";
            case "alert" -> "alert";
            case "critical", "crit", "fatal" -> "critical";
            case "error", "err" -> "error";
            case "warn", "warning" -> "warn";
            case "notice" -> "notice";
            case "info", "information", "informational" -> "info";
            case "debug", "trace", "verbose" -> "debug";
            default -> null;
        };
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }
}
