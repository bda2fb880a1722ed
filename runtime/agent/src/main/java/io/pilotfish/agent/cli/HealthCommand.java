package io.pilotfish.agent.cli;

import io.pilotfish.health.HealthProbe;
import io.pilotfish.health.HealthVerdict;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pilotfish health}: for an ECS container {@code healthCheck}. Exit 0 while the agent in this task runs
 * ({@code healthy}, or {@code degraded: ...}), 1 when it reports itself unhealthy, is stopping or does not answer.
 * The launcher runs the same probe without Quarkus (module {@code pilotfish-health-probe}); this command is what
 * the native image runs, and it calls the probe so both say exactly the same.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Exit 0 when the agent in this task is running, 1 otherwise (for an ECS healthCheck).")
public class HealthCommand implements Callable<Integer> {

    @Option(names = "--port", description = "The status port (default: pilotfish.status.port, 5001).")
    Integer port;

    @Override
    public Integer call() {
        HealthVerdict verdict = HealthProbe.check(port, System.getProperties(), System.getenv(),
                HealthProbe.DEFAULT_TIMEOUT);
        System.out.println(verdict.line());
        System.out.flush();
        return verdict.exitCode();
    }
}
