package io.pilotfish.sink.datadog.events;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.TagSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * JSON bodies of the public API: one {@code EventCreateRequest} for {@code POST /api/v1/events}, and an array of
 * {@code ServiceCheck} for {@code POST /api/v1/check_run} (datadog-api-client-go {@code api/datadogV1} models).
 * Tags are the signal's tags merged with the agent's global tags.
 */
final class EventEncoder {

    /** Titles are cut to 100: safe for every events API, though the v1 model states no limit (see README). */
    static final int TITLE_MAX_CHARS = 100;
    /** v1 {@code EventCreateRequest.text}: "Limited to 4000 characters". */
    static final int TEXT_MAX_CHARS = 4000;
    /** v1 {@code EventCreateRequest.aggregation_key}: "Limited to 100 characters". */
    static final int AGGREGATION_KEY_MAX_CHARS = 100;
    /** Hex digits of the key's SHA-256 a shortened aggregation key ends with: 128 bits, so keys do not collide. */
    static final int AGGREGATION_KEY_HASH_CHARS = 32;
    /** Between the readable start of a long aggregation key and its hash. */
    static final char AGGREGATION_KEY_HASH_SEPARATOR = '~';

    /** Datadog renders text between these as markdown; truncation keeps the closing marker. */
    static final String MARKDOWN_START = "%%% \n";
    static final String MARKDOWN_END = "\n %%%";

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    /** Which fields of an event were cut to the intake's limits. */
    record Truncations(boolean title, boolean text) {
        static final Truncations NONE = new Truncations(false, false);

        boolean any() {
            return title || text;
        }
    }

    /**
     * @param json                    the uncompressed body
     * @param aggregationKeyShortened the aggregation key was over the limit and replaced by {@link #aggregationKey}
     */
    record EncodedEvent(byte[] json, Truncations truncations, boolean aggregationKeyShortened) {
    }

    private EventEncoder() {
    }

    /**
     * One event as {@code {"title":..,"text":..,...}}; an over-long title or text is truncated, an over-long
     * aggregation key shortened ({@link #aggregationKey}), never rejected.
     */
    static EncodedEvent event(Event event, TagSet globalTags) {
        String title = truncate(event.title(), TITLE_MAX_CHARS);
        String text = truncateText(event.text());
        String aggregationKey = aggregationKey(event.aggregationKey());
        Truncations truncations = new Truncations(!title.equals(event.title()), !text.equals(event.text()));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + text.length());
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            json.writeStringField("title", title);
            json.writeStringField("text", text);
            if (event.timestamp() > 0) {
                json.writeNumberField("date_happened", event.timestamp());
            }
            json.writeStringField("priority", event.priority().name().toLowerCase(Locale.ROOT));
            json.writeStringField("alert_type", event.alertType().name().toLowerCase(Locale.ROOT));
            if (!event.host().isEmpty()) {
                json.writeStringField("host", event.host());
            }
            TagSet tags = event.tags().with(globalTags);
            if (!tags.isEmpty()) {
                writeTags(tags, json);
            }
            if (!aggregationKey.isEmpty()) {
                json.writeStringField("aggregation_key", aggregationKey);
            }
            if (!event.sourceTypeName().isEmpty()) {
                json.writeStringField("source_type_name", event.sourceTypeName());
            }
            json.writeEndObject();
        } catch (IOException e) {
            // Only an in-memory stream is involved; an IOException here is a bug, not a condition to classify.
            throw new UncheckedIOException(e);
        }
        return new EncodedEvent(out.toByteArray(), truncations, !aggregationKey.equals(event.aggregationKey()));
    }

    /**
     * An aggregation key the events API takes. A key within {@value #AGGREGATION_KEY_MAX_CHARS} characters (UTF-16
     * units, the stricter count) is kept. A longer one, such as a task ARN, becomes its start, {@code ~} and 32 hex
     * digits of the SHA-256 of the whole key: exactly the limit, the same for the same key on every task and after
     * every restart (events still group), different for different keys even when they share their first characters.
     * A cut would make two tasks of one cluster, whose ARNs differ only at the end, group as one.
     */
    static String aggregationKey(String key) {
        if (key.length() <= AGGREGATION_KEY_MAX_CHARS) {
            return key;
        }
        int prefix = AGGREGATION_KEY_MAX_CHARS - 1 - AGGREGATION_KEY_HASH_CHARS;
        if (Character.isHighSurrogate(key.charAt(prefix - 1))) {
            prefix--; // never half a surrogate pair
        }
        byte[] digest = sha256(key.getBytes(StandardCharsets.UTF_8));
        return key.substring(0, prefix) + AGGREGATION_KEY_HASH_SEPARATOR
                + HexFormat.of().formatHex(digest, 0, AGGREGATION_KEY_HASH_CHARS / 2);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest's contract).
            throw new IllegalStateException(e);
        }
    }

    /**
     * Service checks as {@code [{"check":..,"host_name":..,"status":0,...}]}. {@code host_name} and {@code tags} are
     * required by the API, so they are always written (empty on Fargate, where tasks have no host).
     */
    static byte[] checks(List<ServiceCheck> checks, TagSet globalTags) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + checks.size() * 160);
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartArray();
            for (ServiceCheck check : checks) {
                json.writeStartObject();
                json.writeStringField("check", check.name());
                json.writeStringField("host_name", check.host());
                json.writeNumberField("status", check.status().code());
                if (check.timestamp() > 0) {
                    json.writeNumberField("timestamp", check.timestamp());
                }
                if (!check.message().isEmpty()) {
                    json.writeStringField("message", check.message());
                }
                writeTags(check.tags().with(globalTags), json);
                json.writeEndObject();
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeTags(TagSet tags, JsonGenerator json) throws IOException {
        json.writeArrayFieldStart("tags");
        for (int i = 0; i < tags.size(); i++) {
            json.writeString(tags.get(i));
        }
        json.writeEndArray();
    }

    /**
     * The first {@code max} characters (Unicode code points, so a surrogate pair is never split), or the value
     * itself when it is not longer.
     */
    static String truncate(String value, int max) {
        if (value.length() <= max) {
            return value; // never more code points than chars
        }
        if (value.codePointCount(0, value.length()) <= max) {
            return value;
        }
        return value.substring(0, value.offsetByCodePoints(0, max));
    }

    /** Like {@link #truncate}, but a markdown block keeps its closing {@code %%%} so it still renders. */
    static String truncateText(String text) {
        String cut = truncate(text, TEXT_MAX_CHARS);
        if (cut.equals(text) || !text.startsWith(MARKDOWN_START) || !text.endsWith(MARKDOWN_END)) {
            return cut;
        }
        String body = text.substring(0, text.length() - MARKDOWN_END.length());
        return truncate(body, TEXT_MAX_CHARS - MARKDOWN_END.length()) + MARKDOWN_END;
    }
}
