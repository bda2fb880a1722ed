package io.pilotfish.spi;

import java.util.Objects;

/** A secret value (an API key). {@link #toString} never shows it; only {@link #reveal} does, at the point of use. */
public final class Secret {

    private final String value;

    public Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public String reveal() {
        return value;
    }

    /** A short form safe to print: the last four characters, as Datadog's own UI shows keys. */
    public String masked() {
        return value.length() <= 4 ? "****" : "****" + value.substring(value.length() - 4);
    }

    @Override
    public String toString() {
        return masked();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
