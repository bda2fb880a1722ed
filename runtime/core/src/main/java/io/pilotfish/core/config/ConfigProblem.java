package io.pilotfish.core.config;

/**
 * One configuration error: the full key, the offending value (masked if secret), where the value came from and what
 * is expected.
 */
public record ConfigProblem(String key, String value, String source, String expected) {

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
