package io.pilotfish.sink.datadog.metrics;

import io.pilotfish.spi.AgentSettings;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where series go: {@code <base>/api/v2/series}, the base being the sink's {@code url}, else {@code DD_DD_URL},
 * else {@code https://api.<site>} (the public API host pattern, valid for every Datadog site).
 */
public final class SeriesEndpoint {

    public static final String SERIES_PATH = "/api/v2/series";
    public static final String DEFAULT_SITE = "datadoghq.com";

    // Two or more DNS labels: letters, digits, inner hyphens, 1-63 characters each.
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+");

    private SeriesEndpoint() {
    }

    /**
     * What is wrong with a site value ({@code DD_SITE}), or empty when it is a usable host name such as
     * {@code datadoghq.eu}. Blank means the default site and is fine.
     */
    public static Optional<String> siteProblem(String site) {
        String value = normalizeSite(site);
        if (value.contains("://") || value.contains("/")) {
            return Optional.of("expected the site's host name only, e.g. datadoghq.com or datadoghq.eu, without "
                    + "https:// or a path (use DD_DD_URL for a full URL)");
        }
        if (!HOST_NAME.matcher(value).matches()) {
            return Optional.of("expected a Datadog site host name such as datadoghq.com, us3.datadoghq.com, "
                    + "datadoghq.eu, ap1.datadoghq.com or ddog-gov.com");
        }
        if (value.startsWith("api.") || value.startsWith("app.")) {
            return Optional.of("expected the site without the app./api. prefix, e.g. datadoghq.eu rather than "
                    + "app.datadoghq.eu");
        }
        return Optional.empty();
    }

    /** {@code https://api.<site>/api/v2/series}; the site must have passed {@link #siteProblem}. */
    public static URI forSite(String site) {
        return URI.create("https://api." + normalizeSite(site) + SERIES_PATH);
    }

    /**
     * A user-given base URL, if it is an absolute http(s) URL with a host. Any path is kept (a proxy may serve
     * Datadog below a prefix).
     */
    public static Optional<URI> parseBase(String raw) {
        try {
            URI uri = new URI(raw.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return Optional.of(uri);
            }
            return Optional.empty();
        } catch (java.net.URISyntaxException e) {
            return Optional.empty();
        }
    }

    /**
     * The series URL below a base: {@code https://h}, {@code https://h/} and {@code https://h/prefix/} all get
     * {@code /api/v2/series} appended once; a base already ending in it is used as it is.
     */
    public static URI seriesUri(URI base) {
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (!path.endsWith(SERIES_PATH)) {
            path = path + SERIES_PATH;
        }
        String query = base.getRawQuery() == null ? "" : "?" + base.getRawQuery();
        return URI.create(base.getScheme().toLowerCase(Locale.ROOT) + "://" + base.getRawAuthority() + path + query);
    }

    /**
     * Resolves the series URL for the current agent settings.
     *
     * @throws IllegalArgumentException naming the setting to fix when {@code DD_DD_URL} or {@code DD_SITE} is unusable
     */
    public static URI resolve(Optional<URI> configuredUrl, AgentSettings agent) {
        if (configuredUrl.isPresent()) {
            return seriesUri(configuredUrl.get());
        }
        if (agent.ddUrl().isPresent()) {
            // The value is not echoed: a proxy URL may carry credentials.
            URI ddUrl = parseBase(agent.ddUrl().get().toString()).orElseThrow(() -> new IllegalArgumentException(
                    "DD_DD_URL is not usable: expected an http or https URL with a host, such as "
                            + "https://app.datadoghq.com (the path " + SERIES_PATH + " is added)"));
            return seriesUri(ddUrl);
        }
        String site = agent.site();
        Optional<String> problem = siteProblem(site);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("DD_SITE=\"" + site + "\": " + problem.get());
        }
        return forSite(site);
    }

    private static String normalizeSite(String site) {
        String value = site == null ? "" : site.trim().toLowerCase(Locale.ROOT);
        if (value.endsWith(".") && !value.endsWith("..")) {
            value = value.substring(0, value.length() - 1);
        }
        return value.isEmpty() ? DEFAULT_SITE : value;
    }
}
