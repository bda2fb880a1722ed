package io.pilotfish.sink.console;

import java.util.Objects;

/**
 * Settings of one {@code console} sink.
 *
 * @param format how each signal is printed (key {@code format})
 */
public record ConsoleConfig(Format format) {

    public enum Format {
        /** One readable line per signal. */
        TEXT,
        /** One JSON object per line, with the Datadog intake's field names. */
        JSON
    }

    public static final ConsoleConfig DEFAULTS = new ConsoleConfig(Format.TEXT);

    public ConsoleConfig {
        Objects.requireNonNull(format, "format");
    }
}
