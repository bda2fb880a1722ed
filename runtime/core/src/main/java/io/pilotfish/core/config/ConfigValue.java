package io.pilotfish.core.config;

/**
 * A raw value, the name of the source that provided it ({@code Datadog environment (DD_*)}, {@code ssm:/pilotfish/x})
 * and that source's ordinal: when two sources set one key, the higher ordinal wins. A secret value (a SecureString
 * parameter) is masked wherever the key is shown, whatever the key.
 */
public record ConfigValue(String value, String source, int ordinal, boolean secret) {

    /** System properties. */
    public static final int SYSTEM_PROPERTY = 400;
    /** {@code PILOTFISH_*} environment variables. */
    public static final int PILOTFISH_ENV = 300;
    /** The Datadog Agent's {@code DD_*} variables. */
    public static final int DATADOG_ENV = 275;
    /** SSM Parameter Store. */
    public static final int SSM = 270;
    /** The packaged application.properties. */
    public static final int DEFAULTS = 250;

    public ConfigValue(String value, String source) {
        this(value, source, DEFAULTS);
    }

    public ConfigValue(String value, String source, int ordinal) {
        this(value, source, ordinal, false);
    }

    /** Never shows a secret value (a SecureString parameter, an API key). */
    @Override
    public String toString() {
        return "ConfigValue[" + (secret ? "****" : value) + " from " + source + "]";
    }

    public static ConfigValue of(String value) {
        return new ConfigValue(value, "", DEFAULTS);
    }
}
