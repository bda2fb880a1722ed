package io.pilotfish.agent.cli;

import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.agent.doctor.DoctorCheck;
import io.pilotfish.agent.doctor.RunningAgentCheck;
import io.pilotfish.agent.doctor.SsmPathsCheck;
import java.util.ArrayList;
import java.util.List;
import io.pilotfish.agent.doctor.ConfigCheck;
import io.pilotfish.agent.doctor.DatadogTarget;
import io.pilotfish.agent.doctor.Doctor;
import io.pilotfish.agent.doctor.DoctorContext;
import io.pilotfish.agent.doctor.DoctorReport;
import io.pilotfish.core.config.ConfigValue;
import io.pilotfish.core.config.Durations;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.platform.PluginRegistry;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pilotfish doctor}: the preflight to run when observability does not work. Exit 1 when a check fails. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check the metadata endpoint, task role, network mode, API key, intake and ports; "
                + "print the fix for each problem. Exit code 1 when a check fails.")
public class DoctorCommand implements Callable<Integer> {

    /** Exit code for a bad option (picocli's usage error code). */
    static final int EXIT_USAGE = 2;

    @Option(names = "--json", description = "Print a JSON document {checks:[{id,title,status,detail,fix}], ok}.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "3s", description = "How long each check may take (default 3s).")
    String timeout;

    @Inject
    PluginRegistry registry;

    @Override
    public Integer call() {
        Optional<Duration> perCheck = Durations.parse(timeout).filter(d -> !d.isZero() && !d.isNegative());
        if (perCheck.isEmpty()) {
            System.err.println("--timeout \"" + timeout + "\": expected a positive duration such as 3s or 500ms");
            return EXIT_USAGE;
        }
        Map<String, String> env = System.getenv();
        Map<String, ConfigValue> keys = Map.of();
        Optional<String> problems;
        String summary = "";
        ConfigAssembly.Assembled assembled = null;
        try {
            assembled = ConfigAssembly.assemble(env, Map.of(), "", PluginCatalogs.of(registry), perCheck.get());
            keys = assembled.values();
            LoadedConfig config = assembled.config();
            problems = config.valid() ? Optional.empty() : Optional.of(config.describeProblems());
            summary = config.collectors().size() + " collectors, " + config.sinks().size() + " sinks enabled";
        } catch (RuntimeException e) {
            // The config sources themselves failed: report it, and check with the raw DD_* environment.
            problems = Optional.of("the configuration could not be read: " + e.getMessage());
        }
        DatadogTarget target = DatadogTarget.from(keys, env);
        ConfigCheck configCheck = new ConfigCheck(problems, summary);
        List<DoctorCheck> checks = new ArrayList<>();
        if (assembled != null) {
            // The ports the configuration wants, checked against what the agent of this task says it holds.
            var status = assembled.config().agent().status();
            checks.addAll(Doctor.standardChecks(configCheck, io.pilotfish.agent.doctor.ListenerPortsCheck.fromConfig(
                    assembled.config(), env, io.pilotfish.agent.status.StatusClient.host(status), status.port())));
        } else {
            checks.addAll(Doctor.standardChecks(configCheck, env));
        }
        if (assembled != null) {
            checks.add(new SsmPathsCheck(assembled));
            var status = assembled.config().agent().status();
            checks.add(new RunningAgentCheck(io.pilotfish.agent.status.StatusClient.host(status), status.port()));
            checks.add(new io.pilotfish.agent.doctor.StatusEndpointCheck(status.host(), status.port()));
        }
        DoctorReport report;
        try (DoctorContext context = new DoctorContext(env, perCheck.get(), target)) {
            report = new Doctor(checks).run(context);
        }
        System.out.print(json ? report.json() + System.lineSeparator() : report.text());
        System.out.flush();
        return report.exitCode();
    }
}
