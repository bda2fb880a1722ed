package io.pilotfish.agent.cli;

import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.platform.PluginRegistry;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pilotfish health}: for an ECS container {@code healthCheck}. Exit 0 while the agent in this task runs, 1
 * when it does not answer or is stopping.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Exit 0 when the agent in this task is running, 1 otherwise (for an ECS healthCheck).")
public class HealthCommand implements Callable<Integer> {

    @Option(names = "--port", description = "The status port (default: pilotfish.status.port, 5001).")
    Integer port;

    @Inject
    PluginRegistry registry;

    @Override
    public Integer call() {
        AgentConfig.StatusOptions options = StatusCommand.StatusEndpoint.options(registry, port);
        Optional<HttpResponse<String>> answer = StatusCommand.StatusEndpoint.get(options, "/health");
        boolean healthy = answer.map(r -> r.statusCode() == 200).orElse(false);
        System.out.println(healthy ? "healthy" : "unhealthy: " + answer.map(r -> "the agent answered HTTP "
                + r.statusCode() + " (stopping)").orElse("no agent answers on " + options.host() + ":"
                + options.port()));
        return healthy ? 0 : 1;
    }
}
