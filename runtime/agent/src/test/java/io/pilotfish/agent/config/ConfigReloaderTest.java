package io.pilotfish.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.agent.config.ConfigAssembly.Assembled;
import io.pilotfish.agent.config.ConfigAssembly.SsmState;
import io.pilotfish.config.ssm.PathStatus;
import io.pilotfish.config.ssm.SsmLoad;
import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.pipeline.Pipeline;
import io.pilotfish.core.plugin.PluginCatalog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When a reload applies, when it is refused, and what is kept when SSM cannot be read. */
class ConfigReloaderTest {

    private static final ConfigLoader LOADER = new ConfigLoader(PluginCatalog.of(List.of(), List.of()));

    private final ArrayDeque<Assembled> reads = new ArrayDeque<>();
    private final List<LoadedConfig> applied = new ArrayList<>();
    private ConfigReloader reloader;

    @AfterEach
    void close() {
        if (reloader != null) {
            reloader.close();
        }
    }

    private static LoadedConfig config(String... keyValues) {
        Map<String, ConfigValue> values = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], new ConfigValue(keyValues[i + 1], "ssm:/pilotfish/prod/x", ConfigValue.SSM));
        }
        return LOADER.load(values, Map.of());
    }

    private static SsmLoad load(PathStatus.State... states) {
        List<PathStatus> paths = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            paths.add(new PathStatus("/pilotfish/p" + i, states[i], 1, states[i].name(), ""));
        }
        return new SsmLoad(Map.of(), Set.of(), List.of(), paths, Instant.now());
    }

    private static Assembled read(LoadedConfig config, PathStatus.State... states) {
        return new Assembled(config, Map.of(), Optional.of(load(states)), List.of(), SsmState.READ, Optional.empty());
    }

    private static Assembled failed(String note) {
        return new Assembled(config(), Map.of(), Optional.empty(), List.of("SSM not read (" + note + ")"),
                SsmState.FAILED, Optional.empty());
    }

    private ConfigReloader reloader(Assembled initial) {
        reloader = new ConfigReloader(initial, reads::poll, next -> {
            applied.add(next);
            return new Pipeline.Changes(List.of(), List.of(), List.of(), List.of("tags"), List.of());
        }, Clock.systemUTC());
        return reloader;
    }

    private ConfigReloader.Attempt reloadNow() throws Exception {
        return reloader.reloadNow("test").get(10, TimeUnit.SECONDS);
    }

    @Test
    void aChangedValueIsApplied() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        reads.add(read(config("pilotfish.tags", "team:b"), PathStatus.State.READ));
        ConfigReloader.Attempt attempt = reloadNow();
        assertEquals(ConfigReloader.Outcome.APPLIED, attempt.outcome(), attempt.details().toString());
        assertEquals(1, applied.size());
        assertEquals("team:b", applied.get(0).agent().tags().toString());
    }

    @Test
    void theSameValuesApplyNothing() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        reads.add(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        assertEquals(ConfigReloader.Outcome.UNCHANGED, reloadNow().outcome());
        assertTrue(applied.isEmpty());
    }

    @Test
    void anInvalidConfigurationIsRefusedWithEveryError() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        reads.add(read(config("pilotfish.telemetry.ship", "maybe", "pilotfish.no-such-key", "1"),
                PathStatus.State.READ));
        ConfigReloader.Attempt attempt = reloadNow();
        assertEquals(ConfigReloader.Outcome.REFUSED, attempt.outcome());
        assertEquals(2, attempt.details().size(), attempt.details().toString());
        assertTrue(attempt.details().stream().anyMatch(d -> d.contains("pilotfish.telemetry.ship")
                && d.contains("ssm:/pilotfish/prod/x")), attempt.details().toString());
        assertTrue(attempt.details().stream().anyMatch(d -> d.contains("pilotfish.no-such-key")));
        assertTrue(applied.isEmpty(), "the running configuration stays");
        assertEquals("team:a", reloader.status().current().config().agent().tags().toString());
    }

    @Test
    void ssmUnreachableOnReloadKeepsTheRunningConfiguration() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        reads.add(failed("SdkClientException"));
        ConfigReloader.Attempt attempt = reloadNow();
        assertEquals(ConfigReloader.Outcome.SOURCE_FAILED, attempt.outcome());
        assertTrue(applied.isEmpty(), "the SSM values are not dropped because SSM did not answer");
        assertEquals(1, reloader.status().consecutiveFailures());
        Duration untilRetry = Duration.between(Instant.now(), reloader.status().nextAttempt().orElseThrow());
        assertTrue(untilRetry.compareTo(ConfigReloader.RETRY_BASE) <= 0, "retried sooner than the interval: "
                + untilRetry);
    }

    @Test
    void aPathThatStoppedAnsweringIsNotTakenAsEmpty() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ, PathStatus.State.READ));
        reads.add(read(config(), PathStatus.State.READ, PathStatus.State.THROTTLED));
        ConfigReloader.Attempt attempt = reloadNow();
        assertEquals(ConfigReloader.Outcome.SOURCE_FAILED, attempt.outcome());
        assertTrue(attempt.details().get(0).contains("/pilotfish/p1: THROTTLED"), attempt.details().toString());
        Duration untilRetry = Duration.between(Instant.now(), reloader.status().nextAttempt().orElseThrow());
        assertTrue(untilRetry.compareTo(ConfigReloader.THROTTLED_BASE.dividedBy(2).minusSeconds(1)) >= 0,
                "throttling backs off at least half a minute: " + untilRetry);
    }

    @Test
    void aPathThatNeverAnsweredDoesNotBlockReloads() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ, PathStatus.State.ACCESS_DENIED));
        reads.add(read(config("pilotfish.tags", "team:b"), PathStatus.State.READ, PathStatus.State.ACCESS_DENIED));
        assertEquals(ConfigReloader.Outcome.APPLIED, reloadNow().outcome());
    }

    @Test
    void ssmFailedAtStartIsRetriedSoonAndAppliedWhenItAnswers() throws Exception {
        reloader(failed("SdkClientException"));
        reloader.start();
        Duration untilRetry = Duration.between(Instant.now(), reloader.status().nextAttempt().orElseThrow());
        assertTrue(untilRetry.compareTo(ConfigReloader.RETRY_BASE) <= 0, untilRetry.toString());
        reads.add(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        assertEquals(ConfigReloader.Outcome.APPLIED, reloadNow().outcome());
        assertEquals(SsmState.READ, reloader.status().current().ssmState());
        Duration next = Duration.between(Instant.now(), reloader.status().nextAttempt().orElseThrow());
        assertTrue(next.compareTo(Duration.ofSeconds(149)) >= 0 && next.compareTo(Duration.ofMinutes(5)) <= 0,
                "then the normal interval, jittered between half and all of it: " + next);
    }

    @Test
    void aKeyThatCouldNotBeReadKeepsTheKeyInUse() throws Exception {
        reloader(read(config("pilotfish.datadog.api-key", "0123456789abcdef0123456789abcdef"),
                PathStatus.State.READ));
        reads.add(new Assembled(config(), Map.of(), Optional.of(load(PathStatus.State.READ)), List.of(),
                SsmState.READ, Optional.of("API key not read from ssm:/pilotfish/key: access denied")));
        ConfigReloader.Attempt attempt = reloadNow();
        assertEquals(ConfigReloader.Outcome.SOURCE_FAILED, attempt.outcome());
        assertTrue(attempt.details().get(0).contains("keeping the key in use"));
        assertFalse(attempt.details().toString().contains("0123456789abcdef"));
    }

    @Test
    void keyRefusalsTriggerAReadButNotAStorm() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        for (int i = 0; i < 5; i++) {
            reads.add(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        }
        for (int i = 0; i < 5; i++) {
            reloader.keyRejected();
        }
        reloadNow(); // joins the refusals' read if it has not started yet, else runs after it
        assertTrue(reads.size() >= 3, "five refusals within " + ConfigReloader.KEY_REREAD_GAP
                + " read the key once: " + (5 - reads.size()) + " reads in all");
    }

    @Test
    void aParameterThatDoesNotParseRefusesTheReloadNamingIt() throws Exception {
        reloader(read(config("pilotfish.tags", "team:a"), PathStatus.State.READ));
        io.pilotfish.core.config.ConfigProblem broken = new io.pilotfish.core.config.ConfigProblem(
                "/pilotfish/prod/web/config", "line 3", "ssm:/pilotfish/prod/web/config",
                "expected key=value");
        SsmLoad withProblem = new SsmLoad(Map.of(), Set.of(), List.of(broken), load(PathStatus.State.READ).paths(),
                Instant.now());
        reads.add(new Assembled(config("pilotfish.tags", "team:b"), Map.of(), Optional.of(withProblem), List.of(),
                SsmState.READ, Optional.empty()));
        ConfigReloader.Attempt attempt = reloadNow();
        assertEquals(ConfigReloader.Outcome.REFUSED, attempt.outcome());
        assertTrue(attempt.details().get(0).contains("/pilotfish/prod/web/config"), attempt.details().toString());
        assertTrue(applied.isEmpty());
    }
}
