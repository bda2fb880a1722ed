package io.pilotfish.sink.datadog.common;

/** Removes a secret (the API key) from text that came from outside: response bodies, headers, exception messages. */
@FunctionalInterface
public interface Redactor {

    /** Leaves text unchanged. */
    Redactor NONE = text -> text;

    /** The text with every occurrence of the secret masked; {@code null} stays {@code null}. */
    String redact(String text);
}
