package io.pilotfish.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * An answer {@link IntakeRecorder} gives instead of the default 202.
 *
 * @param retryAfter value of the {@code Retry-After} header, e.g. {@code "7"}
 * @param body       response body; the default is Datadog's {@code {"errors":[...]}}
 * @param delay      how long the intake holds the answer after the whole body arrived (a hanging intake); zero
 *                   answers at once. A client that goes away while the answer is held never gets it: the request is
 *                   then recorded with {@link #CLIENT_CLOSED} instead of this status, and is not accepted.
 */
public record ScriptedResponse(int status, Optional<String> retryAfter, String body, Duration delay) {

    /** What a request is recorded with when its client closed the connection before a held answer (nginx's 499). */
    public static final int CLIENT_CLOSED = 499;

    public ScriptedResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status (100-599), got " + status);
        }
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
    }

    public static ScriptedResponse status(int status) {
        return new ScriptedResponse(status, Optional.empty(), defaultBody(status), Duration.ZERO);
    }

    public ScriptedResponse withRetryAfter(String value) {
        return new ScriptedResponse(status, Optional.of(value), body, delay);
    }

    public ScriptedResponse withBody(String value) {
        return new ScriptedResponse(status, retryAfter, value, delay);
    }

    /** The same answer, held this long before it is written (see {@code delay}). */
    public ScriptedResponse after(Duration value) {
        return new ScriptedResponse(status, retryAfter, body, value);
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
