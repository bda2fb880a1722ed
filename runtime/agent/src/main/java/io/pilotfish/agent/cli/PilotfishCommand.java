package io.pilotfish.agent.cli;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import jakarta.inject.Inject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code pilotfish [command]}; without a command it runs the sidecar, as the container's entry point does. */
@TopCommand
@Command(name = "pilotfish", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Sidecar observability agent for Amazon ECS, shipping to Datadog.",
        subcommands = {RunCommand.class, DemoCommand.class, ConfigCommand.class, DoctorCommand.class,
                StatusCommand.class, HealthCommand.class})
public class PilotfishCommand implements Callable<Integer> {

    static {
        // Before any command touches java.net.http, which reads the setting once (see IntakeProxy).
        io.pilotfish.agent.net.IntakeProxy.allowBasicOnTunnels();
    }

    @Inject
    RunCommand run;

    @Override
    public Integer call() {
        return run.call();
    }
}
