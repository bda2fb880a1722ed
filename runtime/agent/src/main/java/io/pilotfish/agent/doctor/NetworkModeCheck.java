package io.pilotfish.agent.doctor;

import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** The task's network mode, from its containers' {@code Networks}, and what it means for apps reaching the agent. */
public final class NetworkModeCheck implements DoctorCheck {

    @Override
    public String id() {
        return "network";
    }

    @Override
    public String title() {
        return "network mode";
    }

    @Override
    public CheckResult run(DoctorContext context) throws InterruptedException {
        if (!context.metadata().available()) {
            return CheckResult.skip(this, "task metadata unavailable (see metadata endpoint)");
        }
        TaskMetadata task;
        try {
            task = context.task();
        } catch (ExecutionException | TimeoutException e) {
            return CheckResult.skip(this, "task metadata unavailable (see metadata endpoint)");
        }
        Set<String> modes = new TreeSet<>();
        for (ContainerMetadata container : task.containers()) {
            if (!container.isInternal()) {
                container.networkModes().stream().filter(m -> !m.isBlank()).forEach(modes::add);
            }
        }
        if (modes.isEmpty()) {
            return CheckResult.warn(this, "the task metadata names no network mode for any container",
                    "Check the task definition's networkMode (awsvpc is recommended)");
        }
        if (modes.size() > 1) {
            return CheckResult.warn(this, "containers report different network modes " + modes,
                    "Use one networkMode for the task (awsvpc is recommended)");
        }
        String mode = modes.iterator().next();
        boolean nonLocal = isTrue(context, "DD_DOGSTATSD_NON_LOCAL_TRAFFIC") && isTrue(context,
                "DD_APM_NON_LOCAL_TRAFFIC");
        return switch (mode) {
            case "awsvpc" -> CheckResult.pass(this, "awsvpc: all containers of the task share localhost; apps send "
                    + "DogStatsD to 127.0.0.1:8125 (udp) and traces to 127.0.0.1:8126");
            case "host" -> CheckResult.pass(this, "host: the task uses the instance's network; apps on the instance "
                    + "reach the agent at localhost, and ports 8125/8126 are shared with the whole instance");
            case "bridge" -> nonLocal
                    ? CheckResult.pass(this, "bridge: each container has its own localhost; non-local traffic is "
                    + "enabled, so apps can reach the agent through a link or the instance's IP")
                    : CheckResult.warn(this, "bridge: each container has its own localhost, so apps cannot reach the "
                    + "agent at 127.0.0.1:8125/8126",
                    "Point apps at the agent (a container link or the instance IP in DD_AGENT_HOST, or share a Unix "
                            + "socket volume: DD_DOGSTATSD_SOCKET / DD_APM_RECEIVER_SOCKET) and set "
                            + "DD_DOGSTATSD_NON_LOCAL_TRAFFIC=true and DD_APM_NON_LOCAL_TRAFFIC=true on Pilotfish; "
                            + "or use networkMode awsvpc");
            case "none" -> CheckResult.fail(this, "none: the task has no network; apps cannot reach the agent and "
                    + "the agent cannot reach Datadog", "Use networkMode awsvpc (or bridge) in the task definition");
            default -> CheckResult.warn(this, mode + ": a network mode doctor does not know",
                    "Make sure apps can reach the agent on ports 8125/udp and 8126/tcp");
        };
    }

    private static boolean isTrue(DoctorContext context, String variable) {
        return context.env(variable).map(v -> v.equalsIgnoreCase("true") || v.equals("1")).orElse(false);
    }
}
