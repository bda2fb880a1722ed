package io.pilotfish.sink.datadog.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.common.Compression;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogMetricsSinkFactoryTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final DatadogMetricsSinkFactory factory = new DatadogMetricsSinkFactory();

    @AfterAll
    static void closeClient() {
        HTTP.close();
    }

    private static MapPluginConfig config(Map<String, String> keys) {
        return MapPluginConfig.of("dd", keys);
    }

    private static ConfigProblem onlyProblem(MapPluginConfig config) {
        List<ConfigProblem> problems = config.problems();
        assertEquals(1, problems.size(), problems.toString());
        return problems.get(0);
    }

    private URI seriesUriFor(String site, Optional<URI> ddUrl, Map<String, String> keys) {
        TestContext context = new TestContext(HTTP, Clock.systemUTC(), site, ddUrl, TagSet.EMPTY);
        return ((DatadogMetricsSink) factory.create(factory.configure(config(keys)), context)).seriesUri();
    }

    // ---- config keys -------------------------------------------------------------------------------------------

    @Test
    void defaultsMatchTheIntakeLimits() {
        MapPluginConfig config = config(Map.of());
        DatadogMetricsConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(DatadogMetricsConfig.DEFAULTS, typed);
        assertEquals(Compression.DEFLATE, typed.compression());
        assertEquals(512_000, typed.maxPayloadBytes());
        assertEquals(5_242_880, typed.maxUncompressedBytes());
        assertEquals(Optional.empty(), typed.url());
    }

    @Test
    void everyKeyIsRead() {
        MapPluginConfig config = config(Map.of("url", "https://intake.example:8443/dd", "compression", "gzip",
                "max-payload-bytes", "100000", "max-uncompressed-bytes", "1_000_000"));
        DatadogMetricsConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(Optional.of(URI.create("https://intake.example:8443/dd")), typed.url());
        assertEquals(Compression.GZIP, typed.compression());
        assertEquals(100_000, typed.maxPayloadBytes());
        assertEquals(1_000_000, typed.maxUncompressedBytes());
    }

    @Test
    void unknownCompressionIsAProblemNamingTheKey() {
        MapPluginConfig config = config(Map.of("compression", "zstd9"));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.dd.compression", problem.key());
        assertEquals("zstd9", problem.value());
        assertTrue(problem.expected().contains("gzip") && problem.expected().contains("deflate"), problem.expected());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "api.datadoghq.com", "ftp://intake.example", "http://", "https:///path"})
    void aUrlThatIsNotAnHttpUrlIsAProblemNamingTheKey(String url) {
        MapPluginConfig config = config(Map.of("url", url));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.dd.url", problem.key());
        assertTrue(problem.expected().contains("http or https URL"), problem.expected());
    }

    @ParameterizedTest
    @CsvSource({"max-payload-bytes, 512001", "max-payload-bytes, 0", "max-payload-bytes, lots",
        "max-uncompressed-bytes, 5242881", "max-uncompressed-bytes, -1"})
    void limitsOutsideTheIntakesRangeAreProblems(String key, String value) {
        MapPluginConfig config = config(Map.of(key, value));
        DatadogMetricsConfig typed = factory.configure(config);

        assertEquals("pilotfish.plugins.dd." + key, onlyProblem(config).key());
        assertEquals(DatadogMetricsConfig.DEFAULTS, typed, "the default stands in so validation can go on");
    }

    @Test
    void unknownKeysAreReported() {
        MapPluginConfig config = config(Map.of("compresion", "gzip", "api_key", "secret-value"));
        factory.configure(config);

        List<String> keys = config.problems().stream().map(ConfigProblem::key).sorted().toList();
        assertEquals(List.of("pilotfish.plugins.dd.api_key", "pilotfish.plugins.dd.compresion"), keys);
        assertTrue(config.problems().get(0).expected().contains("unknown key"));
    }

    @Test
    void everyProblemIsListedAtOnce() {
        MapPluginConfig config = config(Map.of("url", "nope", "compression", "brotli", "max-payload-bytes", "9e9"));
        factory.configure(config);
        assertEquals(3, config.problems().size(), config.problems().toString());
    }

    @Test
    void declaresMetricsTheAgentsPayloadLimitsAndIsDiscoverable() {
        DatadogMetricsConfig typed = DatadogMetricsConfig.DEFAULTS;
        assertEquals("datadog-metrics", factory.type());
        assertEquals(java.util.Set.of(SignalKind.METRIC), factory.signals(typed));
        BatchLimits limits = factory.batchLimits(typed);
        assertEquals(10_000, limits.maxItems());
        assertEquals(2L * 1024 * 1024, limits.maxBytes());

        boolean found = ServiceLoader.load(SinkFactory.class).stream()
                .anyMatch(p -> p.type() == DatadogMetricsSinkFactory.class);
        assertTrue(found, "listed in META-INF/services");
    }

    // ---- endpoint resolution -----------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
        "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com", "uk1.datadoghq.com", "us2.ddog-gov.com"})
    void everyDatadogSiteMapsToItsApiHost(String site) {
        assertEquals(URI.create("https://api." + site + "/api/v2/series"),
                seriesUriFor(site, Optional.empty(), Map.of()));
    }

    @Test
    void siteIsNormalised() {
        assertEquals(URI.create("https://api.datadoghq.eu/api/v2/series"),
                seriesUriFor(" DatadogHQ.eu. ", Optional.empty(), Map.of()));
        assertEquals(URI.create("https://api.datadoghq.com/api/v2/series"),
                seriesUriFor("", Optional.empty(), Map.of()), "no site means the default site");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://datadoghq.eu", "datadoghq.eu/", "datadoghq com", "localhost", "-bad.com",
        "app.datadoghq.eu", "api.datadoghq.com", "datadoghq..com", "site_with_underscore.com"})
    void aSiteThatIsNotAHostNameIsRejectedNamingTheSetting(String site) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> seriesUriFor(site, Optional.empty(), Map.of()));
        assertTrue(error.getMessage().startsWith("DD_SITE=\"" + site + "\": expected"), error.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "https://app.datadoghq.com, https://app.datadoghq.com/api/v2/series",
        "https://app.datadoghq.com/, https://app.datadoghq.com/api/v2/series",
        "https://proxy.internal:8443/datadog, https://proxy.internal:8443/datadog/api/v2/series",
        "https://proxy.internal:8443/datadog//, https://proxy.internal:8443/datadog/api/v2/series",
        "https://app.datadoghq.eu/api/v2/series, https://app.datadoghq.eu/api/v2/series",
        "HTTP://127.0.0.1:9000, http://127.0.0.1:9000/api/v2/series",
        "https://proxy.internal/dd?tenant=a, https://proxy.internal/dd/api/v2/series?tenant=a"})
    void ddUrlFormsAllLeadToTheSeriesPath(String ddUrl, String expected) {
        assertEquals(URI.create(expected), seriesUriFor("datadoghq.com", Optional.of(URI.create(ddUrl)), Map.of()));
    }

    @Test
    void ddUrlWinsOverTheSiteAndUrlWinsOverBoth() {
        Optional<URI> ddUrl = Optional.of(URI.create("https://dd-url.example"));
        assertEquals(URI.create("https://dd-url.example/api/v2/series"),
                seriesUriFor("not a site", ddUrl, Map.of()), "a bad site does not matter when DD_DD_URL is set");
        assertEquals(URI.create("http://127.0.0.1:1234/api/v2/series"),
                seriesUriFor("datadoghq.eu", ddUrl, Map.of("url", "http://127.0.0.1:1234/")));
    }

    @Test
    void anUnusableDdUrlIsRejectedNamingTheSettingWithoutEchoingIt() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> seriesUriFor("datadoghq.com", Optional.of(URI.create("ftp://user:secret@x.example")),
                        Map.of()));
        assertTrue(error.getMessage().startsWith("DD_DD_URL is not usable"), error.getMessage());
        assertTrue(!error.getMessage().contains("secret"), error.getMessage());
    }
}
