package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the logs intake received, read back: every log of every accepted {@code /api/v2/logs} request, in the order
 * the requests arrived and, within one, the order of the array. A body is a JSON array of the Agent's log records,
 * {@code {"message","status","timestamp","hostname","service","ddsource","ddtags",...attributes}}; the recorder has
 * already undone its compression (zstd, gzip or deflate). A body that is not such an array fails the test: the sink must never send one.
 */
public final class RecordedLogs {

    public static final String LOGS_PATH = "/api/v2/logs";

    /** The record's own fields; every other field of the object is an attribute. */
    private static final List<String> STANDARD_FIELDS = List.of("message", "status", "timestamp", "hostname",
            "service", "ddsource", "ddtags");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One log as the intake got it.
     *
     * @param request    the recorder's sequence number of the request that carried it
     * @param index      its position in that request's array
     * @param timestamp  milliseconds since the epoch; -1 when the field is absent
     * @param ddtags     the comma-separated tags as sent; "" when absent
     * @param attributes every other top-level field, decoded (maps, lists, strings, numbers, booleans, null)
     */
    public record Log(long request, int index, String message, String status, long timestamp, String hostname,
               String service, String ddsource, String ddtags, Map<String, Object> attributes) {

        public List<String> tags() {
            return ddtags.isEmpty() ? List.of() : Arrays.stream(ddtags.split(",")).map(String::trim).toList();
        }

        public boolean hasTags(String... required) {
            return tags().containsAll(List.of(required));
        }

        @Override
        public String toString() {
            return "#" + request + "[" + index + "] " + status + " \"" + message + "\" service=" + service
                    + " ddsource=" + ddsource + " ddtags=" + ddtags + " " + attributes;
        }
    }

    private RecordedLogs() {
    }

    /** Every log the intake accepted (answered 2xx), in arrival order. */
    public static List<Log> all(IntakeRecorder intake) {
        return accepted(intake, log -> true);
    }

    /** The accepted logs {@code which} selects, in arrival order. */
    public static List<Log> accepted(IntakeRecorder intake, Predicate<Log> which) {
        List<Log> out = new ArrayList<>();
        for (RecordedRequest request : intake.requests(LOGS_PATH)) {
            if (request.accepted()) {
                for (Log log : decode(request)) {
                    if (which.test(log)) {
                        out.add(log);
                    }
                }
            }
        }
        return out;
    }

    /** The accepted logs whose message starts with {@code prefix}, in arrival order. */
    public static List<Log> withMessageStartingWith(IntakeRecorder intake, String prefix) {
        return accepted(intake, log -> log.message().startsWith(prefix));
    }

    /** The logs of one request's body. */
    public static List<Log> decode(RecordedRequest request) {
        JsonNode body;
        try {
            body = JSON.readTree(request.body());
        } catch (IOException e) {
            throw new AssertionError("logs request " + request + " is not JSON: " + e.getMessage()
                    + "; body starts: " + start(request));
        }
        if (body == null || !body.isArray()) {
            throw new AssertionError("logs request " + request + " is not a JSON array; body starts: "
                    + start(request));
        }
        List<Log> logs = new ArrayList<>(body.size());
        for (int i = 0; i < body.size(); i++) {
            JsonNode entry = body.get(i);
            if (!entry.isObject()) {
                throw new AssertionError("logs request " + request + ": entry " + i + " is not an object: " + entry);
            }
            Map<String, Object> attributes = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> fields = entry.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!STANDARD_FIELDS.contains(field.getKey())) {
                    attributes.put(field.getKey(), JSON.convertValue(field.getValue(), Object.class));
                }
            }
            JsonNode timestamp = entry.get("timestamp");
            logs.add(new Log(request.sequence(), i, text(entry, "message"), text(entry, "status"),
                    timestamp != null && timestamp.canConvertToLong() ? timestamp.asLong() : -1,
                    text(entry, "hostname"), text(entry, "service"), text(entry, "ddsource"), text(entry, "ddtags"),
                    Collections.unmodifiableMap(attributes)));
        }
        return logs;
    }

    private static String text(JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }

    private static String start(RecordedRequest request) {
        String text = request.bodyText();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}
