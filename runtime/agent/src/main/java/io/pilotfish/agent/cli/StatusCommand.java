package io.pilotfish.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.agent.config.ConfigKeys;
import io.pilotfish.agent.status.StatusClient;
import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.core.config.ConfigLoader;
import io.pilotfish.platform.PluginRegistry;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pilotfish status}: asks the running agent (its local status endpoint) what flows where, where its
 * configuration came from and how the last reload went. Exit 1 when no agent answers, 0 otherwise.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the running agent's configuration sources, last reload, API key source, collectors, "
                + "sinks and problems. Exit code 1 when no agent answers.")
public class StatusCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print the agent's JSON document as it is.")
    boolean json;

    @Option(names = "--port", description = "The status port (default: pilotfish.status.port, 5001).")
    Integer port;

    @Inject
    PluginRegistry registry;

    @Override
    public Integer call() {
        AgentConfig.StatusOptions options = StatusEndpoint.options(registry, port);
        Optional<HttpResponse<String>> answer = StatusEndpoint.get(options, "/status");
        if (answer.isEmpty() || answer.get().statusCode() != 200) {
            System.err.println("no Pilotfish agent answers on http://" + options.host() + ":" + options.port()
                    + "/status" + answer.map(r -> " (HTTP " + r.statusCode() + ")").orElse("")
                    + ": is it running in this task, and is pilotfish.status.port the same here and there?");
            return 1;
        }
        if (json) {
            System.out.println(answer.get().body());
            return 0;
        }
        try {
            print(new ObjectMapper().readTree(answer.get().body()), System.out);
        } catch (Exception e) {
            System.err.println("the agent's status could not be read: " + e.getMessage());
            return 1;
        }
        return 0;
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
        StringBuilder collectors = new StringBuilder();
        status.path("collectors").forEach(c -> collectors.append(collectors.isEmpty() ? "" : ", ").append(c.asText()));
        out.println("Collectors: " + collectors);
        out.println("Sinks:");
        for (JsonNode sink : status.path("sinks")) {
            out.printf("  %-20s queued %d (%d bytes), sent %d, retried %d, dropped %d%s%n", sink.path("name").asText(),
                    sink.path("queue_items").asLong(), sink.path("queue_bytes").asLong(), sink.path("sent").asLong(),
                    sink.path("retried").asLong(), sink.path("dropped").asLong(),
                    sink.path("last_failure").isNull() ? "" : "; last failure: " + sink.path("last_failure").asText());
        }
        JsonNode problems = status.path("problems");
        if (problems.isEmpty()) {
            out.println("Problems: none");
        } else {
            out.println("Problems:");
            problems.forEach(p -> out.println("  - " + p.asText()));
        }
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

        static Optional<HttpResponse<String>> get(AgentConfig.StatusOptions options, String path) {
            if (!options.enabled()) {
                return Optional.empty();
            }
            try {
                return Optional.of(StatusClient.get(options.host(), options.port(), path, Duration.ofSeconds(3)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            } catch (java.io.IOException e) {
                return Optional.empty();
            }
        }
    }
}
