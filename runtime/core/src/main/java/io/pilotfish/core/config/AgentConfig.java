package io.pilotfish.core.config;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Agent-wide settings ({@code pilotfish.*} outside the collectors and sinks trees).
 *
 * @param site              Datadog site ({@code DD_SITE})
 * @param apiKey            the API key ({@code DD_API_KEY}); may be absent: data is then kept and retried
 * @param ddUrl             metrics intake override ({@code DD_DD_URL})
 * @param hostname          reported host, empty by default (a Fargate task has no host)
 * @param tags              global tags ({@code DD_TAGS} plus env/service/version)
 * @param shutdownDeadline  how long shutdown may take to flush, below ECS's default 30 s stop timeout
 * @param shutdownLinger    the longest part of that deadline spent still accepting data while the task's other
 *                          containers are running (they stop at the same SIGTERM, and send their last logs, metrics
 *                          and traces as they do)
 * @param telemetryInterval how often the agent's own {@code pilotfish.*} metrics are shipped, when they are
 * @param shipTelemetry     send the agent's own {@code pilotfish.*} metrics to the sinks (Datadog bills them as custom
 *                          metrics); off by default: they stay in {@code pilotfish status} and on {@code /metrics}
 * @param httpsProxy        proxy for the intakes ({@code DD_PROXY_HTTPS}), e.g. {@code http://user:pass@proxy:3128}
 * @param status            the local status endpoint {@code pilotfish status} and {@code health} ask
 * @param logs              agent-wide log settings: {@code logs.processing-rules} (the Agent's global
 *                          {@code processing_rules}, {@code DD_LOGS_CONFIG_PROCESSING_RULES}) and
 *                          {@code logs.auto-multi-line-detection} ({@code DD_LOGS_CONFIG_AUTO_MULTI_LINE_DETECTION})
 * @param degradedIsHealthy {@code pilotfish.health.degraded=report}: a failed or stopped part is reported by the health
 *                          check as degraded, with the reason, instead of failing it
 */
public record AgentConfig(String site, Optional<Secret> apiKey, Optional<URI> ddUrl, String hostname, TagSet tags,
                          Duration shutdownDeadline, Duration shutdownLinger, Duration telemetryInterval,
                          boolean shipTelemetry, Optional<URI> httpsProxy, SsmOptions ssm, StatusOptions status, AgentSettings.Logs logs,
                          boolean degradedIsHealthy) {

    /**
     * Where configuration comes from in SSM Parameter Store.
     *
     * @param enabled        read SSM at all (only inside an ECS task: the paths are templated from its metadata)
     * @param paths          path templates, least specific first; empty for the defaults
     * @param apiKeyFrom     {@code ssm:/name}, {@code secretsmanager:<name>} or a secret ARN holding the API key
     * @param reloadInterval how often SSM is read again while running; zero for never (SIGHUP still reloads)
     */
    public record SsmOptions(boolean enabled, java.util.List<String> paths, Optional<String> apiKeyFrom,
                             Duration reloadInterval) {
    }

    /**
     * The status endpoint: HTTP on the loopback interface only, so nothing outside the task reaches it.
     *
     * @param port zero for none
     */
    public record StatusOptions(String host, int port) {
        public boolean enabled() {
            return port > 0;
        }
    }

    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofMinutes(5);
    /** The Datadog Agent's IPC port: free in every task that ran the Agent as its sidecar. */
    public static final int DEFAULT_STATUS_PORT = 5001;

    public static final String DEFAULT_SITE = "datadoghq.com";
    /** Apps on SIGTERM flush and exit within seconds; half the 20 s deadline still leaves 10 s to send. */
    public static final Duration DEFAULT_SHUTDOWN_LINGER = Duration.ofSeconds(10);

    static AgentConfig read(PluginConfig config) {
        String site = config.string("datadog.site", DEFAULT_SITE).toLowerCase(java.util.Locale.ROOT);
        if (!site.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")) {
            config.problem("datadog.site", "expected a Datadog site host name such as datadoghq.com or datadoghq.eu");
        }
        Optional<Secret> apiKey = config.secret("datadog.api-key");
        Optional<URI> ddUrl = httpUrl(config, "datadog.url", "an http(s) URL such as https://intake.example.com");
        // The proxy URL may carry credentials: every output masks a URL's user-info (ConfigValue.shown), keeping
        // the host and port a user checks.
        Optional<URI> proxy = httpUrl(config, "proxy.https", "an http(s) URL such as http://proxy.internal:3128");
        String hostname = config.string("hostname", "");
        List<String> tags = new ArrayList<>(splitTags(config.string("tags", "")));
        config.string("env").filter(s -> !s.isBlank()).ifPresent(v -> tags.add("env:" + v));
        config.string("service").filter(s -> !s.isBlank()).ifPresent(v -> tags.add("service:" + v));
        config.string("version").filter(s -> !s.isBlank()).ifPresent(v -> tags.add("version:" + v));
        Duration deadline = config.duration("shutdown.deadline", Duration.ofSeconds(20));
        if (deadline.isZero()) {
            config.problem("shutdown.deadline", "must be longer than zero (ECS kills the task 30 s after SIGTERM by default)");
        }
        Duration linger = config.duration("shutdown.linger", DEFAULT_SHUTDOWN_LINGER);
        if (linger.isNegative()) {
            config.problem("shutdown.linger", "expected 0s (flush at once) or a positive duration; at most half of "
                    + "shutdown.deadline is spent waiting for the task's other containers to stop");
        }
        Duration telemetryInterval = config.duration("telemetry.interval", Duration.ofSeconds(10));
        if (telemetryInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            // 1ms was accepted once and took 43 % of a core for figures nobody reads that often.
            config.problem("telemetry.interval", "expected at least 1s (the default 10s matches the Agent's "
                    + "flush interval)");
        }
        if (config.string("telemetry.enabled").isPresent()) {
            config.problem("telemetry.enabled", "replaced by pilotfish.telemetry.ship (default false): the agent's "
                    + "own figures are always in pilotfish status and on the status port's /metrics; set "
                    + "telemetry.ship=true to also send them to Datadog, where they are billed as custom metrics");
        }
        boolean shipTelemetry = config.bool("telemetry.ship", false);
        Duration reloadInterval = config.duration("ssm.reload-interval", DEFAULT_RELOAD_INTERVAL);
        if (!reloadInterval.isZero() && reloadInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            config.problem("ssm.reload-interval", "expected 0 (no periodic reload) or at least 1s; a few minutes "
                    + "keeps a large fleet within SSM's request quota");
        }
        SsmOptions ssm = new SsmOptions(config.bool("ssm.enabled", true), config.list("ssm.paths"),
                config.string("datadog.api-key-from").filter(s -> !s.isBlank()), reloadInterval);
        StatusOptions status = new StatusOptions(config.string("status.host", "127.0.0.1"),
                (int) config.number("status.port", DEFAULT_STATUS_PORT, 0, 65535));
        String degraded = config.string("health.degraded", "fail").trim().toLowerCase(java.util.Locale.ROOT);
        if (!degraded.equals("fail") && !degraded.equals("report")) {
            config.problem("health.degraded", "expected fail (a failed or stopped listener, collector or sink fails the "
                    + "health check) or report (the health check passes and says degraded, with the reason)");
        }
        return new AgentConfig(site, apiKey, ddUrl, hostname, TagSet.of(tags), deadline, linger, telemetryInterval,
                shipTelemetry, proxy, ssm, status, logs(config), degraded.equals("report"));
    }

    /** The global processing rules are checked here, so that a bad one stops the start naming its key. */
    private static AgentSettings.Logs logs(PluginConfig config) {
        // Read as a secret: a rule's pattern may be what it masks, so the value is never shown (status, errors).
        String rules = config.secret("logs.processing-rules").map(Secret::reveal).orElse("").trim();
        if (!rules.isEmpty()) {
            try {
                io.pilotfish.processing.logs.LogRules.compile(
                        io.pilotfish.processing.logs.ProcessingRule.parseJson(rules, "logs.processing-rules"));
            } catch (IllegalArgumentException e) {
                config.problem("logs.processing-rules", "a JSON list of the Agent's processing rules, e.g. "
                        + "[{\"type\":\"exclude_at_match\",\"name\":\"no_health\",\"pattern\":\"GET /health\"}]: "
                        + e.getMessage());
                rules = "";
            }
        }
        return new AgentSettings.Logs(rules, config.bool("logs.auto-multi-line-detection", false));
    }

    private static Optional<URI> httpUrl(PluginConfig config, String key, String expected) {
        return config.string(key).filter(s -> !s.isBlank()).flatMap(raw -> {
            try {
                URI uri = URI.create(raw);
                if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                        || uri.getHost() == null) {
                    throw new IllegalArgumentException();
                }
                return Optional.of(uri);
            } catch (IllegalArgumentException e) {
                config.problem(key, "expected " + expected);
                return Optional.empty();
            }
        });
    }

    /** {@code DD_TAGS} accepts spaces or commas between tags. */
    static List<String> splitTags(String raw) {
        List<String> out = new ArrayList<>();
        for (String part : raw.split("[,\\s]+")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }
}
