package io.pilotfish.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of the configuration loader with arbitrary {@code key=value} lines, as SSM, the
 * environment or {@code -D} options may hold them ({@code PILOTFISH_*} lines count as environment variables). Seeds:
 * {@code ConfigLoaderFuzzTestInputs}; with a plain {@code mvn test} they (and any kept crash input) run as regression
 * tests, with {@code JAZZER_FUZZ=1} they are mutated for the time box ({@code scripts/fuzz.sh}).
 *
 * <p>The contract: whatever the input, loading ends with a configuration or a list of problems, never an exception;
 * each problem is one line of bounded length, there are no more problems than keys (plus a few whole-configuration
 * checks), and the API key's value is never in them.
 */
class ConfigLoaderFuzzTest {

    private static final String API_KEY = "pilotfish.datadog.api-key";
    /** Checks of the configuration as a whole (budgets against the heap and the like) on top of one per key. */
    private static final int WHOLE_CONFIG_PROBLEMS = 16;

    /** Reads one key of every kind a plugin can ask for, so the fuzzer reaches each of MapPluginConfig's readers. */
    record EveryKind(String label, long count, Duration period, boolean flag, Mode mode, List<String> names,
                     boolean hasSecret) {
    }

    enum Mode { FAST, SAFE }

    static final class EveryKindFactory implements CollectorFactory<EveryKind> {
        @Override
        public String type() {
            return "every-kind";
        }

        @Override
        public EveryKind configure(PluginConfig config) {
            return new EveryKind(config.string("label", "x"), config.number("count", 5, 0, 1000),
                    config.duration("period", Duration.ofSeconds(1)), config.bool("flag", false),
                    config.choice("mode", Mode.class, Mode.FAST), config.list("names"),
                    config.secret("token").isPresent());
        }

        @Override
        public Collector create(EveryKind config, PluginContext context) {
            return (Scraper) emitter -> CompletableFuture.completedFuture(null);
        }
    }

    private final ConfigLoader loader = new ConfigLoader(PluginCatalog.of(
            List.of(new ConfigLoaderTest.ProbeCollectorFactory(), new EveryKindFactory()),
            List.of(new ConfigLoaderTest.NullSinkFactory())));

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void keyValueLines(byte[] input) {
        Map<String, ConfigValue> values = new TreeMap<>();
        Map<String, ConfigValue> environment = new TreeMap<>();
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n", -1)) {
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq);
            String value = eq < 0 ? "" : line.substring(eq + 1);
            if (key.isEmpty()) {
                continue;
            }
            (key.startsWith("PILOTFISH_") ? environment : values).put(key, new ConfigValue(value, "fuzz",
                    key.startsWith("PILOTFISH_") ? ConfigValue.PILOTFISH_ENV : ConfigValue.SSM));
        }

        LoadedConfig config = loader.load(values, environment);

        assertEquals(config.problems().isEmpty(), config.valid());
        assertTrue(config.problems().size() <= values.size() + environment.size() + WHOLE_CONFIG_PROBLEMS,
                config.problems().size() + " problems from " + (values.size() + environment.size()) + " keys");
        int longestKey = 0;
        for (String key : values.keySet()) {
            longestKey = Math.max(longestKey, key.length());
        }
        for (String key : environment.keySet()) {
            longestKey = Math.max(longestKey, key.length());
        }
        for (ConfigProblem problem : config.problems()) {
            String line = problem.describe();
            assertFalse(line.contains("\n") || line.contains("\r"), "a problem on more than one line: " + line);
            // The escaped key (up to 4 characters per character, twice: as key and in the expectation), the value
            // cut to 256 characters, the source and what is expected.
            assertTrue(line.length() <= 8 * longestKey + 2048, line.length() + " chars: "
                    + line.substring(0, Math.min(200, line.length())));
        }
        ConfigValue key = values.get(API_KEY);
        if (key != null && key.value().length() >= 12 && key.value().chars().allMatch(Character::isLetterOrDigit)
                && occurrencesElsewhere(key.value(), values, environment) == 0) {
            assertFalse(config.describeProblems().contains(key.value()), "the API key's value in the problems");
        }
    }

    private static int occurrencesElsewhere(String secret, Map<String, ConfigValue> values,
                                            Map<String, ConfigValue> environment) {
        int found = 0;
        for (Map<String, ConfigValue> source : List.of(values, environment)) {
            for (Map.Entry<String, ConfigValue> entry : source.entrySet()) {
                if (entry.getKey().contains(secret)
                        || !entry.getKey().equals(API_KEY) && entry.getValue().value().contains(secret)) {
                    found++;
                }
            }
        }
        return found;
    }
}
