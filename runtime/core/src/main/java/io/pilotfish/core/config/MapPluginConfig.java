package io.pilotfish.core.config;

import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.Secret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@link PluginConfig} over the keys of one plugin instance. Records which keys were read, so keys nobody read can
 * be reported as unknown, and collects every problem instead of failing at the first.
 */
public final class MapPluginConfig implements PluginConfig {

    private final String instanceName;
    private final String prefix;
    private final Map<String, ConfigValue> values;
    /** Environment entries in normalized form ({@code QUEUE_MAX_BYTES}), matched when a key is read. */
    private final Map<String, ConfigValue> environment;
    private final Map<String, String> environmentNames;
    private final Set<String> read = new HashSet<>();
    private final Set<String> environmentRead = new HashSet<>();
    private final Map<String, Effective> effective = new TreeMap<>();
    private final Set<String> secretKeys = new HashSet<>();
    private final List<ConfigProblem> problems = new ArrayList<>();

    /**
     * @param prefix  the full prefix of the instance's keys, e.g. {@code pilotfish.collectors.stats.}, used in messages
     * @param values  relative key to value
     */
    public MapPluginConfig(String instanceName, String prefix, Map<String, ConfigValue> values) {
        this(instanceName, prefix, values, Map.of());
    }

    /**
     * @param environment variable name to value, for variables whose name after the instance part is a key in
     *                    environment form ({@code PILOTFISH_SINKS_OUT_QUEUE_MAX_BYTES} → {@code QUEUE_MAX_BYTES});
     *                    they are matched against the keys the plugin reads, since the form alone is ambiguous
     */
    public MapPluginConfig(String instanceName, String prefix, Map<String, ConfigValue> values,
                           Map<String, EnvEntry> environment) {
        this.instanceName = instanceName;
        this.prefix = prefix;
        this.values = new TreeMap<>(values);
        this.environment = new TreeMap<>();
        this.environmentNames = new TreeMap<>();
        environment.forEach((normalized, entry) -> {
            this.environment.put(normalized, entry.value());
            this.environmentNames.put(normalized, entry.variable());
        });
    }

    /** One environment variable, by its key part in normalized form. */
    public record EnvEntry(String variable, ConfigValue value) {
    }

    /**
     * What a key resolved to: the value (masked when secret) and where it came from, or the default. The value is
     * shown, never used: a URL's credentials in it are masked and control characters escaped here, for every output.
     */
    public record Effective(String value, String source, boolean secret) {
        public Effective {
            value = ConfigValue.shown(value);
        }
    }

    /** A value for a message: masked when the key looks like it holds a secret (a misspelt api-key stays secret). */
    static String shown(String key, String value) {
        String upper = key.toUpperCase(Locale.ROOT);
        return upper.contains("KEY") || upper.contains("SECRET") || upper.contains("TOKEN")
                || upper.contains("PASSWORD") ? "****" : value;
    }

    /** The environment form of a key: upper case, every other character an underscore. */
    public static String envKey(String key) {
        StringBuilder out = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            out.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
        }
        return out.toString();
    }

    /** The value a key resolves to: an exact key or its environment form, the higher ordinal winning. */
    private ConfigValue lookup(String key) {
        ConfigValue exact = values.get(key);
        String envForm = envKey(key);
        ConfigValue fromEnv = environment.get(envForm);
        if (fromEnv != null) {
            environmentRead.add(envForm);
        }
        if (exact == null) {
            return fromEnv;
        }
        return fromEnv != null && fromEnv.ordinal() > exact.ordinal() ? fromEnv : exact;
    }

    /** Called only when the key has no value, so it replaces the "(not set)" that the lookup recorded. */
    private void recordDefault(String key, Object defaultValue) {
        effective.put(key, new Effective(display(defaultValue), "default", false));
    }

    /** A default as a user would write it: {@code 10s}, {@code low}, {@code 8125}. */
    private static String display(Object value) {
        if (value instanceof Enum<?> constant) {
            return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
        if (value instanceof Duration duration) {
            long millis = duration.toMillis();
            if (millis % 3_600_000 == 0 && millis > 0) {
                return millis / 3_600_000 + "h";
            }
            if (millis % 60_000 == 0 && millis > 0) {
                return millis / 60_000 + "m";
            }
            return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
        }
        return String.valueOf(value);
    }

    /** Replaces a default the platform worked out after reading (a queue budget shared out of the heap). */
    public void derived(String key, String value, String how) {
        effective.put(key, new Effective(value, how, false));
    }

    /** Every key the plugin read, with its effective value and source; secrets masked. */
    public Map<String, Effective> effective() {
        return java.util.Collections.unmodifiableMap(effective);
    }

    /** The full key prefix of this instance, e.g. {@code pilotfish.collectors.stats.}. */
    public String prefix() {
        return prefix;
    }

    /** For tests and simple callers: values without source names. */
    public static MapPluginConfig of(String instanceName, Map<String, String> values) {
        Map<String, ConfigValue> withSources = new TreeMap<>();
        values.forEach((k, v) -> withSources.put(k, ConfigValue.of(v)));
        return new MapPluginConfig(instanceName, "pilotfish.plugins." + instanceName + ".", withSources);
    }

    @Override
    public String instanceName() {
        return instanceName;
    }

    @Override
    public Optional<String> string(String key) {
        read.add(key);
        ConfigValue value = lookup(key);
        if (value == null) {
            effective.putIfAbsent(key, new Effective("(not set)", "default", secretKeys.contains(key)));
            return Optional.empty();
        }
        boolean secret = secretKeys.contains(key) || value.secret();
        effective.put(key, new Effective(secret ? "****" : ConfigValue.shown(key, value.value().trim()),
                value.source(), secret));
        return Optional.of(value.value().trim());
    }

    @Override
    public String string(String key, String defaultValue) {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            recordDefault(key, defaultValue);
        }
        return value.orElse(defaultValue);
    }

    @Override
    public long number(String key, long defaultValue, long min, long max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            recordDefault(key, defaultValue);
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(raw.get().replace("_", ""));
            if (parsed < min || parsed > max) {
                report(key, "expected a whole number from " + min + " to " + max);
                return defaultValue;
            }
            return parsed;
        } catch (NumberFormatException e) {
            report(key, "expected a whole number from " + min + " to " + max);
            return defaultValue;
        }
    }

    @Override
    public Duration duration(String key, Duration defaultValue) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            recordDefault(key, defaultValue);
            return defaultValue;
        }
        Optional<Duration> parsed = Durations.parse(raw.get());
        if (parsed.isEmpty() || parsed.get().isNegative()) {
            report(key, "expected a duration such as 500ms, 10s, 2m or PT10S");
            return defaultValue;
        }
        return parsed.get();
    }

    @Override
    public boolean bool(String key, boolean defaultValue) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            recordDefault(key, defaultValue);
            return defaultValue;
        }
        String text = raw.get().toLowerCase(Locale.ROOT);
        if (text.equals("true")) {
            return true;
        }
        if (text.equals("false")) {
            return false;
        }
        report(key, "expected true or false");
        return defaultValue;
    }

    @Override
    public <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            recordDefault(key, defaultValue);
            return defaultValue;
        }
        String wanted = raw.get().replace('-', '_');
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(wanted)) {
                return constant;
            }
        }
        String allowed = String.join(", ", Arrays.stream(type.getEnumConstants())
                .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
        report(key, "expected one of: " + allowed);
        return defaultValue;
    }

    @Override
    public List<String> list(String key) {
        return string(key).map(raw -> Arrays.stream(raw.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList()).orElse(List.of());
    }

    @Override
    public Optional<Secret> secret(String key) {
        secretKeys.add(key);
        Optional<Secret> secret = string(key).filter(s -> !s.isEmpty()).map(Secret::new);
        if (secret.isEmpty()) {
            effective.put(key, new Effective("(not set)", "default", true));
        }
        return secret;
    }

    @Override
    public void problem(String key, String expected) {
        read.add(key);
        report(key, expected);
    }

    private void report(String key, String expected) {
        ConfigValue value = lookup(key);
        String shown = value == null ? null : secretKeys.contains(key) || value.secret() ? "****" : value.value();
        problems.add(new ConfigProblem(prefix + key, shown, value == null ? "" : value.source(), expected));
    }

    /**
     * Every problem found so far, plus one for each key no reader asked for. Call after the factory's
     * {@code configure} has run.
     */
    public List<ConfigProblem> problems() {
        List<ConfigProblem> all = new ArrayList<>(problems);
        for (Map.Entry<String, ConfigValue> entry : environment.entrySet()) {
            if (!environmentRead.contains(entry.getKey())) {
                all.add(new ConfigProblem(environmentNames.get(entry.getKey()), shown(entry.getKey(),
                        entry.getValue().value()),
                        entry.getValue().source(), "no key of " + prefix + "* matches this variable; check its "
                        + "spelling (the key in upper case, every '.' and '-' an '_')"));
            }
        }
        for (Map.Entry<String, ConfigValue> entry : values.entrySet()) {
            if (!read.contains(entry.getKey())) {
                all.add(new ConfigProblem(prefix + entry.getKey(), entry.getValue().secret() ? "****"
                        : shown(entry.getKey(), entry.getValue().value()),
                        entry.getValue().source(), ConfigLoader.PREFIX.equals(prefix)
                        ? "unknown key; check its spelling against the configuration section of the README"
                        : "unknown key for this plugin; check its spelling against the plugin's README"));
            }
        }
        return all;
    }
}
