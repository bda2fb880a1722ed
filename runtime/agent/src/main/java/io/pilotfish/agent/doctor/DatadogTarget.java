package io.pilotfish.agent.doctor;

import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.spi.Secret;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where the agent sends and with which key, read from the raw {@code pilotfish.*} keys (which already include the
 * mapped {@code DD_*} variables) so that doctor works even when the config as a whole is invalid. When the keys
 * could not be read at all, the raw {@code DD_API_KEY}, {@code DD_SITE} and {@code DD_DD_URL} are used.
 *
 * @param site           the Datadog site, {@code datadoghq.com} when unset
 * @param apiKey         the API key, if any
 * @param apiBase        {@code DD_DD_URL}, else {@code https://api.<site>}; empty when neither is usable
 * @param baseProblem    why {@code apiBase} is empty: the setting to fix
 * @param intakeBases    distinct base URLs of the enabled Datadog sinks (metrics, events); the API base if none
 * @param proxy          {@code DD_PROXY_HTTPS} ({@code pilotfish.proxy.https}) when it is a usable http(s) URL; it may
 *                       carry credentials, so only {@link io.pilotfish.agent.net.IntakeProxy#describe} is shown
 */
public record DatadogTarget(String site, Optional<Secret> apiKey, Optional<URI> apiBase, Optional<String> baseProblem,
                            Map<String, URI> intakeBases, Optional<URI> proxy) {

    static final String KEY_API_KEY = "pilotfish.datadog.api-key";
    static final String KEY_SITE = "pilotfish.datadog.site";
    static final String KEY_URL = "pilotfish.datadog.url";
    static final String KEY_PROXY = "pilotfish.proxy.https";
    private static final String SINKS = "pilotfish.sinks.";
    private static final List<String> DATADOG_SINK_TYPES = List.of("datadog-metrics", "datadog-sketches", "datadog-events");

    public DatadogTarget {
        intakeBases = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(intakeBases));
    }

    /**
     * @param keys every {@code pilotfish.*} key ({@link io.pilotfish.agent.config.ConfigKeys#read}); may be empty
     * @param env  the process environment, the fallback for the {@code DD_*} settings
     */
    public static DatadogTarget from(Map<String, ConfigValue> keys, Map<String, String> env) {
        String site = value(keys, KEY_SITE).or(() -> nonBlank(env.get("DD_SITE")))
                .map(s -> s.toLowerCase(Locale.ROOT)).orElse(DatadogEndpoints.DEFAULT_SITE);
        Optional<Secret> apiKey = value(keys, KEY_API_KEY).or(() -> nonBlank(env.get("DD_API_KEY"))).map(Secret::new);
        Optional<String> rawUrl = value(keys, KEY_URL).or(() -> nonBlank(env.get("DD_DD_URL")));
        Optional<URI> base;
        Optional<String> problem;
        if (rawUrl.isPresent()) {
            base = DatadogEndpoints.parseBase(rawUrl.get());
            // The value is not echoed: a proxy URL may carry credentials.
            problem = base.isPresent() ? Optional.empty()
                    : Optional.of("DD_DD_URL (pilotfish.datadog.url) is not an http or https URL with a host");
        } else {
            problem = DatadogEndpoints.siteProblem(site).map(p -> "DD_SITE=\"" + site + "\": " + p);
            base = problem.isPresent() ? Optional.empty() : Optional.of(DatadogEndpoints.siteBase(site));
        }
        Optional<URI> proxy = value(keys, KEY_PROXY).or(() -> nonBlank(env.get("DD_PROXY_HTTPS")))
                .flatMap(DatadogTarget::proxyUri);
        return new DatadogTarget(site, apiKey, base, problem, intakeBases(keys, base), proxy);
    }

    /** An http(s) URL with a host, as the agent accepts for the proxy; else empty (the config check says why). */
    private static Optional<URI> proxyUri(String raw) {
        try {
            URI uri = URI.create(raw);
            boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            return http && uri.getHost() != null ? Optional.of(uri) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The proxy requests to {@code uri} go through, as the agent chooses it; empty when they go direct. */
    public Optional<io.pilotfish.agent.net.IntakeProxy> proxyFor(URI uri) {
        return proxy.map(io.pilotfish.agent.net.IntakeProxy::of)
                .filter(selector -> selector.select(uri).get(0).type() != java.net.Proxy.Type.DIRECT);
    }

    /** Base URL per enabled Datadog sink instance (its {@code url} key, else the API base), same URLs once. */
    private static Map<String, URI> intakeBases(Map<String, ConfigValue> keys, Optional<URI> apiBase) {
        Map<String, Map<String, String>> sinks = new TreeMap<>();
        keys.forEach((key, value) -> {
            if (key.startsWith(SINKS)) {
                String rest = key.substring(SINKS.length());
                int dot = rest.indexOf('.');
                if (dot > 0) {
                    sinks.computeIfAbsent(rest.substring(0, dot), n -> new TreeMap<>())
                            .put(rest.substring(dot + 1), value.value());
                }
            }
        });
        Map<String, URI> out = new LinkedHashMap<>();
        List<URI> seen = new ArrayList<>();
        sinks.forEach((name, sinkKeys) -> {
            String type = sinkKeys.getOrDefault("type", name);
            if (!DATADOG_SINK_TYPES.contains(type) || "false".equalsIgnoreCase(sinkKeys.getOrDefault("enabled", "")
                    .trim())) {
                return;
            }
            Optional<URI> base = nonBlank(sinkKeys.get("url")).flatMap(DatadogEndpoints::parseBase).or(() -> apiBase);
            if (base.isPresent() && !seen.contains(base.get())) {
                seen.add(base.get());
                out.put(name, base.get());
            } else if (base.isPresent()) {
                String owner = out.entrySet().stream().filter(e -> e.getValue().equals(base.get()))
                        .map(Map.Entry::getKey).findFirst().orElseThrow();
                URI shared = out.remove(owner);
                out.put(owner + ", " + name, shared);
            }
        });
        if (out.isEmpty() && apiBase.isPresent()) {
            out.put("api", apiBase.get());
        }
        return out;
    }

    /** What to call the destination in messages: the site, or the {@code DD_DD_URL} host when that overrides it. */
    public String destination() {
        return apiBase.filter(b -> !b.equals(DatadogEndpoints.siteBase(site))).map(b -> b.getHost())
                .orElse(site);
    }

    private static Optional<String> value(Map<String, ConfigValue> keys, String key) {
        ConfigValue value = keys.get(key);
        return value == null ? Optional.empty() : nonBlank(value.value());
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    @Override
    public String toString() {
        return "DatadogTarget[site=" + site + ", apiKey=" + apiKey.map(Secret::masked).orElse("none") + ", apiBase="
                + apiBase.map(DatadogEndpoints::describe).orElse("none") + ", proxy="
                + proxy.map(p -> io.pilotfish.agent.net.IntakeProxy.of(p).describe()).orElse("none") + "]";
    }
}
