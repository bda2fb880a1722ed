package io.pilotfish.agent.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.agent.AgentRuntime;
import io.pilotfish.agent.Version;
import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.agent.config.ConfigReloader;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.core.pipeline.SinkRunner;
import io.pilotfish.core.plugin.PluginState;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.Secret;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code pilotfish status} shows: where the configuration came from and how its last reload went, the API key's
 * source (never its value), what runs, and each sink's queue and counts. {@code problems} lists, one line each, what
 * a user should act on; {@code warnings} what the running parts logged in the last five minutes. Built from the
 * running agent on request; holds no secret values.
 */
public final class StatusReport {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a logged warning of a plugin stays in the status's warnings. */
    static final Duration RECENT_WARNINGS = Duration.ofMinutes(5);

    private StatusReport() {
    }

    public static ObjectNode build(AgentRuntime runtime, ConfigReloader reloader, Instant startedAt) {
        ObjectNode root = JSON.createObjectNode();
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Instant now = Instant.now();
        root.put("version", Version.VALUE);
        root.put("uptime_seconds", Duration.between(startedAt, now).toSeconds());

        ConfigReloader.Status config = reloader.status();
        ConfigAssembly.Assembled current = config.current();
        ObjectNode configNode = root.putObject("config");
        configNode.put("applied_at", config.appliedAt().toString());
        ArrayNode notes = configNode.putArray("notes");
        current.notes().forEach(notes::add);

        ObjectNode ssm = configNode.putObject("ssm");
        ssm.put("state", lower(current.ssmState()));
        ssm.put("reload_interval_seconds", config.interval().toSeconds());
        ssm.put("next_read", config.nextAttempt().map(Instant::toString).orElse(null));
        ssm.put("consecutive_failures", config.consecutiveFailures());
        ArrayNode paths = ssm.putArray("paths");
        current.ssm().ifPresent(load -> load.paths().forEach(path -> {
            ObjectNode node = paths.addObject();
            node.put("path", path.path());
            node.put("state", lower(path.state()));
            node.put("parameters", path.parameters());
            node.put("detail", path.detail());
            node.put("fix", path.fix().isEmpty() ? null : path.fix());
            if (!path.ok()) {
                problems.add("SSM " + path.describe());
            }
        }));
        config.last().ifPresent(attempt -> {
            ObjectNode last = ssm.putObject("last_reload");
            last.put("at", attempt.at().toString());
            last.put("trigger", attempt.trigger());
            last.put("outcome", lower(attempt.outcome()));
            ArrayNode details = last.putArray("details");
            attempt.details().forEach(details::add);
        });
        if (current.ssmState().retryable()) {
            problems.add("SSM could not be read at start: running on the other sources, retrying"
                    + config.nextAttempt().map(at -> " at " + at).orElse("") + ". Run pilotfish doctor for the cause");
        }
        config.last().filter(a -> a.outcome() == ConfigReloader.Outcome.SOURCE_FAILED
                || a.outcome() == ConfigReloader.Outcome.REFUSED).ifPresent(attempt -> problems.add(
                "the last configuration reload (" + attempt.at() + ") was " + (attempt.outcome()
                        == ConfigReloader.Outcome.REFUSED ? "refused" : "not applied") + ": "
                        + String.join("; ", attempt.details())));

        ObjectNode key = configNode.putObject("api_key");
        MapPluginConfig.Effective effective = runtime.config().effective().get("pilotfish.datadog.api-key");
        boolean configured = runtime.config().agent().apiKey().isPresent();
        key.put("configured", configured);
        key.put("source", configured && effective != null ? effective.source() : null);
        if (!configured) {
            problems.add("no Datadog API key: data is kept within the queue budget until one is configured (DD_API_KEY, "
                    + "pilotfish.datadog.api-key-from or the SSM parameter)");
        }

        // Every configured instance, running or not: a part that failed or stopped is listed, never left out.
        ArrayNode collectors = root.putArray("collectors");
        List<TelemetryRegistry.Reading> readings = runtime.telemetry().readings();
        java.util.Map<String, PluginState.View> sinkStates = new java.util.LinkedHashMap<>();
        for (PluginState.View plugin : runtime.pipeline().plugins()) {
            if (plugin.role().equals("sink")) {
                sinkStates.put(plugin.name(), plugin);
                continue;
            }
            ObjectNode node = collectors.addObject();
            node.put("name", plugin.name());
            pluginState(plugin, node);
            figures(readings, "collector:" + plugin.name(), node.putArray("figures"));
            plugin.problem().ifPresent(problems::add);
            recentWarning(plugin, now).ifPresent(warnings::add);
        }
        ArrayNode sinks = root.putArray("sinks");
        TelemetryRegistry telemetry = runtime.telemetry();
        java.util.Map<String, SinkRunner> runners = new java.util.LinkedHashMap<>();
        runtime.pipeline().sinkRunners().forEach(runner -> runners.put(runner.name(), runner));
        java.util.Set<String> names = new java.util.LinkedHashSet<>(sinkStates.keySet());
        names.addAll(runners.keySet());
        for (String name : names) {
            ObjectNode node = sinks.addObject();
            String scope = "sink:" + name;
            node.put("name", name);
            PluginState.View state = sinkStates.get(name);
            if (state != null) {
                pluginState(state, node);
                state.problem().ifPresent(problems::add);
                recentWarning(state, now).ifPresent(warnings::add);
            }
            SinkRunner sink = runners.get(name);
            node.put("queue_items", sink == null ? 0 : sink.queuedItems());
            node.put("queue_bytes", sink == null ? 0 : sink.queuedBytes());
            node.put("received", telemetry.total("sink.received", scope));
            node.put("sent", telemetry.total("sink.sent", scope));
            node.put("retried", telemetry.total("sink.retried", scope));
            node.put("dropped", telemetry.total("sink.dropped", scope));
            if (sink != null) {
                sink.diskBuffer().ifPresent(disk -> {
                    ObjectNode diskNode = node.putObject("disk_buffer");
                    diskNode.put("path", disk.path().toString());
                    diskNode.put("open", disk.open());
                    diskNode.put("bytes", disk.bytes());
                    diskNode.put("max_bytes", disk.maxBytes());
                    diskNode.put("items", disk.items());
                    diskNode.put("spilled", telemetry.total("sink.disk_buffer.spilled", scope));
                    diskNode.put("replayed", telemetry.total("sink.disk_buffer.replayed", scope));
                    diskNode.put("corrupt", telemetry.total("sink.disk_buffer.corrupt", scope));
                    diskNode.put("disk_full", telemetry.total("sink.dropped", scope, "reason:disk_full"));
                    if (!disk.open()) {
                        problems.add("sink " + name + ": the disk buffer at " + disk.path() + " could not be opened; "
                                + "its queue is in memory only (see the log)");
                    }
                });
            }
            String failure = sink == null ? "" : sink.lastFailure();
            node.put("last_failure", failure.isEmpty() ? null : failure);
            if (!failure.isEmpty()) {
                problems.add("sink " + name + ": " + failure);
            }
        }
        // Every counted drop of every part, by reason; a part still dropping is a problem while it lasts.
        DropReport.add(root, telemetry, problems);
        ObjectNode telemetryNode = root.putObject("telemetry");
        telemetryNode.put("shipped", runtime.config().agent().shipTelemetry());
        telemetryNode.put("metrics_path", "/metrics");
        // The status listener's own exposure and bounds (StatusServer): worth a look, never a dead part.
        io.pilotfish.core.config.AgentConfig.StatusOptions statusOptions = runtime.config().agent().status();
        long refusedConnections = telemetry.total("status.connections.refused");
        ObjectNode endpointNode = root.putObject("status_endpoint");
        endpointNode.put("host", statusOptions.host());
        endpointNode.put("port", statusOptions.port());
        endpointNode.put("refused_connections", refusedConnections);
        if (statusOptions.enabled() && !StatusServer.isLoopback(statusOptions.host())) {
            warnings.add(StatusServer.exposureWarning(statusOptions.host(), statusOptions.port()));
        }
        if (refusedConnections > 0) {
            warnings.add("the status endpoint refused " + refusedConnections + " connection(s) beyond its limit of "
                    + StatusServer.Limits.DEFAULT.maxConnections() + " open at once: a client opens connections "
                    + "without closing them");
        }

        Health health = runtime.health();
        ObjectNode healthNode = root.putObject("health");
        healthNode.put("status", health.status().wireName());
        ArrayNode healthProblems = healthNode.putArray("problems");
        health.problems().forEach(healthProblems::add);
        ArrayNode warningNode = root.putArray("warnings");
        warnings.forEach(warningNode::add);
        ArrayNode problemNode = root.putArray("problems");
        problems.forEach(problemNode::add);
        root.put("ok", problems.isEmpty());
        makeSafe(root, runtime.config().agent().apiKey());
        return root;
    }

    /**
     * Every text of the report as it may be shown: the parts' warnings and failures quote what peers answered, so
     * the API key is masked in every form a peer may echo it, URL credentials are masked and control characters
     * escaped, whichever part wrote the text.
     */
    static void makeSafe(com.fasterxml.jackson.databind.JsonNode node, java.util.Optional<Secret> key) {
        if (node instanceof ObjectNode object) {
            for (java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> field : object.properties()) {
                if (field.getValue().isTextual()) {
                    object.put(field.getKey(), safe(field.getValue().asText(), key));
                } else {
                    makeSafe(field.getValue(), key);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isTextual()) {
                    array.set(i, safe(array.get(i).asText(), key));
                } else {
                    makeSafe(array.get(i), key);
                }
            }
        }
    }

    private static String safe(String text, java.util.Optional<Secret> key) {
        return SafeText.clean(key.map(k -> k.redact(text)).orElse(text));
    }

    /**
     * What a running part logged lately (a scrape that fails, malformed input): worth a look, not a dead part, so it
     * is a warning and leaves the health check alone.
     */
    private static java.util.Optional<String> recentWarning(PluginState.View plugin, Instant now) {
        return plugin.lastWarning().filter(w -> Duration.between(w.at(), now).compareTo(RECENT_WARNINGS) <= 0)
                .map(w -> plugin.role() + " " + plugin.name() + ": " + w.message() + " (" + w.count()
                        + (w.count() == 1 ? " warning" : " warnings") + " since start, the last at " + w.at() + ")");
    }

    /**
     * A part's own figures (those its plugin counts, scoped to it), without the scope tags: what it took in, refused
     * and sent on, as the plugin's README lists them.
     */
    private static void figures(List<TelemetryRegistry.Reading> readings, String scope, ArrayNode out) {
        for (TelemetryRegistry.Reading reading : readings) {
            if (!reading.tags().contains(scope)) {
                continue;
            }
            ObjectNode figure = out.addObject();
            figure.put("name", reading.name());
            ArrayNode tags = figure.putArray("tags");
            for (String tag : reading.tags()) {
                if (!tag.equals(scope) && !tag.startsWith("collector_type:")) {
                    tags.add(tag);
                }
            }
            figure.put("counter", reading.counter());
            figure.put("value", reading.value());
        }
    }

    private static void pluginState(PluginState.View plugin, ObjectNode node) {
        node.put("type", plugin.type());
        boolean dead = plugin.phase() == PluginState.Phase.FAILED || plugin.phase() == PluginState.Phase.STOPPED;
        node.put("state", !dead && plugin.degraded().isPresent() ? "degraded" : lower(plugin.phase()));
        String detail = plugin.degraded().orElse(plugin.detail());
        node.put("detail", detail.isEmpty() ? null : detail);
        plugin.lastWarning().ifPresent(warning -> {
            ObjectNode last = node.putObject("last_warning");
            last.put("message", warning.message());
            last.put("at", warning.at().toString());
            last.put("count", warning.count());
        });
        ArrayNode listening = node.putArray("listening");
        for (PluginState.Endpoint endpoint : plugin.listening()) {
            ObjectNode socket = listening.addObject();
            socket.put("transport", endpoint.transport());
            socket.put("address", endpoint.address());
        }
    }

    public static String json(ObjectNode report) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
