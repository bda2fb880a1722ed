package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.SafeText;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Typed reads from one container's stats tree. A missing field or JSON {@code null} is "absent" (NaN for numbers,
 * null otherwise); a value of the wrong type throws {@link MalformedEntryException}, which skips that container.
 */
final class StatsFields {

    private StatsFields() {
    }

    /** Thrown for a value of the wrong type inside one container's entry. */
    static final class MalformedEntryException extends RuntimeException {
        MalformedEntryException(String message) {
            super(message, null, false, false);
        }
    }

    static JsonNode object(JsonNode parent, String parentPath, String field) {
        JsonNode value = parent == null ? null : parent.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            throw wrongType(parentPath, field, "an object", value);
        }
        return value;
    }

    static double number(JsonNode parent, String parentPath, String field) {
        JsonNode value = parent == null ? null : parent.get(field);
        if (value == null || value.isNull()) {
            return Double.NaN;
        }
        if (!value.isNumber()) {
            throw wrongType(parentPath, field, "a number", value);
        }
        double number = value.doubleValue();
        if (!Double.isFinite(number)) {
            // 1e400 is valid JSON but no counter: sent on, it would be an infinite point no intake accepts.
            throw wrongType(parentPath, field, "a finite number", value);
        }
        return number;
    }

    /** An array, or null when absent. The string {@code "None"} counts as absent (seen in Windows payloads). */
    static JsonNode list(JsonNode parent, String parentPath, String field) {
        JsonNode value = parent == null ? null : parent.get(field);
        if (value == null || value.isNull() || (value.isTextual() && "None".equals(value.textValue()))) {
            return null;
        }
        if (!value.isArray()) {
            throw wrongType(parentPath, field, "an array", value);
        }
        return value;
    }

    static Instant timestamp(JsonNode parent, String field) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw wrongType("", field, "an RFC 3339 timestamp", value);
        }
        String text = value.textValue();
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notUtc) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e) {
                throw wrongType("", field, "an RFC 3339 timestamp", value);
            }
        }
    }

    static MalformedEntryException wrongType(String parentPath, String field, String expected, JsonNode value) {
        // Interface names in the path come from the body.
        String path = SafeText.excerpt(parentPath.isEmpty() ? field : parentPath + "." + field, 120);
        return new MalformedEntryException(path + " should be " + expected + " but is " + describe(value));
    }

    /** A container id (a key of the body) or name as a message shows it: escaped, and cut if it is long. */
    static String shown(String idOrName) {
        return SafeText.excerpt(idOrName, 80);
    }

    /** A short description of a JSON value for error messages. */
    static String describe(JsonNode value) {
        if (value.isTextual()) {
            String text = value.textValue();
            return "the string " + SafeText.quote(text, 40);
        }
        if (value.isObject()) {
            return "an object";
        }
        if (value.isArray()) {
            return "an array";
        }
        if (value.isBoolean()) {
            return "the boolean " + value.booleanValue();
        }
        if (value.isNumber()) {
            return "the number " + value.asText();
        }
        return value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
