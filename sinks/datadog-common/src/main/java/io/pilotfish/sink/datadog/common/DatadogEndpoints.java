package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.PluginConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a Datadog sink sends: {@code <base><path>}, the base being the sink's own {@code url} key, else
 * {@code DD_DD_URL} ({@link AgentSettings#ddUrl()}), else {@code https://api.<site>} (the public API host pattern,
 * valid for every Datadog site).
 */
public final class DatadogEndpoints {

    public static final String DEFAULT_SITE = "datadoghq.com";

    /** What a sink's {@code url} key must hold; sinks report it as the expected value of a bad {@code url}. */
    public static final String URL_EXPECTED = "expected an http or https URL with a host, such as "
            + "https://api.datadoghq.eu or http://127.0.0.1:8080";

    // Two or more DNS labels: letters, digits, inner hyphens, 1-63 characters each.
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+");

    private DatadogEndpoints() {
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

    /** {@code https://api.<site>}; the site must have passed {@link #siteProblem}. Blank means the default site. */
    public static URI siteBase(String site) {
        return URI.create("https://api." + normalizeSite(site));
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
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    /**
     * A sink's optional {@code url} key: empty when unset or blank; a value {@link #parseBase} refuses is reported as
     * a problem of the key (and gives empty).
     *
     * @param pathsNote what the sink appends to the base, for the problem text, e.g.
     *                  {@code the path /api/v2/series is added}
     */
    public static Optional<URI> urlKey(PluginConfig config, String pathsNote) {
        Optional<String> raw = config.string("url").filter(s -> !s.isBlank());
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        Optional<URI> url = parseBase(raw.get());
        if (url.isEmpty()) {
            config.problem("url", URL_EXPECTED + " (" + pathsNote + ")");
        }
        return url;
    }

    /**
     * An API path below a base: {@code https://h}, {@code https://h/} and {@code https://h/prefix//} all get
     * {@code path} appended once; a base already ending in it is used as it is; a query string is kept.
     *
     * @param path an absolute API path such as {@code /api/v1/events}
     */
    public static URI withPath(URI base, String path) {
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        while (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        if (!basePath.endsWith(path)) {
            basePath = basePath + path;
        }
        String query = base.getRawQuery() == null ? "" : "?" + base.getRawQuery();
        return URI.create(base.getScheme().toLowerCase(Locale.ROOT) + "://" + base.getRawAuthority() + basePath
                + query);
    }

    /**
     * The base URL for the current agent settings.
     *
     * @param configuredUrl the sink's own {@code url}, already checked with {@link #parseBase}
     * @throws IllegalArgumentException naming the setting to fix when {@code DD_DD_URL} or {@code DD_SITE} is unusable
     */
    public static URI resolveBase(Optional<URI> configuredUrl, AgentSettings agent) {
        if (configuredUrl.isPresent()) {
            return configuredUrl.get();
        }
        if (agent.ddUrl().isPresent()) {
            // The value is not echoed: a proxy URL may carry credentials.
            return parseBase(agent.ddUrl().get().toString()).orElseThrow(() -> new IllegalArgumentException(
                    "DD_DD_URL is not usable: expected an http or https URL with a host, such as "
                            + "https://app.datadoghq.com (the API paths are added)"));
        }
        String site = agent.site();
        Optional<String> problem = siteProblem(site);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("DD_SITE=\"" + site + "\": " + problem.get());
        }
        return siteBase(site);
    }

    /** {@link #withPath}({@link #resolveBase}, path). */
    public static URI resolve(Optional<URI> configuredUrl, AgentSettings agent, String path) {
        return withPath(resolveBase(configuredUrl, agent), path);
    }

    /**
     * Scheme, host, port and path only, for {@code toString} and logs: a {@code DD_DD_URL} may carry proxy
     * credentials in its user-info or query.
     */
    public static String describe(URI uri) {
        if (uri == null) {
            return "?";
        }
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    private static String normalizeSite(String site) {
        String value = site == null ? "" : site.trim().toLowerCase(Locale.ROOT);
        if (value.endsWith(".") && !value.endsWith("..")) {
            value = value.substring(0, value.length() - 1);
        }
        return value.isEmpty() ? DEFAULT_SITE : value;
    }
}
