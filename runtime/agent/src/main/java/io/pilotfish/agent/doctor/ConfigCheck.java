package io.pilotfish.agent.doctor;

import java.util.Optional;

/** Whether the agent's configuration loads: every problem the loader lists, as one failure. */
public final class ConfigCheck implements DoctorCheck {

    private final Optional<String> problems;
    private final String summary;

    /**
     * @param problems the loader's description of every problem (secret values already masked); empty when valid
     * @param summary  what the valid config holds, e.g. {@code 2 collectors, 2 sinks}
     */
    public ConfigCheck(Optional<String> problems, String summary) {
        this.problems = problems;
        this.summary = summary;
    }

    @Override
    public String id() {
        return "config";
    }

    @Override
    public String title() {
        return "configuration";
    }

    @Override
    public CheckResult run(DoctorContext context) {
        return problems.map(p -> CheckResult.fail(this, p, "Fix each key listed (the source in parentheses says "
                        + "where the value came from); the other checks use the raw DD_* settings"))
                .orElseGet(() -> CheckResult.pass(this, "valid: " + summary));
    }
}
