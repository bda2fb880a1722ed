package io.pilotfish.agent.cli;

import io.pilotfish.agent.AgentLifecycle;
import io.pilotfish.agent.AgentRuntime;
import io.pilotfish.agent.config.ConfigKeys;
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
    private static final System.Logger LOG = System.getLogger(RunCommand.class.getName());

    @Inject
    PluginRegistry registry;

    @Inject
    AgentLifecycle lifecycle;

    @Override
    public Integer call() {
        LoadedConfig config;
        try {
            config = AgentRuntime.load(ConfigKeys.read(Map.of(), ""), ConfigKeys.environment(System.getenv()),
                    PluginCatalogs.of(registry));
        } catch (AgentRuntime.InvalidConfigException e) {
            System.err.println(e.getMessage());
            return EXIT_CONFIG;
        }
        io.pilotfish.agent.config.DatadogEnvironment.ignored(System.getenv())
                .forEach(line -> LOG.log(System.Logger.Level.WARNING, line));
        long started = System.nanoTime();
        AgentRuntime runtime = new AgentRuntime(config, System.getenv());
        lifecycle.manage(runtime);
        runtime.start();
        LOG.log(System.Logger.Level.INFO, "pilotfish " + io.pilotfish.agent.Version.VALUE + " ready in "
                + (System.nanoTime() - started) / 1_000_000 + " ms (agent start); sending to "
                + config.sinks().stream().map(s -> s.name()).toList());
        Quarkus.waitForExit();
        lifecycle.stop();
        return 0;
    }
}
