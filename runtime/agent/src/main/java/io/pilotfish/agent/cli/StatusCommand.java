package io.pilotfish.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.agent.config.ConfigKeys;
import io.pilotfish.agent.status.StatusClient;
import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.platform.PluginRegistry;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pilotfish status}: asks the running agent (its local status endpoint) what flows where, where its
 * configuration came from and how the last reload went. Exit 1 when no agent answers, 0 otherwise; with
 * {@code --json} stdout is a JSON document either way.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the running agent's configuration sources, last reload, API key source, collectors, "
                + "sinks and problems. Exit code 1 when no agent answers.")
public class StatusCommand implements Callable<Integer> {

    /** How long the connection and the answer may each take. */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

    private static final String WHERE = ": is it running in this task, and is pilotfish.status.port the same here "
            + "and there?";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "Print the agent's JSON document as it is; when no agent answers, "
            + "{\"ok\":false,\"running\":false,\"error\":\"...\"}.")
    boolean json;

    @Option(names = "--port", description = "The status port (default: pilotfish.status.port, 5001).")
    Integer port;

    @Inject
    PluginRegistry registry;

    @Override
    public Integer call() {
        AgentConfig.StatusOptions options = StatusEndpoint.options(registry, port);
        String url = "http://" + (options.host().contains(":") ? "[" + options.host() + "]" : options.host()) + ":"
                + options.port() + "/status";
        if (options.port() == 0) {
            return noAgent(url, "the status endpoint is off (pilotfish.status.port=0), so no agent answers on "
                    + "it; give --port or set pilotfish.status.port to the port the agent listens on");
        }
        if (options.port() < 0 || options.port() > 65535) {
            return noAgent(url, "--port " + options.port() + ": expected a port from 1 to 65535");
        }
        HttpResponse<String> answer;
        try {
            answer = StatusEndpoint.get(options, "/status");
        } catch (IOException | IllegalArgumentException e) {
            return noAgent(url, "no Pilotfish agent answers on " + url + " (" + reason(e) + ")" + WHERE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return noAgent(url, "interrupted while asking " + url);
        }
        if (answer.statusCode() != 200) {
            return noAgent(url, "no Pilotfish agent answers on " + url + " (HTTP " + answer.statusCode() + ")"
                    + WHERE);
        }
        JsonNode document;
        try {
            document = JSON.readTree(answer.body());
        } catch (JsonProcessingException e) {
            return noAgent(url, "the answer on " + url + " is not the agent's status: " + e.getOriginalMessage());
        }
        if (!document.isObject()) {
            return noAgent(url, "the answer on " + url + " is not the agent's status: not a JSON object");
        }
        if (json) {
            System.out.println(answer.body().strip());
        } else {
            print(document, System.out);
        }
        System.out.flush();
        return 0;
    }

    /**
     * Exit 1 with {@code error}: with {@code --json} as a JSON document on stdout (a script reading it still gets
     * JSON), as text on stderr otherwise.
     */
    private int noAgent(String url, String error) {
        if (json) {
            ObjectNode document = JSON.createObjectNode().put("ok", false).put("running", false).put("error", error)
                    .put("endpoint", url);
            System.out.println(document.toString());
            System.out.flush();
        } else {
            System.err.println(error);
        }
        return 1;
    }

    private static String reason(Exception e) {
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return "no answer within " + ASK_TIMEOUT.toSeconds() + " s";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    static void print(JsonNode status, PrintStream out) {
        out.printf("Pilotfish %s, up %d s%n", status.path("version").asText(), status.path("uptime_seconds").asLong());
        JsonNode config = status.path("config");
        JsonNode ssm = config.path("ssm");
        out.printf("Configuration: applied %s; SSM %s", config.path("applied_at").asText(),
                ssm.path("state").asText().replace('_', ' '));
        if (ssm.path("reload_interval_seconds").asLong() > 0 && !ssm.path("next_read").isNull()) {
            out.printf(", re-read every %d s, next at %s", ssm.path("reload_interval_seconds").asLong(),
                    ssm.path("next_read").asText());
        }
        out.println();
        for (JsonNode path : ssm.path("paths")) {
            out.printf("  %-40s %s: %s%n", path.path("path").asText(), path.path("state").asText(),
                    path.path("detail").asText());
        }
        JsonNode last = ssm.path("last_reload");
        if (!last.isMissingNode()) {
            out.printf("  last reload: %s (%s, %s)%n", last.path("outcome").asText(), last.path("trigger").asText(),
                    last.path("at").asText());
            for (JsonNode detail : last.path("details")) {
                out.println("    " + detail.asText());
            }
        }
        JsonNode key = config.path("api_key");
        out.println("API key: " + (key.path("configured").asBoolean() ? "from " + key.path("source").asText()
                : "none configured"));
        JsonNode health = status.path("health");
        if (!health.isMissingNode()) {
            out.println("Health: " + health.path("status").asText()
                    + (health.path("problems").isEmpty() ? "" : " (see problems)"));
        }
        out.println("Collectors:");
        for (JsonNode collector : status.path("collectors")) {
            StringBuilder sockets = new StringBuilder();
            collector.path("listening").forEach(socket -> sockets.append(sockets.isEmpty() ? "; listening on " : ", ")
                    .append(socket.path("transport").asText()).append(' ').append(socket.path("address").asText()));
            out.printf("  %-20s %s%s%n", collector.path("name").asText(), plugin(collector), sockets);
            if (collector.path("type").asText().equals("apm")) {
                printTraces(collector.path("figures"), out);
            }
        }
        out.println("Sinks:");
        for (JsonNode sink : status.path("sinks")) {
            out.printf("  %-20s %s; queued %d (%d bytes), sent %d, retried %d, dropped %d%s%n",
                    sink.path("name").asText(), plugin(sink), sink.path("queue_items").asLong(),
                    sink.path("queue_bytes").asLong(), sink.path("sent").asLong(), sink.path("retried").asLong(),
                    sink.path("dropped").asLong(),
                    sink.path("last_failure").isNull() ? "" : "; last failure: " + sink.path("last_failure").asText());
            JsonNode disk = sink.path("disk_buffer");
            if (!disk.isMissingNode()) {
                out.printf("  %-20s disk buffer %s: %d items (%d of %d bytes), spilled %d, replayed %d, "
                                + "disk_full %d, corrupt %d%n", "", disk.path("path").asText(),
                        disk.path("items").asLong(), disk.path("bytes").asLong(), disk.path("max_bytes").asLong(),
                        disk.path("spilled").asLong(), disk.path("replayed").asLong(),
                        disk.path("disk_full").asLong(), disk.path("corrupt").asLong());
            }
        }
        printDrops(status.path("drops"), out);
        JsonNode telemetry = status.path("telemetry");
        if (!telemetry.isMissingNode()) {
            out.println("Own figures: on " + telemetry.path("metrics_path").asText("/metrics") + " of this port"
                    + (telemetry.path("shipped").asBoolean() ? ", and shipped to Datadog" : "; not shipped to Datadog"));
        }
        JsonNode warnings = status.path("warnings");
        if (!warnings.isEmpty()) {
            out.println("Warnings (logged in the last 5 minutes):");
            warnings.forEach(w -> out.println("  - " + w.asText()));
        }
        JsonNode problems = status.path("problems");
        if (problems.isEmpty()) {
            out.println("Problems: none");
        } else {
            out.println("Problems:");
            problems.forEach(p -> out.println("  - " + p.asText()));
        }
    }

    /**
     * Every drop since start, one line per part: {@code figure reason count} for each, those still growing marked.
     * An agent too old to report drops prints nothing here.
     */
    private static void printDrops(JsonNode drops, PrintStream out) {
        if (drops.isMissingNode()) {
            return;
        }
        if (drops.isEmpty()) {
            out.println("Dropped since start: nothing");
            return;
        }
        out.println("Dropped since start (by reason; * = still growing):");
        java.util.Map<String, java.util.List<String>> byPart = new java.util.LinkedHashMap<>();
        for (JsonNode drop : drops) {
            StringBuilder line = new StringBuilder(drop.path("figure").asText());
            if (!drop.path("reason").asText().isEmpty()) {
                line.append(' ').append(drop.path("reason").asText());
            }
            line.append(' ').append(drop.path("count").asLong());
            if (drop.path("bytes").isNumber()) {
                line.append(" (").append(drop.path("bytes").asLong()).append(" bytes)");
            }
            java.util.List<String> tags = new java.util.ArrayList<>();
            drop.path("tags").forEach(tag -> tags.add(tag.asText()));
            if (!tags.isEmpty()) {
                line.append(" [").append(String.join(", ", tags)).append(']');
            }
            if (drop.path("growing").asBoolean()) {
                line.append(" *");
            }
            byPart.computeIfAbsent(drop.path("part").asText(), part -> new java.util.ArrayList<>())
                    .add(line.toString());
        }
        byPart.forEach((part, lines) -> out.printf("  %-20s %s%n", part, String.join("; ", lines)));
    }

    /** A plugin entry's type and state ({@code {type, state, detail}}), with the reason when it does not run. */
    /** What the APM receiver took in, refused, sampled and sent on: the figures its README lists, summed. */
    private static void printTraces(JsonNode figures, PrintStream out) {
        java.util.Map<String, Long> totals = new java.util.TreeMap<>();
        java.util.Map<String, Long> byEndpoint = new java.util.TreeMap<>();
        java.util.Map<String, Long> byLanguage = new java.util.TreeMap<>();
        java.util.Map<String, Long> refused = new java.util.TreeMap<>();
        java.util.Map<String, Long> sampling = new java.util.TreeMap<>();
        for (JsonNode figure : figures) {
            String name = figure.path("name").asText();
            long value = figure.path("value").asLong();
            totals.merge(name, value, Long::sum);
            java.util.Map<String, String> tags = new java.util.HashMap<>();
            figure.path("tags").forEach(t -> {
                String tag = t.asText();
                int colon = tag.indexOf(':');
                if (colon > 0) {
                    tags.put(tag.substring(0, colon), tag.substring(colon + 1));
                }
            });
            switch (name) {
                case "apm.payloads" -> {
                    byEndpoint.merge(tags.getOrDefault("endpoint", "?"), value, Long::sum);
                    byLanguage.merge(tags.getOrDefault("lang", "?"), value, Long::sum);
                }
                case "apm.payload_errors" -> refused.merge(tags.getOrDefault("endpoint", "?") + " "
                        + tags.getOrDefault("reason", "?"), value, Long::sum);
                case "apm.sampling" -> sampling.merge(tags.getOrDefault("decision", "?"), value, Long::sum);
                default -> {
                }
            }
        }
        out.printf("    traces received: %d payloads (%s; %s), %d traces, %d spans%n",
                totals.getOrDefault("apm.payloads", 0L), join(byEndpoint), join(byLanguage),
                totals.getOrDefault("apm.traces_received", 0L), totals.getOrDefault("apm.spans_received", 0L));
        out.printf("    payloads refused: %s%n", refused.isEmpty() ? "none" : join(refused));
        out.printf("    sampling: kept %d, dropped %d; chunks sent %d; dropped inside the agent: %d traces, %d spans%n",
                sampling.getOrDefault("kept", 0L), sampling.getOrDefault("dropped", 0L),
                totals.getOrDefault("apm.chunks_sent", 0L), totals.getOrDefault("apm.traces.dropped", 0L),
                totals.getOrDefault("apm.spans.dropped", 0L));
        out.printf("    stats: %d payloads sent, %d tracer payloads taken in; proxied requests %d%n",
                totals.getOrDefault("apm.stats.payloads_sent", 0L),
                totals.getOrDefault("apm.stats.client_payloads", 0L),
                totals.getOrDefault("apm.proxy.requests", 0L));
    }

    private static String join(java.util.Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return "none";
        }
        StringBuilder out = new StringBuilder();
        counts.forEach((key, value) -> out.append(out.isEmpty() ? "" : ", ").append(key).append(' ').append(value));
        return out.toString();
    }

    private static String plugin(JsonNode plugin) {
        String state = plugin.path("state").asText("running");
        String detail = plugin.path("detail").isTextual() ? ": " + plugin.path("detail").asText() : "";
        return plugin.path("type").asText("?") + ", " + state + detail;
    }

    /** Where the running agent's endpoint is, and how to ask it. */
    static final class StatusEndpoint {

        private StatusEndpoint() {
        }

        /** The status settings from the local sources (SSM is not read for this: the port is set per image). */
        static AgentConfig.StatusOptions options(PluginRegistry registry, Integer port) {
            AgentConfig agent = new ConfigLoader(PluginCatalogs.of(registry)).load(ConfigKeys.read(Map.of(), ""),
                    ConfigKeys.environment(System.getenv())).agent();
            AgentConfig.StatusOptions options = agent.status();
            return new AgentConfig.StatusOptions(StatusClient.host(options), port != null ? port : options.port());
        }

        static HttpResponse<String> get(AgentConfig.StatusOptions options, String path)
                throws IOException, InterruptedException {
            return StatusClient.get(options.host(), options.port(), path, ASK_TIMEOUT);
        }
    }
}
