package io.pilotfish.core.config;

import io.pilotfish.spi.SafeText;

/**
 * One configuration error: the full key, the offending value (masked if secret), where the value came from and what
 * is expected.
 */
public record ConfigProblem(String key, String value, String source, String expected) {

    /** How much of a value an error quotes. */
    static final int VALUE_CHARS = 256;

    /**
     * Every field is made safe here, so no path that reports a problem can print a URL's credentials or a control
     * byte: the value of a bad URL is most often quoted exactly when its scheme is missing or wrong.
     */
    public ConfigProblem {
        value = value == null ? null : SafeText.excerpt(ConfigValue.shown(key, value), VALUE_CHARS);
        key = key == null ? null : SafeText.escape(key);
        source = source == null ? null : SafeText.clean(source);
        expected = expected == null ? null : SafeText.clean(expected);
    }

    /** One line a user can act on. */
    public String describe() {
        StringBuilder line = new StringBuilder(key);
        if (value != null) {
            line.append("=\"").append(value).append('"');
        }
        if (source != null && !source.isEmpty()) {
            line.append(" (from ").append(source).append(')');
        }
        return line.append(": ").append(expected).toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
