package io.pilotfish.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The logs the intake accepted ({@code /api/v2/logs}), in the order they arrived: each request's body is a JSON
 * array of the Agent's log records ({@code message}, {@code status}, {@code service}, {@code ddsource},
 * {@code ddtags}, and attributes). A body that is not such an array fails the test.
 */
final class TaskLogs {

    static final String PATH = "/api/v2/logs";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> STANDARD = Set.of("message", "status", "timestamp", "hostname", "service",
            "ddsource", "ddtags");

    record Log(String message, String status, String service, String ddsource, String ddtags,
               Map<String, Object> attributes) {

        List<String> tags() {
            return ddtags.isEmpty() ? List.of() : Arrays.stream(ddtags.split(",")).map(String::trim).toList();
        }

        boolean hasTags(String... required) {
            return tags().containsAll(List.of(required));
        }

        @Override
        public String toString() {
            return status + " \"" + message + "\" service=" + service + " ddsource=" + ddsource + " ddtags=" + ddtags
                    + " " + attributes;
        }
    }

    private TaskLogs() {
    }

    static List<Log> accepted(IntakeRecorder intake) {
        List<Log> logs = new ArrayList<>();
        for (RecordedRequest request : intake.requests(PATH)) {
            if (!request.accepted()) {
                continue;
            }
            JsonNode body;
            try {
                body = JSON.readTree(request.body());
            } catch (IOException e) {
                throw new AssertionError("logs request " + request + " is not JSON: " + e.getMessage());
            }
            if (body == null || !body.isArray()) {
                throw new AssertionError("logs request " + request + " is not a JSON array");
            }
            for (JsonNode entry : body) {
                Map<String, Object> attributes = new LinkedHashMap<>();
                entry.fields().forEachRemaining(f -> {
                    if (!STANDARD.contains(f.getKey())) {
                        attributes.put(f.getKey(), JSON.convertValue(f.getValue(), Object.class));
                    }
                });
                logs.add(new Log(text(entry, "message"), text(entry, "status"), text(entry, "service"),
                        text(entry, "ddsource"), text(entry, "ddtags"), attributes));
            }
        }
        return logs;
    }

    private static String text(JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }
}
