package io.pilotfish.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Jackson helpers shared by the simulators. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    static JsonNode parse(byte[] bytes, String what) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException(what + " is empty: expected a JSON document");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode parseObject(byte[] bytes, String what) {
        JsonNode node = parse(bytes, what);
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException(what + " must be a JSON object, got " + node.getNodeType());
        }
        return object;
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String string(JsonNode node) {
        return new String(bytes(node), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Adds {@code delta} to a numeric field; absent or non-numeric fields (e.g. Windows "None") are left alone. */
    static void add(ObjectNode parent, String field, long delta) {
        JsonNode current = parent.get(field);
        if (current != null && current.isIntegralNumber() && current.canConvertToLong()) {
            parent.put(field, current.longValue() + delta);
        }
    }

    static void addAt(ArrayNode array, int index, long delta) {
        JsonNode current = array.get(index);
        if (current != null && current.isIntegralNumber() && current.canConvertToLong()) {
            array.set(index, LongNode.valueOf(current.longValue() + delta));
        }
    }

    static long longAt(JsonNode parent, String field, long fallback) {
        JsonNode value = parent == null ? null : parent.get(field);
        return value != null && value.isNumber() && value.canConvertToLong() ? value.longValue() : fallback;
    }

    static String text(JsonNode parent, String field, String fallback) {
        JsonNode value = parent == null ? null : parent.get(field);
        return value != null && value.isTextual() ? value.textValue() : fallback;
    }

    static Optional<Instant> instant(JsonNode parent, String field) {
        String text = text(parent, field, null);
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** RFC 3339 with nanoseconds, as the ECS agent (Go) writes it. */
    static String time(Instant instant) {
        return instant.toString();
    }
}
