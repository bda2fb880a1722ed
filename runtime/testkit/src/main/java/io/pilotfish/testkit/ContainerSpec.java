package io.pilotfish.testkit;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * One container of a {@link TaskSpec}.
 *
 * @param cpuUnits    container {@code Limits.CPU} in CPU units (1024 = 1 vCPU); empty renders 2 on Fargate
 *                    (what Fargate shows when the task definition leaves it unset) and 0 on EC2
 * @param memoryMiB   container {@code Limits.Memory} in MiB; empty leaves it out
 * @param type        {@code NORMAL}, or {@code CNI_PAUSE} for the internal pause container
 * @param knownStatus {@code RUNNING}, {@code RESOURCES_PROVISIONED} (pause) or {@code STOPPED}
 * @param exitCode    only for {@code STOPPED}
 */
public record ContainerSpec(String name, String image, OptionalInt cpuUnits, OptionalInt memoryMiB, String type,
                            String knownStatus, OptionalInt exitCode, ContainerLoad load) {

    public static final String PAUSE_NAME = "~internal~ecs~pause";

    public ContainerSpec {
        requireText("name", name);
        requireText("image", image);
        requireText("type", type);
        requireText("knownStatus", knownStatus);
        Objects.requireNonNull(cpuUnits, "cpuUnits");
        Objects.requireNonNull(memoryMiB, "memoryMiB");
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(load, "load");
        if (cpuUnits.isPresent() && cpuUnits.getAsInt() < 0) {
            throw new IllegalArgumentException("container '" + name + "': cpuUnits must be >= 0");
        }
        if (memoryMiB.isPresent() && memoryMiB.getAsInt() <= 0) {
            throw new IllegalArgumentException("container '" + name + "': memoryMiB must be > 0");
        }
        if (exitCode.isPresent() && !"STOPPED".equals(knownStatus)) {
            throw new IllegalArgumentException("container '" + name + "': an exit code needs knownStatus STOPPED");
        }
    }

    /** A running {@code NORMAL} container with the default load and no limits. */
    public static ContainerSpec of(String name, String image) {
        return new ContainerSpec(name, image, OptionalInt.empty(), OptionalInt.empty(), "NORMAL", "RUNNING",
                OptionalInt.empty(), ContainerLoad.DEFAULT);
    }

    /** The internal pause container of EC2 awsvpc tasks. */
    public static ContainerSpec pause() {
        return new ContainerSpec(PAUSE_NAME, "amazon/amazon-ecs-pause:0.1.0", OptionalInt.of(0), OptionalInt.empty(),
                "CNI_PAUSE", "RESOURCES_PROVISIONED", OptionalInt.empty(),
                new ContainerLoad(0, 512 * 1024, 0, 0, 0, 0));
    }

    public ContainerSpec withCpuUnits(int units) {
        return new ContainerSpec(name, image, OptionalInt.of(units), memoryMiB, type, knownStatus, exitCode, load);
    }

    public ContainerSpec withMemoryMiB(int mib) {
        return new ContainerSpec(name, image, cpuUnits, OptionalInt.of(mib), type, knownStatus, exitCode, load);
    }

    public ContainerSpec withLoad(ContainerLoad newLoad) {
        return new ContainerSpec(name, image, cpuUnits, memoryMiB, type, knownStatus, exitCode, newLoad);
    }

    /** Shorthand for {@code withLoad(load().withCpu(vcpu).withMemoryMiB(memoryMiB))}. */
    public ContainerSpec withLoad(double vcpu, long memoryUsageMiB) {
        return withLoad(load.withCpu(vcpu).withMemoryMiB(memoryUsageMiB));
    }

    /** The container has already exited with this code when the simulator starts. */
    public ContainerSpec stopped(int code) {
        return new ContainerSpec(name, image, cpuUnits, memoryMiB, type, "STOPPED", OptionalInt.of(code), load);
    }

    private static void requireText(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("container " + what + " must not be blank");
        }
    }
}
