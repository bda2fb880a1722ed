package io.pilotfish.agent.cli;

import io.pilotfish.agent.AgentLifecycle;
import io.pilotfish.agent.AgentRuntime;
import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.platform.PluginRegistry;
import io.quarkus.runtime.Quarkus;
import jakarta.inject.Inject;
import io.pilotfish.agent.ReloadSignal;
import io.pilotfish.agent.config.ConfigReloader;
import io.pilotfish.agent.status.StatusReport;
import io.pilotfish.agent.status.StatusServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

    @Inject
    io.vertx.core.Vertx vertx;

    @Override
    public Integer call() {
        long started = System.nanoTime();
        // Read once: a reload sees exactly the sources the start saw, plus what SSM says then.
        ConfigAssembly.LocalSources local = ConfigAssembly.LocalSources.read(System.getenv(), Map.of(), "");
        ConfigAssembly.Assembled assembled = ConfigAssembly.assemble(local, PluginCatalogs.of(registry),
                METADATA_WAIT);
        ConfigAssembly.log(assembled);
        LoadedConfig config = assembled.config();
        if (!config.valid()) {
            System.err.println(config.describeProblems());
            return EXIT_CONFIG;
        }
        io.pilotfish.agent.config.DatadogEnvironment.ignored(System.getenv())
                .forEach(line -> LOG.log(System.Logger.Level.WARNING, line));
        Map<String, String> env = System.getenv();
        io.pilotfish.core.plugin.PluginCatalog catalog = PluginCatalogs.of(registry);
        AgentRuntime runtime = new AgentRuntime(config, env);
        ConfigReloader reloader = new ConfigReloader(assembled,
                () -> ConfigAssembly.assemble(local, catalog, METADATA_WAIT), runtime::apply,
                Clock.systemUTC());
        runtime.onKeyRejected(reloader::keyRejected);
        reloader.onAttempt(attempt -> runtime.telemetry().counter("config.reloads", io.pilotfish.spi.signal.TagSet.of(
                "outcome:" + attempt.outcome().name().toLowerCase(java.util.Locale.ROOT))).increment());
        Instant startedAt = Instant.now();
        StatusServer status = new StatusServer(vertx, config.agent().status(),
                () -> StatusReport.build(runtime, reloader, startedAt), runtime::health,
                () -> io.pilotfish.agent.status.OpenMetrics.render(runtime.telemetry().readings()),
                runtime.telemetry().scoped(io.pilotfish.spi.signal.TagSet.EMPTY));
        lifecycle.manage(runtime, List.of(reloader), List.of(status));
        runtime.start();
        reloader.start();
        ReloadSignal.install(() -> reloader.reloadNow("SIGHUP"), config.agent().ssm().reloadInterval());
        status.start(Duration.ofSeconds(2));
        LOG.log(System.Logger.Level.INFO, "pilotfish " + io.pilotfish.agent.Version.VALUE + " ready in "
                + (System.nanoTime() - started) / 1_000_000 + " ms (configuration and agent start); sending to "
                + config.sinks().stream().map(s -> s.name()).toList());
        Quarkus.waitForExit();
        lifecycle.stop();
        return 0;
    }
}
