package io.pilotfish.spi;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A read-only, typed view of one plugin instance's keys ({@code pilotfish.collectors.<name>.*}). Keys are relative,
 * e.g. {@code interval}. Readers never throw on bad values: they report a problem naming the key, the value, where
 * it came from and what is expected, and return the default so validation can go on and list every error at once.
 */
public interface PluginConfig {

    /** The instance name, e.g. {@code container-stats}. */
    String instanceName();

    Optional<String> string(String key);

    String string(String key, String defaultValue);

    /** A whole number within {@code [min, max]}. */
    long number(String key, long defaultValue, long min, long max);

    /** Accepts {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1h}, ISO-8601 ({@code PT10S}) or bare seconds. */
    Duration duration(String key, Duration defaultValue);

    /** Only {@code true} or {@code false} (any case); anything else is a problem, never a silent false. */
    boolean bool(String key, boolean defaultValue);

    /** Case-insensitive; {@code -} and {@code _} are interchangeable. */
    <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue);

    /** A comma-separated list; empty when the key is absent. */
    List<String> list(String key);

    /** A secret value; never logged, masked in every output. */
    Optional<Secret> secret(String key);

    /** Reports a problem with a key that the reader methods could not see (cross-field rules). */
    void problem(String key, String expected);
}
