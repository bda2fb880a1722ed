package io.pilotfish.agent.cli;

import io.pilotfish.agent.AgentLifecycle;
import io.pilotfish.agent.AgentRuntime;
import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.platform.PluginRegistry;
import io.quarkus.runtime.Quarkus;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** The sidecar: collect and ship until SIGTERM, then flush within the shutdown deadline. */
@Command(name = "run", description = "Run the sidecar agent (the default command).", mixinStandardHelpOptions = true)
public class RunCommand implements Callable<Integer> {

    /** Exit code for configuration errors (sysexits' EX_CONFIG). */
    static final int EXIT_CONFIG = 78;
    /** How long start-up waits for the task metadata the SSM paths are made from. */
    static final java.time.Duration METADATA_WAIT = java.time.Duration.ofSeconds(3);
    private static final System.Logger LOG = System.getLogger(RunCommand.class.getName());

    @Inject
    PluginRegistry registry;

    @Inject
    AgentLifecycle lifecycle;

    @Override
    public Integer call() {
        long started = System.nanoTime();
        ConfigAssembly.Assembled assembled = ConfigAssembly.assemble(System.getenv(), Map.of(), "",
                PluginCatalogs.of(registry), METADATA_WAIT);
        ConfigAssembly.log(assembled);
        LoadedConfig config = assembled.config();
        if (!config.valid()) {
            System.err.println(config.describeProblems());
            return EXIT_CONFIG;
        }
        io.pilotfish.agent.config.DatadogEnvironment.ignored(System.getenv())
                .forEach(line -> LOG.log(System.Logger.Level.WARNING, line));
        AgentRuntime runtime = new AgentRuntime(config, System.getenv());
        lifecycle.manage(runtime);
        runtime.start();
        LOG.log(System.Logger.Level.INFO, "pilotfish " + io.pilotfish.agent.Version.VALUE + " ready in "
                + (System.nanoTime() - started) / 1_000_000 + " ms (configuration and agent start); sending to "
                + config.sinks().stream().map(s -> s.name()).toList());
        Quarkus.waitForExit();
        lifecycle.stop();
        return 0;
    }
}
