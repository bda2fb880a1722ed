package io.pilotfish.sink.datadog.events;

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
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogEventsSinkFactoryTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final DatadogEventsSinkFactory factory = new DatadogEventsSinkFactory();

    @AfterAll
    static void closeClient() {
        HTTP.close();
    }

    private static MapPluginConfig config(Map<String, String> keys) {
        return MapPluginConfig.of("events", keys);
    }

    private static ConfigProblem onlyProblem(MapPluginConfig config) {
        List<ConfigProblem> problems = config.problems();
        assertEquals(1, problems.size(), problems.toString());
        return problems.get(0);
    }

    private URI eventsUriFor(String site, Optional<URI> ddUrl, Map<String, String> keys) {
        TestContext context = new TestContext("datadog-events", HTTP, Clock.systemUTC(), site, ddUrl, TagSet.EMPTY);
        return ((DatadogEventsSink) factory.create(factory.configure(config(keys)), context)).eventsUri();
    }

    @Test
    void defaults() {
        MapPluginConfig config = config(Map.of());
        DatadogEventsConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(DatadogEventsConfig.DEFAULTS, typed);
        assertEquals(Compression.DEFLATE, typed.compression());
        assertEquals(4, typed.maxConcurrentRequests());
        assertEquals(Optional.empty(), typed.url());
    }

    @Test
    void everyKeyIsRead() {
        MapPluginConfig config = config(Map.of("url", "https://intake.example:8443/dd", "compression", "gzip",
                "max-concurrent-requests", "8"));
        DatadogEventsConfig typed = factory.configure(config);

        assertEquals(List.of(), config.problems());
        assertEquals(new DatadogEventsConfig(Optional.of(URI.create("https://intake.example:8443/dd")),
                Compression.GZIP, 8), typed);
    }

    @Test
    void unknownCompressionIsAProblemNamingTheKey() {
        MapPluginConfig config = config(Map.of("compression", "br"));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.events.compression", problem.key());
        assertTrue(problem.expected().contains("gzip") && problem.expected().contains("deflate"), problem.expected());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "api.datadoghq.com", "ftp://intake.example", "http://"})
    void aUrlThatIsNotAnHttpUrlIsAProblemNamingTheKeyAndThePaths(String url) {
        MapPluginConfig config = config(Map.of("url", url));
        factory.configure(config);

        ConfigProblem problem = onlyProblem(config);
        assertEquals("pilotfish.plugins.events.url", problem.key());
        assertTrue(problem.expected().contains("http or https URL"), problem.expected());
        assertTrue(problem.expected().contains("/api/v1/events"), problem.expected());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "17", "many", "-1"})
    void concurrencyOutsideOneToSixteenIsAProblemAndTheDefaultStandsIn(String value) {
        MapPluginConfig config = config(Map.of("max-concurrent-requests", value));
        DatadogEventsConfig typed = factory.configure(config);

        assertEquals("pilotfish.plugins.events.max-concurrent-requests", onlyProblem(config).key());
        assertEquals(DatadogEventsConfig.DEFAULTS, typed);
    }

    @Test
    void unknownKeysAreReportedAndEveryProblemAtOnce() {
        MapPluginConfig config = config(Map.of("api_key", "secret-value", "url", "nope", "compression", "zstd"));
        factory.configure(config);

        List<String> keys = config.problems().stream().map(ConfigProblem::key).sorted().toList();
        assertEquals(List.of("pilotfish.plugins.events.api_key", "pilotfish.plugins.events.compression",
                "pilotfish.plugins.events.url"), keys);
    }

    @Test
    void takesEventsAndServiceChecksInSmallBatchesAndIsDiscoverable() {
        assertEquals("datadog-events", factory.type());
        assertEquals(Set.of(SignalKind.EVENT, SignalKind.SERVICE_CHECK), factory.signals(DatadogEventsConfig.DEFAULTS));
        BatchLimits limits = factory.batchLimits(DatadogEventsConfig.DEFAULTS);
        assertEquals(100, limits.maxItems());
        assertEquals(1024 * 1024, limits.maxBytes());

        boolean found = ServiceLoader.load(SinkFactory.class).stream()
                .anyMatch(p -> p.type() == DatadogEventsSinkFactory.class);
        assertTrue(found, "listed in META-INF/services");
    }

    @ParameterizedTest
    @ValueSource(strings = {"datadoghq.com", "us3.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ddog-gov.com"})
    void eventsGoToTheSitesApiHost(String site) {
        assertEquals(URI.create("https://api." + site + "/api/v1/events"),
                eventsUriFor(site, Optional.empty(), Map.of()));
    }

    @Test
    void urlWinsOverDdUrlWhichWinsOverTheSite() {
        Optional<URI> ddUrl = Optional.of(URI.create("https://relay.example/datadog/"));
        assertEquals(URI.create("https://relay.example/datadog/api/v1/events"),
                eventsUriFor("not a site", ddUrl, Map.of()));
        assertEquals(URI.create("http://127.0.0.1:1234/api/v1/events"),
                eventsUriFor("datadoghq.eu", ddUrl, Map.of("url", "http://127.0.0.1:1234")));
    }

    @Test
    void anUnusableSiteFailsCreationNamingTheSetting() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> eventsUriFor("app.datadoghq.eu", Optional.empty(), Map.of()));
        assertTrue(error.getMessage().startsWith("DD_SITE=\"app.datadoghq.eu\""), error.getMessage());
    }
}
