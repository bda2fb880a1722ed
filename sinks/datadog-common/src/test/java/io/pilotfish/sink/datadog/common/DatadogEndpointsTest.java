package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DatadogEndpointsTest {

    private static AgentSettings agent(String site, Optional<URI> ddUrl) {
        return new AgentSettings("1.0.0", "", TagSet.EMPTY, site, ddUrl, Optional::empty);
    }

    @ParameterizedTest
    @ValueSource(strings = {"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
        "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com", "uk1.datadoghq.com", "us2.ddog-gov.com"})
    void everyDatadogSiteMapsToItsApiHost(String site) {
        assertEquals(Optional.empty(), DatadogEndpoints.siteProblem(site));
        assertEquals(URI.create("https://api." + site + "/api/v1/events"),
                DatadogEndpoints.resolve(Optional.empty(), agent(site, Optional.empty()), "/api/v1/events"));
    }

    @Test
    void siteIsNormalisedAndBlankMeansTheDefaultSite() {
        assertEquals(URI.create("https://api.datadoghq.eu"), DatadogEndpoints.siteBase(" DatadogHQ.eu. "));
        assertEquals(URI.create("https://api.datadoghq.com"),
                DatadogEndpoints.resolveBase(Optional.empty(), agent("", Optional.empty())));
        assertEquals(URI.create("https://api.datadoghq.com"), DatadogEndpoints.siteBase(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://datadoghq.eu", "datadoghq.eu/", "datadoghq com", "localhost", "-bad.com",
        "app.datadoghq.eu", "api.datadoghq.com", "datadoghq..com", "site_with_underscore.com"})
    void aSiteThatIsNotAHostNameIsRejectedNamingTheSetting(String site) {
        assertTrue(DatadogEndpoints.siteProblem(site).isPresent(), site);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatadogEndpoints.resolveBase(Optional.empty(), agent(site, Optional.empty())));
        assertTrue(error.getMessage().startsWith("DD_SITE=\"" + site + "\": expected"), error.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "https://app.datadoghq.com, https://app.datadoghq.com/api/v1/check_run",
        "https://app.datadoghq.com/, https://app.datadoghq.com/api/v1/check_run",
        "https://proxy.internal:8443/datadog, https://proxy.internal:8443/datadog/api/v1/check_run",
        "https://proxy.internal:8443/datadog//, https://proxy.internal:8443/datadog/api/v1/check_run",
        "https://app.datadoghq.eu/api/v1/check_run, https://app.datadoghq.eu/api/v1/check_run",
        "HTTP://127.0.0.1:9000, http://127.0.0.1:9000/api/v1/check_run",
        "https://proxy.internal/dd?tenant=a, https://proxy.internal/dd/api/v1/check_run?tenant=a"})
    void thePathIsAppendedOnceToAnyFormOfBase(String base, String expected) {
        assertEquals(URI.create(expected), DatadogEndpoints.withPath(URI.create(base), "/api/v1/check_run"));
    }

    @Test
    void theSinksUrlWinsOverDdUrlWhichWinsOverTheSite() {
        Optional<URI> ddUrl = Optional.of(URI.create("https://dd-url.example"));
        assertEquals(URI.create("https://dd-url.example"),
                DatadogEndpoints.resolveBase(Optional.empty(), agent("not a site", ddUrl)),
                "a bad site does not matter when DD_DD_URL is set");
        assertEquals(URI.create("http://127.0.0.1:1234/"), DatadogEndpoints.resolveBase(
                Optional.of(URI.create("http://127.0.0.1:1234/")), agent("datadoghq.eu", ddUrl)));
    }

    @Test
    void anUnusableDdUrlIsRejectedNamingTheSettingWithoutEchoingIt() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatadogEndpoints.resolveBase(Optional.empty(),
                        agent("datadoghq.com", Optional.of(URI.create("ftp://user:secret@x.example")))));
        assertTrue(error.getMessage().startsWith("DD_DD_URL is not usable"), error.getMessage());
        assertFalse(error.getMessage().contains("secret"), error.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "api.datadoghq.com", "ftp://intake.example", "http://", "https:///path"})
    void onlyAbsoluteHttpUrlsWithAHostAreBases(String raw) {
        assertEquals(Optional.empty(), DatadogEndpoints.parseBase(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void anUnsetOrBlankUrlKeyMeansNoUrlAndNoProblem(String raw) {
        MapPluginConfig config = MapPluginConfig.of("dd", raw.isEmpty() ? Map.of() : Map.of("url", raw));

        assertEquals(Optional.empty(), DatadogEndpoints.urlKey(config, "the path /x is added"));
        assertEquals(List.of(), config.problems());
    }

    @Test
    void aUrlKeyIsReadAsABase() {
        MapPluginConfig config = MapPluginConfig.of("dd", Map.of("url", " https://proxy.example/dd "));

        assertEquals(Optional.of(URI.create("https://proxy.example/dd")),
                DatadogEndpoints.urlKey(config, "the path /x is added"));
        assertEquals(List.of(), config.problems());
    }

    @Test
    void aUrlKeyThatIsNotABaseIsAProblemNamingTheKeyAndThePaths() {
        MapPluginConfig config = MapPluginConfig.of("dd", Map.of("url", "ftp://intake.example"));

        assertEquals(Optional.empty(), DatadogEndpoints.urlKey(config, "the path /api/v2/series is added"));
        assertEquals(1, config.problems().size(), config.problems().toString());
        ConfigProblem problem = config.problems().getFirst();
        assertEquals("pilotfish.plugins.dd.url", problem.key());
        assertEquals(DatadogEndpoints.URL_EXPECTED + " (the path /api/v2/series is added)", problem.expected());
    }

    @Test
    void aBaseKeepsItsPathAndSurroundingSpaceIsIgnored() {
        assertEquals(Optional.of(URI.create("https://proxy.example/dd")),
                DatadogEndpoints.parseBase("  https://proxy.example/dd "));
    }

    @Test
    void describeLeavesOutCredentialsAndQuery() {
        assertEquals("https://proxy.example:8443/dd/api/v1/events", DatadogEndpoints.describe(
                URI.create("https://user:pa55word@proxy.example:8443/dd/api/v1/events?token=t0ken")));
        assertEquals("?", DatadogEndpoints.describe(null));
    }

    @Test
    void theResolverFollowsSettingChangesAndKeepsTheBaseWhileTheyStay() {
        EndpointResolver resolver = new EndpointResolver(Optional.empty());
        AgentSettings eu = agent("datadoghq.eu", Optional.empty());

        assertEquals(Optional.empty(), resolver.lastBase());
        assertEquals(URI.create("https://api.datadoghq.eu/api/v1/events"), resolver.resolve(eu, "/api/v1/events"));
        URI first = resolver.base(eu);
        assertTrue(first == resolver.base(agent("datadoghq.eu", Optional.empty())), "same settings: same base");
        assertEquals(URI.create("https://api.us5.datadoghq.com"),
                resolver.base(agent("us5.datadoghq.com", Optional.empty())));
        assertEquals(URI.create("https://relay.example"),
                resolver.base(agent("us5.datadoghq.com", Optional.of(URI.create("https://relay.example")))));
        assertEquals(Optional.of(URI.create("https://relay.example")), resolver.lastBase());
    }

    @Test
    void theResolverThrowsForAnUnusableSiteAndRecoversWhenItIsFixed() {
        EndpointResolver resolver = new EndpointResolver(Optional.empty());
        assertThrows(IllegalArgumentException.class, () -> resolver.base(agent("localhost", Optional.empty())));
        assertEquals(URI.create("https://api.datadoghq.com"), resolver.base(agent("datadoghq.com", Optional.empty())));
    }
}
