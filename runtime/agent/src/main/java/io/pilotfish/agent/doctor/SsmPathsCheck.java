package io.pilotfish.agent.doctor;

import io.pilotfish.agent.config.ConfigAssembly;
import io.pilotfish.config.ssm.PathStatus;
import io.pilotfish.config.ssm.SsmLoad;
import java.util.List;
import java.util.Optional;

/** Whether each SSM path of this task could be read with the task role. */
public final class SsmPathsCheck implements DoctorCheck {

    private final ConfigAssembly.Assembled assembled;

    public SsmPathsCheck(ConfigAssembly.Assembled assembled) {
        this.assembled = assembled;
    }

    @Override
    public String id() {
        return "ssm";
    }

    @Override
    public String title() {
        return "SSM parameters";
    }

    @Override
    public CheckResult run(DoctorContext context) {
        if (assembled.ssmDisabled()) {
            return CheckResult.skip(this, "SSM is switched off (pilotfish.ssm.enabled=false)");
        }
        Optional<SsmLoad> load = assembled.ssm();
        if (load.isEmpty()) {
            String why = assembled.notes().stream().filter(n -> n.startsWith("SSM")).findFirst()
                    .orElse("SSM was not read");
            if (why.contains("no ECS task metadata endpoint") || why.contains("no task role")) {
                // The metadata and credentials checks already fail with their own fixes.
                return CheckResult.skip(this, why);
            }
            return CheckResult.fail(this, why, "Check that the task role may call ssm:GetParametersByPath on the "
                    + "/pilotfish paths, that AWS_REGION is right, and that the task can reach SSM (a VPC endpoint "
                    + "or a NAT gateway)");
        }
        List<PathStatus> failing = load.get().paths().stream().filter(p -> !p.ok()).toList();
        String read = load.get().values().size() + " keys from " + load.get().paths().stream()
                .map(p -> p.path() + " (" + p.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                        + ")").toList();
        if (failing.isEmpty()) {
            return load.get().problems().isEmpty() ? CheckResult.pass(this, read)
                    : CheckResult.warn(this, read + "; " + load.get().problems().size() + " parameter(s) ignored: "
                    + load.get().problems().get(0).describe(), "Fix or delete the parameters named above");
        }
        PathStatus first = failing.get(0);
        return CheckResult.fail(this, first.describe(), first.fix());
    }
}
