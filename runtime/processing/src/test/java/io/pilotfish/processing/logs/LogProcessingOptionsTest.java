package io.pilotfish.processing.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.Secret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LogProcessingOptionsTest {

    @Test
    void defaultsWhenNothingIsSet() {
        FakeConfig config = new FakeConfig(Map.of());
        LogProcessingOptions options = LogProcessingOptions.read(config);
        assertEquals(LogProcessingOptions.defaults(), options);
        assertTrue(options.logRules().isEmpty());
        assertEquals(MultiLineSettings.defaults(), options.multiLine(false));
        assertTrue(options.multiLine(true).autoDetect(), "the agent's setting when the collector sets none");
        assertTrue(config.problems.isEmpty());
    }

    @Test
    void readsRulesAndSwitches() {
        FakeConfig config = new FakeConfig(Map.of(
                "log-processing-rules", "[{\"type\":\"exclude_at_match\",\"name\":\"health\",\"pattern\":\"/health\"},"
                        + "{\"type\":\"multi_line\",\"name\":\"dates\",\"pattern\":\"\\\\d{4}\"}]",
                "stack-trace-aggregation", "false",
                "auto-multi-line-detection", "TRUE"));
        LogProcessingOptions options = LogProcessingOptions.read(config);
        assertEquals(2, options.rules().size());
        assertFalse(options.stackTraces());
        assertEquals(java.util.Optional.of(true), options.autoMultiLine());
        assertTrue(options.multiLine(false).autoDetect(), "the collector's own setting wins");
        assertEquals(1, options.logRules().size());
        assertEquals("^\\d{4}", options.multiLine(false).startPattern().source());
        assertTrue(config.problems.isEmpty());
    }

    @Test
    void problemsAreReportedWithTheKeyAndDefaultsUsed() {
        FakeConfig config = new FakeConfig(Map.of(
                "log-processing-rules", "[{\"type\":\"mask_sequences\",\"name\":\"cards\",\"pattern\":\"hunter2\"}]",
                "stack-trace-aggregation", "yes"));
        LogProcessingOptions options = LogProcessingOptions.read(config);
        assertEquals(List.of(), options.rules());
        assertTrue(options.stackTraces());
        assertEquals(2, config.problems.size());
        String rules = config.problems.get(0);
        assertTrue(rules.startsWith("log-processing-rules: "), rules);
        assertTrue(rules.contains("rule 0 ('cards') (mask_sequences) has no replace_placeholder"), rules);
        assertFalse(rules.contains("hunter2"), rules);
        assertTrue(config.problems.get(1).startsWith("stack-trace-aggregation: "));
    }

    /** Just what the options read: strings and booleans. */
    private static final class FakeConfig implements PluginConfig {
        final Map<String, String> values;
        final List<String> problems = new ArrayList<>();

        FakeConfig(Map<String, String> values) {
            this.values = values;
        }

        @Override
        public String instanceName() {
            return "test";
        }

        @Override
        public Optional<String> string(String key) {
            return Optional.ofNullable(values.get(key));
        }

        @Override
        public String string(String key, String defaultValue) {
            return values.getOrDefault(key, defaultValue);
        }

        @Override
        public long number(String key, long defaultValue, long min, long max) {
            return defaultValue;
        }

        @Override
        public Duration duration(String key, Duration defaultValue) {
            return defaultValue;
        }

        @Override
        public boolean bool(String key, boolean defaultValue) {
            String v = values.get(key);
            if (v == null) {
                return defaultValue;
            }
            String lower = v.toLowerCase(Locale.ROOT);
            if (lower.equals("true") || lower.equals("false")) {
                return Boolean.parseBoolean(lower);
            }
            problem(key, "true or false");
            return defaultValue;
        }

        @Override
        public <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
            return defaultValue;
        }

        @Override
        public List<String> list(String key) {
            return List.of();
        }

        @Override
        public Optional<Secret> secret(String key) {
            return string(key).filter(v -> !v.isEmpty()).map(Secret::new);
        }

        @Override
        public void problem(String key, String expected) {
            problems.add(key + ": " + expected);
        }
    }
}
