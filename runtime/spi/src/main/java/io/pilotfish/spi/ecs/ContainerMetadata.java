package io.pilotfish.spi.ecs;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One container of the task ({@code Containers[]}).
 *
 * @param cpuLimitUnits   container {@code Limits.CPU} in CPU units (1024 = 1 vCPU)
 * @param memoryLimitMiB  container {@code Limits.Memory} in MiB
 * @param type            {@code NORMAL}, or an internal type such as {@code CNI_PAUSE}
 */
public record ContainerMetadata(String dockerId, String name, String dockerName, String image, String imageId,
                                Map<String, String> labels, String desiredStatus, String knownStatus,
                                OptionalInt exitCode, Optional<Double> cpuLimitUnits, Optional<Long> memoryLimitMiB,
                                Optional<Instant> createdAt, Optional<Instant> startedAt,
                                Optional<Instant> finishedAt, String type, OptionalInt restartCount,
                                Optional<String> healthStatus, List<String> networkModes) {

    public ContainerMetadata {
        labels = Map.copyOf(labels);
        networkModes = List.copyOf(networkModes);
    }

    /** Internal containers (the pause container) are not the user's and are not reported. */
    public boolean isInternal() {
        return !type.isEmpty() && !"NORMAL".equals(type);
    }

    public boolean isStopped() {
        return "STOPPED".equals(knownStatus);
    }

    public boolean isRunning() {
        return "RUNNING".equals(knownStatus);
    }
}
