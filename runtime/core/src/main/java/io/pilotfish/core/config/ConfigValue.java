package io.pilotfish.core.config;

/** A raw value with the name of the source that provided it ({@code env DD_SITE}, {@code application.properties}). */
public record ConfigValue(String value, String source) {

    public static ConfigValue of(String value) {
        return new ConfigValue(value, "");
    }
}
