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
    private final Set<String> read = new HashSet<>();
    private final Set<String> secretKeys = new HashSet<>();
    private final List<ConfigProblem> problems = new ArrayList<>();

    /**
     * @param prefix  the full prefix of the instance's keys, e.g. {@code pilotfish.collectors.stats.}, used in messages
     * @param values  relative key to value
     */
    public MapPluginConfig(String instanceName, String prefix, Map<String, ConfigValue> values) {
        this.instanceName = instanceName;
        this.prefix = prefix;
        this.values = new TreeMap<>(values);
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
        ConfigValue value = values.get(key);
        return value == null ? Optional.empty() : Optional.of(value.value().trim());
    }

    @Override
    public String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    @Override
    public long number(String key, long defaultValue, long min, long max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
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
        return string(key).filter(s -> !s.isEmpty()).map(Secret::new);
    }

    @Override
    public void problem(String key, String expected) {
        read.add(key);
        report(key, expected);
    }

    private void report(String key, String expected) {
        ConfigValue value = values.get(key);
        String shown = value == null ? null : secretKeys.contains(key) ? "****" : value.value();
        problems.add(new ConfigProblem(prefix + key, shown, value == null ? "" : value.source(), expected));
    }

    /**
     * Every problem found so far, plus one for each key no reader asked for. Call after the factory's
     * {@code configure} has run.
     */
    public List<ConfigProblem> problems() {
        List<ConfigProblem> all = new ArrayList<>(problems);
        for (Map.Entry<String, ConfigValue> entry : values.entrySet()) {
            if (!read.contains(entry.getKey())) {
                all.add(new ConfigProblem(prefix + entry.getKey(), entry.getValue().value(),
                        entry.getValue().source(), ConfigLoader.PREFIX.equals(prefix)
                        ? "unknown key; check its spelling against the configuration section of the README"
                        : "unknown key for this plugin; check its spelling against the plugin's README"));
            }
        }
        return all;
    }
}
