package io.pilotfish.testkit;

import java.util.Objects;
import java.util.Optional;

/**
 * An answer {@link IntakeRecorder} gives instead of the default 202.
 *
 * @param retryAfter value of the {@code Retry-After} header, e.g. {@code "7"}
 * @param body       response body; the default is Datadog's {@code {"errors":[...]}}
 */
public record ScriptedResponse(int status, Optional<String> retryAfter, String body) {

    public ScriptedResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status (100-599), got " + status);
        }
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(body, "body");
    }

    public static ScriptedResponse status(int status) {
        return new ScriptedResponse(status, Optional.empty(), defaultBody(status));
    }

    public ScriptedResponse withRetryAfter(String value) {
        return new ScriptedResponse(status, Optional.of(value), body);
    }

    public ScriptedResponse withBody(String value) {
        return new ScriptedResponse(status, retryAfter, value);
    }

    static String defaultBody(int status) {
        return switch (status) {
            case 200, 201, 202, 204 -> "{\"errors\":[]}";
            case 400 -> "{\"errors\":[\"Bad Request\"]}";
            case 403 -> "{\"errors\":[\"Forbidden\"]}";
            case 408 -> "{\"errors\":[\"Request timeout\"]}";
            case 413 -> "{\"errors\":[\"Payload too large\"]}";
            case 415 -> "{\"errors\":[\"Unsupported Media Type\"]}";
            case 429 -> "{\"errors\":[\"Too many requests\"]}";
            case 503 -> "{\"errors\":[\"Service Unavailable\"]}";
            default -> "{\"errors\":[\"HTTP " + status + "\"]}";
        };
    }
}
