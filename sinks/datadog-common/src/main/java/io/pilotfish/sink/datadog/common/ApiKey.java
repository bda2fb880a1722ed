package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Secret;
import java.util.Objects;
import java.util.Optional;

/**
 * The Datadog API key as it is sent in the {@code DD-API-KEY} header. Read from the agent settings at every export
 * (the key may be rotated while running). {@link #toString} and {@link #redact} show only the masked form
 * ({@code ****} and the last four characters).
 */
public final class ApiKey implements Redactor {

    /** The request header that carries the key. */
    public static final String HEADER = "DD-API-KEY";

    public static final String NO_API_KEY = "no API key configured: set DD_API_KEY (or the SSM parameter that holds "
            + "it); data stays queued until a key is available";
    public static final String BAD_API_KEY = "the API key contains characters that cannot be sent in an HTTP header "
            + "(spaces, line breaks or non-ASCII): check the value of DD_API_KEY";

    /** The outcome of reading the key: {@link Usable} or {@link Unusable}. */
    public sealed interface Lookup permits Usable, Unusable {
    }

    /** A key that can be sent. */
    public record Usable(ApiKey key) implements Lookup {
    }

    /**
     * No key, or one that cannot be a header value. Either way the export is {@link ExportResult.Retryable}: the data
     * waits for a corrected (rotated) key instead of being dropped.
     *
     * @param logKind the {@link io.pilotfish.spi.PluginLog} kind to warn under
     * @param reason  what to fix; never contains the key
     */
    public record Unusable(String logKind, String reason) implements Lookup {
        public ExportResult.Retryable result() {
            return new ExportResult.Retryable(reason);
        }
    }

    private final Secret secret;

    private ApiKey(Secret secret) {
        this.secret = secret;
    }

    /** The current key; surrounding whitespace (a trailing newline from a file or SSM) is ignored. */
    public static Lookup lookup(AgentSettings agent) {
        Optional<Secret> configured = agent.apiKey().get();
        String value = configured.map(k -> k.reveal().strip()).orElse("");
        if (value.isEmpty()) {
            return new Unusable("no_api_key", NO_API_KEY);
        }
        if (!value.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            return new Unusable("bad_api_key", BAD_API_KEY);
        }
        return new Usable(new ApiKey(new Secret(value)));
    }

    /** The value for {@link #HEADER}; only for building the request. */
    public String headerValue() {
        return secret.reveal();
    }

    /**
     * The text with the key replaced by its masked form, in every form a peer may echo it in (any case, base64,
     * URL-encoded: {@link Secret#redact}).
     */
    @Override
    public String redact(String text) {
        return secret.redact(text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKey other && secret.equals(other.secret);
    }

    @Override
    public int hashCode() {
        return Objects.hash(secret);
    }

    @Override
    public String toString() {
        return secret.masked();
    }
}
