package io.pilotfish.core.config;

import io.pilotfish.spi.SafeText;

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

    /** Never shows a secret value (a SecureString parameter, an API key) nor the credentials of a URL. */
    @Override
    public String toString() {
        return "ConfigValue[" + (secret ? "****" : shown(value)) + " from " + source + "]";
    }

    /**
     * A value as every output shows it: the credentials of a URL in it masked ({@code http://***@proxy:3128}) and
     * control characters escaped. A secret value is not shown at all.
     */
    public static String shown(String value) {
        return value == null ? null : SafeText.escape(SafeText.maskCredentials(value));
    }

    /**
     * As {@link #shown(String)}; the value of a key meant to hold a URL ({@code *url*}, {@code *proxy*},
     * {@code *endpoint*}) also when its scheme is missing ({@code user:pass@proxy:3128}). Other keys keep such text:
     * {@code owner:jane@example.com} is a tag.
     */
    public static String shown(String key, String value) {
        if (value == null) {
            return null;
        }
        String name = key == null ? "" : key.toUpperCase(java.util.Locale.ROOT);
        boolean url = name.contains("URL") || name.contains("PROXY") || name.contains("ENDPOINT");
        return SafeText.escape(url ? SafeText.maskUrl(value) : SafeText.maskCredentials(value));
    }

    public static ConfigValue of(String value) {
        return new ConfigValue(value, "", DEFAULTS);
    }
}
