package io.pilotfish.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    record ProbeConfig(int port, boolean verbose) {
    }

    static final class ProbeCollectorFactory implements CollectorFactory<ProbeConfig> {
        @Override
        public String type() {
            return "probe";
        }

        @Override
        public ProbeConfig configure(PluginConfig config) {
            return new ProbeConfig((int) config.number("port", 8125, 1, 65535), config.bool("verbose", false));
        }

        @Override
        public Collector create(ProbeConfig config, PluginContext context) {
            return (Scraper) emitter -> CompletableFuture.completedFuture(null);
        }
    }

    static final class NullSinkFactory implements SinkFactory<String> {
        @Override
        public String type() {
            return "null";
        }

        @Override
        public String configure(PluginConfig config) {
            return config.string("label", "none");
        }

        @Override
        public Set<SignalKind> signals(String config) {
            return Set.of(SignalKind.METRIC);
        }

        @Override
        public Sink create(String config, PluginContext context) {
            return batch -> CompletableFuture.completedFuture(ExportResult.SUCCESS);
        }
    }

    private final ConfigLoader loader = new ConfigLoader(PluginCatalog.of(List.of(new ProbeCollectorFactory()),
            List.of(new NullSinkFactory())));

    private static Map<String, ConfigValue> props(String... keyValues) {
        Map<String, ConfigValue> out = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put(keyValues[i], new ConfigValue(keyValues[i + 1], "test.properties"));
        }
        return out;
    }

    @Test
    void validConfigBuildsInstancesWithDefaults() {
        LoadedConfig config = loader.load(props(
                "pilotfish.collectors.probe.port", "9000",
                "pilotfish.collectors.second.type", "probe",
                "pilotfish.collectors.second.interval", "30s",
                "pilotfish.sinks.out.type", "null",
                "pilotfish.sinks.out.queue.max-bytes", "1048576",
                "pilotfish.datadog.site", "datadoghq.eu",
                "pilotfish.tags", "team:core  tier:1,owner:me",
                "pilotfish.env", "prod"));
        assertTrue(config.valid(), config.describeProblems());
        assertEquals(2, config.collectors().size());
        CollectorSpec probe = config.collectors().get(0);
        assertEquals("probe", probe.name());
        assertEquals(new ProbeConfig(9000, false), probe.config());
        assertEquals(Duration.ofSeconds(10), probe.interval());
        assertEquals(Duration.ofSeconds(30), config.collectors().get(1).interval());
        assertEquals(1_048_576, config.sinks().get(0).options().queueMaxBytes());
        assertEquals("datadoghq.eu", config.agent().site());
        assertEquals(List.of("env:prod", "owner:me", "team:core", "tier:1"), config.agent().tags().asList());
        assertEquals(Duration.ofSeconds(20), config.agent().shutdownDeadline());
    }

    @Test
    void aDiskBufferIsReadBesideTheQueueAndItsScratchCountsInTheMemoryPlan(@org.junit.jupiter.api.io.TempDir
                                                                             java.nio.file.Path dir) {
        Map<String, ConfigValue> keys = props(
                "pilotfish.sinks.out.type", "null",
                "pilotfish.sinks.out.queue.max-bytes", String.valueOf(4L * 1024 * 1024),
                "pilotfish.sinks.out.disk-buffer.path", dir.toString(),
                "pilotfish.sinks.out.disk-buffer.max-bytes", "2097152");
        LoadedConfig roomy = new ConfigLoader(PluginCatalog.of(List.of(new ProbeCollectorFactory()),
                List.of(new NullSinkFactory())), 64L * 1024 * 1024).load(keys);
        assertTrue(roomy.valid(), roomy.describeProblems());
        assertEquals(dir, roomy.sinks().get(0).options().diskBuffer().path().orElseThrow());
        assertEquals(2097152, roomy.sinks().get(0).options().diskBuffer().maxBytes());
        // 16 MiB for the agent and 4 MiB of queue fit 21 MiB; the buffer's scratch does not.
        LoadedConfig tight = new ConfigLoader(PluginCatalog.of(List.of(new ProbeCollectorFactory()),
                List.of(new NullSinkFactory())), 21L * 1024 * 1024).load(keys);
        assertFalse(tight.valid());
        assertTrue(tight.describeProblems().contains("pilotfish.sinks.out.disk-buffer"), tight.describeProblems());
    }

    @Test
    void everyProblemIsListedOnceWithKeyValueSourceAndExpectation() {
        LoadedConfig config = loader.load(props(
                "pilotfish.collectors.probe.port", "eighty",
                "pilotfish.collectors.probe.verbose", "maybe",
                "pilotfish.collectors.probe.portt", "81",
                "pilotfish.collectors.x.type", "nope",
                "pilotfish.sinks.out.type", "null",
                "pilotfish.sinks.out.retry.max-backoff", "soon",
                "pilotfish.datadog.sitee", "datadoghq.com",
                "pilotfish.shutdown.deadline", "0s"));
        assertFalse(config.valid());
        List<String> lines = config.problems().stream().map(ConfigProblem::describe).toList();
        assertEquals(7, lines.size(), String.join("\n", lines));
        assertTrue(lines.contains("pilotfish.collectors.probe.port=\"eighty\" (from test.properties): "
                + "expected a whole number from 1 to 65535"), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.collectors.probe.verbose=\"maybe\"")
                && l.endsWith("expected true or false")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.collectors.probe.portt") && l.contains(
                "unknown key")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.collectors.x.type=\"nope\"")
                && l.contains("available: probe")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.sinks.out.retry.max-backoff=\"soon\"")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.datadog.sitee") && l.contains("unknown")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.shutdown.deadline")));
    }

    @Test
    void globalLogProcessingRulesAreCheckedAtLoadNamingTheKeyWithoutEchoingThePattern() {
        String good = "[{\"type\":\"mask_sequences\",\"name\":\"cards\",\"replace_placeholder\":\"[masked]\","
                + "\"pattern\":\"4[0-9]{15}\"}]";
        LoadedConfig ok = loader.load(props("pilotfish.logs.processing-rules", good,
                "pilotfish.logs.auto-multi-line-detection", "true"));
        assertTrue(ok.valid(), ok.describeProblems());
        assertEquals(good, ok.agent().logs().processingRules());
        assertTrue(ok.agent().logs().autoMultiLineDetection());

        String bad = "[{\"type\":\"mask_sequences\",\"name\":\"secret_rule\",\"pattern\":\"hunter2(\"}]";
        LoadedConfig refused = loader.load(props("pilotfish.logs.processing-rules", bad));
        assertFalse(refused.valid());
        String problems = refused.describeProblems();
        assertTrue(problems.contains("pilotfish.logs.processing-rules"), problems);
        assertFalse(problems.contains("hunter2"), "a pattern may hold a secret: " + problems);
    }

    @Test
    void theShutdownLingerDefaultsToTenSecondsAndANegativeOneIsRefusedByName() {
        assertEquals(java.time.Duration.ofSeconds(10), loader.load(props()).agent().shutdownLinger());
        assertEquals(java.time.Duration.ZERO,
                loader.load(props("pilotfish.shutdown.linger", "0s")).agent().shutdownLinger());
        LoadedConfig config = loader.load(props("pilotfish.shutdown.linger", "-5s"));
        assertFalse(config.valid());
        assertTrue(config.describeProblems().contains("pilotfish.shutdown.linger"), config.describeProblems());
    }

    @Test
    void theOldTelemetrySwitchNamesItsReplacementAndTheNewOnesAreChecked() {
        LoadedConfig config = loader.load(props("pilotfish.telemetry.enabled", "true",
                "pilotfish.health.degraded", "ignore"));
        String problems = config.describeProblems();
        assertEquals(2, config.problems().size(), problems);
        assertTrue(problems.contains("pilotfish.telemetry.enabled") && problems.contains("pilotfish.telemetry.ship"),
                problems);
        assertTrue(problems.contains("pilotfish.health.degraded") && problems.contains("report"), problems);
        LoadedConfig defaults = loader.load(props());
        assertFalse(defaults.agent().shipTelemetry(), "the agent's own figures stay local by default");
        assertFalse(defaults.agent().degradedIsHealthy(), "a dead part fails the health check by default");
    }

    @Test
    void secretsAreMaskedInProblems() {
        LoadedConfig config = loader.load(props("pilotfish.datadog.api-key", "abcdef0123456789",
                "pilotfish.datadog.site", "not a site"));
        assertEquals(1, config.problems().size());
        assertFalse(config.describeProblems().contains("abcdef0123456789"));
        assertEquals("****6789", config.agent().apiKey().orElseThrow().toString());
    }

    @Test
    void disabledInstancesAreValidatedButNotBuilt() {
        LoadedConfig config = loader.load(props("pilotfish.collectors.probe.enabled", "false",
                "pilotfish.collectors.probe.port", "70000"));
        assertEquals(1, config.problems().size());
        LoadedConfig off = loader.load(props("pilotfish.collectors.probe.enabled", "false"));
        assertTrue(off.valid());
        assertTrue(off.collectors().isEmpty());
    }

    private static Map<String, ConfigValue> env(String... nameValues) {
        Map<String, ConfigValue> out = new TreeMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            out.put(nameValues[i], new ConfigValue(nameValues[i + 1], "environment " + nameValues[i],
                    ConfigValue.PILOTFISH_ENV));
        }
        return out;
    }

    @Test
    void pilotfishVariablesAddressInstancesAndKeysAndBeatLowerSources() {
        LoadedConfig config = loader.load(props(
                        "pilotfish.collectors.probe.port", "9000",
                        "pilotfish.sinks.out.type", "null"),
                env("PILOTFISH_COLLECTORS_PROBE_PORT", "9100",
                        "PILOTFISH_COLLECTORS_PROBE_INTERVAL", "30s",
                        "PILOTFISH_SINKS_OUT_QUEUE_MAX_BYTES", "2097152",
                        "PILOTFISH_COLLECTORS_EXTRA_PROBE_TYPE", "probe",
                        "PILOTFISH_COLLECTORS_EXTRA_PROBE_VERBOSE", "true",
                        "PILOTFISH_DATADOG_SITE", "us5.datadoghq.com"));
        assertTrue(config.valid(), config.describeProblems());
        CollectorSpec probe = config.collectors().stream().filter(c -> c.name().equals("probe")).findFirst()
                .orElseThrow();
        assertEquals(new ProbeConfig(9100, false), probe.config(), "the variable (300) beats the defaults (250)");
        assertEquals(Duration.ofSeconds(30), probe.interval());
        assertEquals(new ProbeConfig(8125, true), config.collectors().stream()
                .filter(c -> c.name().equals("extra-probe")).findFirst().orElseThrow().config());
        assertEquals(2_097_152, config.sinks().get(0).options().queueMaxBytes());
        assertEquals("us5.datadoghq.com", config.agent().site());
        assertEquals("environment PILOTFISH_COLLECTORS_PROBE_PORT",
                config.effective().get("pilotfish.collectors.probe.port").source());
    }

    @Test
    void systemPropertiesBeatVariables() {
        Map<String, ConfigValue> values = new TreeMap<>();
        values.put("pilotfish.collectors.probe.port", new ConfigValue("9200", "system property",
                ConfigValue.SYSTEM_PROPERTY));
        LoadedConfig config = loader.load(values, env("PILOTFISH_COLLECTORS_PROBE_PORT", "9100"));
        assertEquals(new ProbeConfig(9200, false), config.collectors().get(0).config());
    }

    @Test
    void variablesThatMatchNothingAreReportedByName() {
        LoadedConfig config = loader.load(props("pilotfish.collectors.probe.port", "9000"),
                env("PILOTFISH_COLLECTORS_PROBE_PROT", "1", "PILOTFISH_COLLECTORS_NOBODY_PORT", "2",
                        "PILOTFISH_DATADOG_API_KEYY", "do-not-show-me"));
        List<String> lines = config.problems().stream().map(ConfigProblem::describe).toList();
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("PILOTFISH_COLLECTORS_PROBE_PROT=\"1\"")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("PILOTFISH_COLLECTORS_NOBODY_PORT")
                && l.contains("_TYPE")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("PILOTFISH_DATADOG_API_KEYY=\"****\"")));
        assertTrue(!config.describeProblems().contains("do-not-show-me"));
    }

    @Test
    void effectiveConfigListsDefaultsSourcesAndMasksSecrets() {
        LoadedConfig config = loader.load(props("pilotfish.collectors.probe.port", "9000",
                "pilotfish.datadog.api-key", "abcdef0123456789"));
        Map<String, MapPluginConfig.Effective> effective = config.effective();
        assertEquals(new MapPluginConfig.Effective("9000", "test.properties", false),
                effective.get("pilotfish.collectors.probe.port"));
        assertEquals(new MapPluginConfig.Effective("false", "default", false),
                effective.get("pilotfish.collectors.probe.verbose"));
        assertEquals(new MapPluginConfig.Effective("10s", "default", false).value().isEmpty(), false);
        assertEquals("****", effective.get("pilotfish.datadog.api-key").value());
        assertTrue(effective.containsKey("pilotfish.shutdown.deadline"));
        assertTrue(effective.values().stream().noneMatch(e -> e.value().contains("abcdef0123456789")));
    }
    @Test
    void credentialsInUrlsAreMaskedInTheEffectiveConfigKeepingHostAndPort() {
        LoadedConfig config = loader.load(props("pilotfish.datadog.url", "https://user:pa%2Fss@intake.example:8443/p",
                "pilotfish.proxy.https", "http://proxyuser:proxypass@proxy.internal:3128",
                "pilotfish.tags", "owner:jane@example.com"));
        assertTrue(config.valid(), config.describeProblems());
        assertEquals("owner:jane@example.com", config.effective().get("pilotfish.tags").value(),
                "a tag with an @ is not taken for credentials");
        assertEquals("https://***@intake.example:8443/p", config.effective().get("pilotfish.datadog.url").value());
        assertEquals("http://***@proxy.internal:3128", config.effective().get("pilotfish.proxy.https").value());
        // The agent itself still uses the credentials.
        assertEquals("proxyuser:proxypass", config.agent().httpsProxy().orElseThrow().getUserInfo());
        assertEquals("user:pa%2Fss", config.agent().ddUrl().orElseThrow().getRawUserInfo());
    }

    @Test
    void credentialsInUrlsAreMaskedInProblemsWhateverIsWrongWithTheUrl() {
        LoadedConfig config = loader.load(props("pilotfish.datadog.url", "ftp://user:s3cret@intake.example/p",
                "pilotfish.proxy.https", "proxyuser:proxypass@proxy.internal:3128"),
                env("PILOTFISH_NOBODY_URL", "http://u:envpass@h"));
        String problems = config.describeProblems();
        assertEquals(3, config.problems().size(), problems);
        for (String secret : List.of("s3cret", "proxypass", "proxyuser", "envpass")) {
            assertFalse(problems.contains(secret), problems);
        }
        assertTrue(problems.contains("pilotfish.datadog.url=\"ftp://***@intake.example/p\""), problems);
        assertTrue(problems.contains("pilotfish.proxy.https=\"***@proxy.internal:3128\""), problems);
    }

    @Test
    void controlCharactersInValuesAreEscapedInProblemsAndTheEffectiveConfig() {
        LoadedConfig config = loader.load(props("pilotfish.collectors.probe.port", "90\u001b[2J\r\nFAKE LINE",
                "pilotfish.hostname", "web\u001b[31m"));
        String problems = config.describeProblems();
        assertTrue(problems.contains("pilotfish.collectors.probe.port=\"90\\x1b[2J\\r\\nFAKE LINE\""), problems);
        assertFalse(problems.contains("\u001b") || problems.contains("\r"), problems);
        assertEquals("web\\x1b[31m", config.effective().get("pilotfish.hostname").value());
    }

    @Test
    void aMisroutedSecretVariableIsNotShown() {
        LoadedConfig config = loader.load(props(), env("PILOTFISH_SINKS_NOBODY_API_KEY", "do-not-show-me"));
        assertFalse(config.describeProblems().contains("do-not-show-me"), config.describeProblems());
    }
}
