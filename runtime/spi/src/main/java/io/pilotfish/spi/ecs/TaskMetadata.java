package io.pilotfish.spi.ecs;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The task as the ECS task metadata endpoint ({@code /task}) describes it. Fields the endpoint omits are empty.
 *
 * @param metadataVersion   {@code v4} or {@code v3}
 * @param cluster           as returned: a short name (EC2) or a full ARN (Fargate)
 * @param clusterName       the short cluster name
 * @param cpuLimitVcpu      task {@code Limits.CPU} in vCPU
 * @param memoryLimitMiB    task {@code Limits.Memory} in MiB
 * @param ephemeralStorage  task {@code EphemeralStorageMetrics} in MiB
 * @param clusterArn        the cluster's ARN when the endpoint gives one: {@code Cluster} on Fargate, or a
 *                          {@code ClusterArn} field; empty when the cluster is known by its short name only (EC2)
 * @param serviceArn        the ARN of the service that started the task, when the endpoint gives one
 * @param taskDefinitionArn the ARN of the task definition, when the endpoint gives one
 */
public record TaskMetadata(String metadataVersion, String cluster, String clusterName, String taskArn, String family,
                           String revision, String desiredStatus, String knownStatus, String launchType,
                           String availabilityZone, String region, String accountId, String serviceName,
                           Optional<Double> cpuLimitVcpu, Optional<Long> memoryLimitMiB,
                           Optional<EphemeralStorage> ephemeralStorage, Optional<Instant> pullStartedAt,
                           Optional<Instant> pullStoppedAt, List<ContainerMetadata> containers, String clusterArn,
                           String serviceArn, String taskDefinitionArn) {

    public TaskMetadata {
        containers = List.copyOf(containers);
        clusterArn = clusterArn == null ? "" : clusterArn;
        serviceArn = serviceArn == null ? "" : serviceArn;
        taskDefinitionArn = taskDefinitionArn == null ? "" : taskDefinitionArn;
    }

    /** A task without the cluster, service and task-definition ARNs (the form callers used before they existed). */
    public TaskMetadata(String metadataVersion, String cluster, String clusterName, String taskArn, String family,
                        String revision, String desiredStatus, String knownStatus, String launchType,
                        String availabilityZone, String region, String accountId, String serviceName,
                        Optional<Double> cpuLimitVcpu, Optional<Long> memoryLimitMiB,
                        Optional<EphemeralStorage> ephemeralStorage, Optional<Instant> pullStartedAt,
                        Optional<Instant> pullStoppedAt, List<ContainerMetadata> containers) {
        this(metadataVersion, cluster, clusterName, taskArn, family, revision, desiredStatus, knownStatus, launchType,
                availabilityZone, region, accountId, serviceName, cpuLimitVcpu, memoryLimitMiB, ephemeralStorage,
                pullStartedAt, pullStoppedAt, containers, "", "", "");
    }

    /** The short id at the end of the task ARN. */
    public String taskId() {
        int slash = taskArn.lastIndexOf('/');
        return slash < 0 ? taskArn : taskArn.substring(slash + 1);
    }

    /**
     * Whether the task runs on Fargate: launch type FARGATE, or (v3 endpoints report no launch type) Fargate-style
     * container ids, "a 32-digit hex followed by a 10 digit number" (TMDE v4 documentation).
     */
    public boolean isFargate() {
        if (!launchType.isEmpty()) {
            return "FARGATE".equalsIgnoreCase(launchType);
        }
        return containers.stream().anyMatch(c -> FARGATE_DOCKER_ID.matcher(c.dockerId()).matches());
    }

    /**
     * Whether the containers run on the Docker engine: launch type EC2, or no launch type reported and not Fargate.
     * ECS Anywhere and Managed Instances are not assumed to be Docker.
     */
    public boolean runsOnDocker() {
        if (!launchType.isEmpty()) {
            return "EC2".equalsIgnoreCase(launchType);
        }
        return !isFargate();
    }

    private static final java.util.regex.Pattern FARGATE_DOCKER_ID =
            java.util.regex.Pattern.compile("[0-9a-f]{32}-[0-9]+");

    public Optional<ContainerMetadata> container(String dockerId) {
        return containers.stream().filter(c -> c.dockerId().equals(dockerId)).findFirst();
    }

    public record EphemeralStorage(long utilizedMiB, long reservedMiB) {
    }
}
