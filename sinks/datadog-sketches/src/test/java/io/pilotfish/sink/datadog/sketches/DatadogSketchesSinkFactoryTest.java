package io.pilotfish.sink.datadog.sketches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogSketchesSinkFactoryTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final DatadogSketchesSinkFactory factory = new DatadogSketchesSinkFactory();

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

    private URI sketchesUriFor(String site, Optional<URI> ddUrl, Map<String, String> keys) {
        TestContext context = new TestContext("datadog-sketches", HTTP, Clock.systemUTC(), site, ddUrl,
                TagSet.EMPTY);
        return ((DatadogSketchesSink) factory.create(factory.configure(config(keys)), context)).sketchesUri();
    }

    // ---- config keys -------------------------------------------------------------------------------------------

    @Test
    void defaultsMatchTheIntakeLimits() {
        MapPluginConfig config = config(Map.of());
        DatadogSketchesConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(DatadogSketchesConfig.DEFAULTS, typed);
        assertEquals(Compression.DEFLATE, typed.compression());
        assertEquals(512_000, typed.maxPayloadBytes());
        assertEquals(4_194_304, typed.maxUncompressedBytes());
        assertEquals(Optional.empty(), typed.url());
    }

    @Test
    void everyKeyIsRead() {
        MapPluginConfig config = config(Map.of("url", "https://intake.example:8443/dd", "compression", "gzip",
                "max-payload-bytes", "100000", "max-uncompressed-bytes", "1_000_000"));
        DatadogSketchesConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(Optional.of(URI.create("https://intake.example:8443/dd")), typed.url());
        assertEquals(Compression.GZIP, typed.compression());
        assertEquals(100_000, typed.maxPayloadBytes());
        assertEquals(1_000_000, typed.maxUncompressedBytes());
    }

    @Test
    void unknownCompressionIsAProblemNamingTheKey() {
        MapPluginConfig config = config(Map.of("compression", "zstd"));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.dd.compression", problem.key());
        assertTrue(problem.expected().contains("gzip") && problem.expected().contains("deflate"), problem.expected());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "api.datadoghq.com", "ftp://intake.example", "http://"})
    void aUrlThatIsNotAnHttpUrlIsAProblemNamingTheKeyAndThePath(String url) {
        MapPluginConfig config = config(Map.of("url", url));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.dd.url", problem.key());
        assertTrue(problem.expected().contains("http or https URL"), problem.expected());
        assertTrue(problem.expected().contains("/api/beta/sketches"), problem.expected());
    }

    @ParameterizedTest
    @CsvSource({"max-payload-bytes, 512001", "max-payload-bytes, 0", "max-payload-bytes, lots",
        "max-uncompressed-bytes, 4194305", "max-uncompressed-bytes, 5242880", "max-uncompressed-bytes, -1"})
    void limitsOutsideTheIntakesRangeAreProblems(String key, String value) {
        MapPluginConfig config = config(Map.of(key, value));
        DatadogSketchesConfig typed = factory.configure(config);

        assertEquals("pilotfish.plugins.dd." + key, onlyProblem(config).key());
        assertEquals(DatadogSketchesConfig.DEFAULTS, typed, "the default stands in so validation can go on");
    }

    @Test
    void unknownKeysAreReportedWithoutTheirValues() {
        MapPluginConfig config = config(Map.of("compresion", "gzip", "api_key", "secret-value"));
        factory.configure(config);

        List<String> keys = config.problems().stream().map(ConfigProblem::key).sorted().toList();
        assertEquals(List.of("pilotfish.plugins.dd.api_key", "pilotfish.plugins.dd.compresion"), keys);
        assertTrue(config.problems().get(0).expected().contains("unknown key"));
    }

    @Test
    void declaresSketchesItsBatchLimitsAndIsDiscoverable() {
        DatadogSketchesConfig typed = DatadogSketchesConfig.DEFAULTS;
        assertEquals("datadog-sketches", factory.type());
        assertEquals(Set.of(SignalKind.SKETCH), factory.signals(typed));
        BatchLimits limits = factory.batchLimits(typed);
        assertEquals(10_000, limits.maxItems());
        assertEquals(1024L * 1024, limits.maxBytes());
        assertTrue(limits.maxBytes() <= BatchLimits.DEFAULT.maxBytes());

        boolean found = ServiceLoader.load(SinkFactory.class).stream()
                .anyMatch(p -> p.type() == DatadogSketchesSinkFactory.class);
        assertTrue(found, "listed in META-INF/services");
    }

    @Test
    void theConfigRecordRefusesValuesOutsideTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> new DatadogSketchesConfig(Optional.empty(),
                Compression.GZIP, 512_001, 1000));
        assertThrows(IllegalArgumentException.class, () -> new DatadogSketchesConfig(Optional.empty(),
                Compression.GZIP, 1000, 4_194_305));
    }

    // ---- endpoint resolution: the metrics sink's base, another path ---------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
        "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com"})
    void everyDatadogSiteMapsToItsApiHost(String site) {
        assertEquals(URI.create("https://api." + site + "/api/beta/sketches"),
                sketchesUriFor(site, Optional.empty(), Map.of()));
    }

    @Test
    void noSiteMeansTheDefaultSite() {
        assertEquals(URI.create("https://api.datadoghq.com/api/beta/sketches"),
                sketchesUriFor("", Optional.empty(), Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://datadoghq.eu", "localhost", "app.datadoghq.eu"})
    void aSiteThatIsNotAHostNameIsRejectedNamingTheSetting(String site) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> sketchesUriFor(site, Optional.empty(), Map.of()));
        assertTrue(error.getMessage().startsWith("DD_SITE=\"" + site + "\": expected"), error.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "https://app.datadoghq.com, https://app.datadoghq.com/api/beta/sketches",
        "https://proxy.internal:8443/datadog//, https://proxy.internal:8443/datadog/api/beta/sketches",
        "https://app.datadoghq.eu/api/beta/sketches, https://app.datadoghq.eu/api/beta/sketches",
        "https://proxy.internal/dd?tenant=a, https://proxy.internal/dd/api/beta/sketches?tenant=a"})
    void ddUrlFormsAllLeadToTheSketchesPath(String ddUrl, String expected) {
        assertEquals(URI.create(expected), sketchesUriFor("datadoghq.com", Optional.of(URI.create(ddUrl)),
                Map.of()));
    }

    @Test
    void ddUrlWinsOverTheSiteAndUrlWinsOverBoth() {
        Optional<URI> ddUrl = Optional.of(URI.create("https://dd-url.example"));
        assertEquals(URI.create("https://dd-url.example/api/beta/sketches"),
                sketchesUriFor("not a site", ddUrl, Map.of()));
        assertEquals(URI.create("http://127.0.0.1:1234/api/beta/sketches"),
                sketchesUriFor("datadoghq.eu", ddUrl, Map.of("url", "http://127.0.0.1:1234/")));
    }

    @Test
    void anUnusableDdUrlIsRejectedWithoutEchoingIt() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> sketchesUriFor("datadoghq.com", Optional.of(URI.create("ftp://user:secret@x.example")),
                        Map.of()));
        assertTrue(error.getMessage().startsWith("DD_DD_URL is not usable"), error.getMessage());
        assertFalse(error.getMessage().contains("secret"), error.getMessage());
    }
}
