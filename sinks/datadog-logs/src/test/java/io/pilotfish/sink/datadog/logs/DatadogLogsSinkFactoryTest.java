package io.pilotfish.sink.datadog.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogLogsSinkFactoryTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final DatadogLogsSinkFactory factory = new DatadogLogsSinkFactory();

    @AfterAll
    static void closeClient() {
        HTTP.close();
    }

    private static MapPluginConfig config(Map<String, String> keys) {
        return MapPluginConfig.of("logs", keys);
    }

    private static ConfigProblem onlyProblem(MapPluginConfig config) {
        List<ConfigProblem> problems = config.problems();
        assertEquals(1, problems.size(), problems.toString());
        return problems.get(0);
    }

    private URI logsUriFor(String site, Optional<URI> ddUrl, Map<String, String> keys) {
        TestContext context = new TestContext("datadog-logs", HTTP, Clock.systemUTC(), site, ddUrl, TagSet.EMPTY);
        return ((DatadogLogsSink) factory.create(factory.configure(config(keys)), context)).logsUri();
    }

    // ---- keys ------------------------------------------------------------------------------------------------

    @Test
    void defaultsAreZstdAndTheSitesIntake() {
        MapPluginConfig config = config(Map.of());
        DatadogLogsConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(DatadogLogsConfig.DEFAULTS, typed);
        assertEquals(LogsCompression.ZSTD, typed.compression(), "the Agent's default for logs");
        assertEquals(6, typed.gzipLevel(), "the Agent's gzip level");
        assertEquals(Optional.empty(), typed.url());
    }

    @Test
    void everyKeyIsRead() {
        MapPluginConfig config = config(Map.of("url", "http://relay.internal:10516", "compression", "deflate",
                "gzip-level", "1", "max-concurrent-sends", "4"));
        DatadogLogsConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(new DatadogLogsConfig(Optional.of(URI.create("http://relay.internal:10516")),
                LogsCompression.DEFLATE, 1, 4), typed);
        assertEquals(4, factory.exportsInFlight(typed), "one export for each request out at once");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1"})
    void withoutConcurrentSendsTheNextBatchIsPreparedWhileOneIsOut(String sends) {
        DatadogLogsConfig typed = factory.configure(config(Map.of("max-concurrent-sends", sends)));
        assertTrue(typed.inOrder());
        assertEquals(2, factory.exportsInFlight(typed));
    }

    @ParameterizedTest
    @ValueSource(strings = {"br", "lz4", "zstd1"})
    void aCompressionTheSinkCannotWriteIsAProblemNamingTheKey(String compression) {
        MapPluginConfig config = config(Map.of("compression", compression));
        DatadogLogsConfig typed = factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.logs.compression", problem.key());
        assertTrue(problem.expected().contains("zstd") && problem.expected().contains("gzip"), problem.expected());
        assertEquals(LogsCompression.ZSTD, typed.compression(), "the default stands in");
    }

    @ParameterizedTest
    @CsvSource({"gzip-level,0", "gzip-level,10", "gzip-level,fast", "max-concurrent-sends,-1",
            "max-concurrent-sends,17", "max-concurrent-sends,many"})
    void aNumberOutOfItsRangeIsAProblemNamingTheKey(String key, String value) {
        MapPluginConfig config = config(Map.of(key, value));
        DatadogLogsConfig typed = factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.logs." + key, problem.key());
        assertEquals(DatadogLogsConfig.DEFAULTS, typed, "the defaults stand in");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "agent-http-intake.logs.datadoghq.com:443", "ftp://intake.example",
            "http://"})
    void aUrlThatIsNotAnHttpUrlIsAProblemNamingTheKeyAndThePath(String url) {
        MapPluginConfig config = config(Map.of("url", url));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.logs.url", problem.key());
        assertTrue(problem.expected().contains("http or https URL"), problem.expected());
        assertTrue(problem.expected().contains("/api/v2/logs"), problem.expected());
    }

    @Test
    void unknownKeysAreReportedWithEveryOtherProblem() {
        MapPluginConfig config = config(Map.of("max-concurrent-requests", "4", "url", "nope", "compression", "lz4"));
        factory.configure(config);

        List<String> keys = config.problems().stream().map(ConfigProblem::key).sorted().toList();
        assertEquals(List.of("pilotfish.plugins.logs.compression", "pilotfish.plugins.logs.max-concurrent-requests",
                "pilotfish.plugins.logs.url"), keys);
    }

    @Test
    void takesLogsInBatchesOfTheIntakesLimitsAndIsDiscoverable() {
        assertEquals("datadog-logs", factory.type());
        assertEquals(Set.of(SignalKind.LOG), factory.signals(DatadogLogsConfig.DEFAULTS));
        BatchLimits limits = factory.batchLimits(DatadogLogsConfig.DEFAULTS);
        assertEquals(1000, limits.maxItems());
        assertEquals(4 * 1024 * 1024, limits.maxBytes(), "the intake's 5,000,000 capped at the platform's ceiling");
        assertEquals(0, factory.memoryBytes(DatadogLogsConfig.DEFAULTS), "keeps nothing between exports");

        boolean found = ServiceLoader.load(SinkFactory.class).stream()
                .anyMatch(p -> p.type() == DatadogLogsSinkFactory.class);
        assertTrue(found, "listed in META-INF/services");
    }

    // ---- where it sends --------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
            "ap1.datadoghq.com", "ddog-gov.com"})
    void logsGoToTheSitesAgentIntake(String site) {
        assertEquals(URI.create("https://agent-http-intake.logs." + site + "/api/v2/logs"),
                logsUriFor(site, Optional.empty(), Map.of()));
    }

    @Test
    void aBlankSiteIsTheDefaultSiteAndCaseAndTrailingDotAreNormalised() {
        assertEquals(URI.create("https://agent-http-intake.logs.datadoghq.com/api/v2/logs"),
                logsUriFor("", Optional.empty(), Map.of()));
        assertEquals(URI.create("https://agent-http-intake.logs.datadoghq.eu/api/v2/logs"),
                logsUriFor("DataDogHQ.EU.", Optional.empty(), Map.of()));
    }

    @Test
    void ddDdUrlIsNotReadTheLogsPipelineHasItsOwnSetting() {
        Optional<URI> ddUrl = Optional.of(URI.create("https://metrics-relay.example/"));
        assertEquals(URI.create("https://agent-http-intake.logs.datadoghq.eu/api/v2/logs"),
                logsUriFor("datadoghq.eu", ddUrl, Map.of()));
    }

    @Test
    void urlWinsOverTheSiteAndThePathIsAddedOnce() {
        assertEquals(URI.create("http://relay.internal:10516/api/v2/logs"),
                logsUriFor("datadoghq.eu", Optional.empty(), Map.of("url", "http://relay.internal:10516")));
        assertEquals(URI.create("https://relay.internal/prefix/api/v2/logs"),
                logsUriFor("datadoghq.eu", Optional.empty(), Map.of("url", "https://relay.internal/prefix/")));
        assertEquals(URI.create("https://relay.internal/api/v2/logs"),
                logsUriFor("datadoghq.eu", Optional.empty(), Map.of("url", "https://relay.internal/api/v2/logs")));
    }

    @Test
    void anUnusableSiteFailsCreateNamingDdSite() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> logsUriFor("https://datadoghq.eu", Optional.empty(), Map.of()));
        assertTrue(e.getMessage().startsWith("DD_SITE="), e.getMessage());
    }

    // ---- fromAgentHostPort -----------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
            "agent-http-intake.logs.datadoghq.eu:443, false, https://agent-http-intake.logs.datadoghq.eu",
            "relay.internal:10516, false, https://relay.internal:10516",
            "relay.internal:10516, true, http://relay.internal:10516",
            "relay.internal:443, true, http://relay.internal:443",
            "relay.internal:80, true, http://relay.internal",
            "relay.internal:80, false, https://relay.internal:80",
            "'  10.0.0.7:8080  ', false, https://10.0.0.7:8080",
            "[::1]:8443, true, http://[::1]:8443",
            "relay.internal:443/, false, https://relay.internal",
            "https://relay.internal:8443, true, https://relay.internal:8443",
            "http://relay.internal:8080, false, http://relay.internal:8080",
    })
    void agentHostPortBecomesTheIntakeUrl(String hostPort, boolean noSsl, String expected) {
        URI url = DatadogLogsSinkFactory.fromAgentHostPort(hostPort, noSsl);
        assertEquals(URI.create(expected), url);
        assertTrue(DatadogEndpointsParses.usable(url), "the url key takes it: " + url);
    }

    @ParameterizedTest
    @CsvSource(value = {
            "'', empty",
            "'   ', empty",
            "relay.internal, port is missing",
            "relay.internal:, port is missing",
            "relay.internal:0, from 1 to 65535",
            "relay.internal:70000, from 1 to 65535",
            "relay.internal:https, not a host name and port",
            "relay.internal:443/logs, without a path",
            "relay.internal:443?x=1, without a path",
            "user:s3cret@relay.internal:443, without a user",
            "ftp://relay.internal:21, http or https",
            "relay internal:443, not a host name and port",
    })
    void malformedAgentHostPortIsRefusedNamingTheSetting(String hostPort, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatadogLogsSinkFactory.fromAgentHostPort(hostPort, false));
        assertTrue(e.getMessage().startsWith("DD_LOGS_CONFIG_LOGS_DD_URL is not usable"), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().contains("host:port"), "says the expected form: " + e.getMessage());
        assertFalse(!hostPort.isBlank() && e.getMessage().contains(hostPort.strip()),
                "the value is not echoed: " + e.getMessage());
    }

    @Test
    void nullAgentHostPortIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatadogLogsSinkFactory.fromAgentHostPort(null, true));
        assertTrue(e.getMessage().contains("DD_LOGS_CONFIG_LOGS_DD_URL"), e.getMessage());
    }

    /** What the {@code url} key accepts, so what fromAgentHostPort gives can be handed to it. */
    private static final class DatadogEndpointsParses {
        static boolean usable(URI url) {
            return io.pilotfish.sink.datadog.common.DatadogEndpoints.parseBase(url.toString()).isPresent();
        }
    }
}
