package io.pilotfish.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An ECS task described in code, rendered by {@link EcsMetadataSimulator} as {@code /task} and {@code /task/stats}
 * JSON with the field names and shapes of real captures. Build one with {@link #fargate()} or {@link #ec2()}.
 *
 * @param cluster          the short cluster name (Fargate renders the full ARN)
 * @param cpuVcpu          task {@code Limits.CPU}; empty leaves {@code Limits} out (EC2 only)
 * @param ephemeralStorage {@code EphemeralStorageMetrics} (Fargate only)
 * @param networkMode      {@code awsvpc} (Fargate), {@code bridge}, {@code host} or {@code none}
 * @param onlineCpus       {@code online_cpus} in stats; {@code system_cpu_usage} grows by this many seconds per second
 * @param selfContainer    the container the base endpoint ({@code /v4/<id>}) describes
 */
public record TaskSpec(LaunchType launchType, String region, String accountId, String cluster, String family,
                       String revision, String availabilityZone, OptionalDouble cpuVcpu, OptionalLong memoryMiB,
                       Optional<EphemeralStorage> ephemeralStorage, String networkMode, int onlineCpus,
                       Optional<String> serviceName, Map<String, String> taskTags,
                       Map<String, String> containerInstanceTags, List<ContainerSpec> containers,
                       String selfContainer) {

    public enum LaunchType { FARGATE, EC2 }

    public record EphemeralStorage(long utilizedMiB, long reservedMiB) {
    }

    public TaskSpec {
        Objects.requireNonNull(launchType, "launchType");
        containers = List.copyOf(containers);
        taskTags = Collections.unmodifiableMap(new LinkedHashMap<>(taskTags));
        containerInstanceTags = Collections.unmodifiableMap(new LinkedHashMap<>(containerInstanceTags));
        if (containers.isEmpty()) {
            throw new IllegalArgumentException("a task needs at least one container");
        }
        Set<String> names = new HashSet<>();
        for (ContainerSpec c : containers) {
            if (!names.add(c.name())) {
                throw new IllegalArgumentException("container name '" + c.name() + "' is used twice");
            }
        }
        if (!names.contains(selfContainer)) {
            throw new IllegalArgumentException("selfContainer '" + selfContainer + "' is not one of " + names);
        }
        if (!Set.of("awsvpc", "bridge", "host", "none").contains(networkMode)) {
            throw new IllegalArgumentException("networkMode must be awsvpc, bridge, host or none, got " + networkMode);
        }
        if (launchType == LaunchType.FARGATE) {
            if (!"awsvpc".equals(networkMode)) {
                throw new IllegalArgumentException("Fargate tasks use networkMode awsvpc, got " + networkMode);
            }
            if (cpuVcpu.isEmpty() || memoryMiB.isEmpty()) {
                throw new IllegalArgumentException("Fargate tasks need task limits: call limits(vcpu, memoryMiB)");
            }
        }
        if (cpuVcpu.isPresent() != memoryMiB.isPresent()) {
            throw new IllegalArgumentException("task limits need both CPU and memory, or neither");
        }
        if (onlineCpus < 1) {
            throw new IllegalArgumentException("onlineCpus must be >= 1, got " + onlineCpus);
        }
        for (String field : List.of(region, accountId, cluster, family, revision, availabilityZone)) {
            if (field == null || field.isBlank()) {
                throw new IllegalArgumentException("region, accountId, cluster, family, revision and "
                        + "availabilityZone must not be blank");
            }
        }
    }

    public boolean isFargate() {
        return launchType == LaunchType.FARGATE;
    }

    /** A Fargate task (1 vCPU, 2048 MiB, awsvpc) in us-east-1; add containers before {@code build()}. */
    public static Builder fargate() {
        return new Builder(LaunchType.FARGATE).limits(1, 2048).ephemeralStorage(512, 20_496).networkMode("awsvpc");
    }

    /** An EC2 task (bridge mode, no task limits) in us-east-1; add containers before {@code build()}. */
    public static Builder ec2() {
        return new Builder(LaunchType.EC2).networkMode("bridge");
    }

    /** Fargate, cluster {@code demo}, family {@code shop}: {@code app}, {@code worker} and the {@code pilotfish} sidecar. */
    public static TaskSpec fargateDemoTask() {
        return fargate()
                .cluster("demo").family("shop").revision("7").availabilityZone("us-east-1b")
                .limits(1, 2048)
                .taskTag("team", "checkout")
                .container(ContainerSpec.of("app", "public.ecr.aws/pilotfish-demo/shop-app:1.4.2")
                        .withCpuUnits(512).withMemoryMiB(1024)
                        .withLoad(ContainerLoad.of(0.25, 380).withNetwork(120_000, 45_000)))
                .container(ContainerSpec.of("worker", "public.ecr.aws/pilotfish-demo/shop-worker:1.4.2")
                        .withCpuUnits(256).withMemoryMiB(512)
                        .withLoad(ContainerLoad.of(0.1, 150).withDisk(20_000, 80_000)))
                .container(ContainerSpec.of("pilotfish", "public.ecr.aws/pilotfish/agent:0.1.0")
                        .withCpuUnits(128).withMemoryMiB(256)
                        .withLoad(ContainerLoad.of(0.02, 60).withNetwork(4_000, 9_000)))
                .selfContainer("pilotfish")
                .build();
    }

    public static final class Builder {
        private final LaunchType launchType;
        private String region = "us-east-1";
        private String accountId = "123456789012";
        private String cluster = "default";
        private String family = "app";
        private String revision = "1";
        private String availabilityZone;
        private OptionalDouble cpuVcpu = OptionalDouble.empty();
        private OptionalLong memoryMiB = OptionalLong.empty();
        private Optional<EphemeralStorage> ephemeralStorage = Optional.empty();
        private String networkMode;
        private int onlineCpus = 2;
        private Optional<String> serviceName = Optional.empty();
        private final Map<String, String> taskTags = new LinkedHashMap<>();
        private final Map<String, String> containerInstanceTags = new LinkedHashMap<>();
        private final List<ContainerSpec> containers = new ArrayList<>();
        private String selfContainer;

        private Builder(LaunchType launchType) {
            this.launchType = launchType;
        }

        public Builder region(String value) {
            this.region = value;
            return this;
        }

        public Builder accountId(String value) {
            this.accountId = value;
            return this;
        }

        public Builder cluster(String value) {
            this.cluster = value;
            return this;
        }

        public Builder family(String value) {
            this.family = value;
            return this;
        }

        public Builder revision(String value) {
            this.revision = value;
            return this;
        }

        /** Defaults to the region followed by {@code a}. */
        public Builder availabilityZone(String value) {
            this.availabilityZone = value;
            return this;
        }

        /** Task {@code Limits}: CPU in vCPU (e.g. 0.25), memory in MiB. */
        public Builder limits(double vcpu, long memoryMib) {
            if (!(vcpu > 0) || memoryMib <= 0) {
                throw new IllegalArgumentException("task limits must be > 0, got " + vcpu + " vCPU / " + memoryMib
                        + " MiB");
            }
            this.cpuVcpu = OptionalDouble.of(vcpu);
            this.memoryMiB = OptionalLong.of(memoryMib);
            return this;
        }

        /** No task-level {@code Limits} (common on EC2). */
        public Builder noLimits() {
            this.cpuVcpu = OptionalDouble.empty();
            this.memoryMiB = OptionalLong.empty();
            return this;
        }

        public Builder ephemeralStorage(long utilizedMiB, long reservedMiB) {
            this.ephemeralStorage = Optional.of(new EphemeralStorage(utilizedMiB, reservedMiB));
            return this;
        }

        public Builder networkMode(String value) {
            this.networkMode = value;
            return this;
        }

        public Builder onlineCpus(int value) {
            this.onlineCpus = value;
            return this;
        }

        /** {@code ServiceName} (EC2 only). */
        public Builder serviceName(String value) {
            this.serviceName = Optional.of(value);
            return this;
        }

        /** A tag shown by {@code /taskWithTags} under {@code TaskTags}. */
        public Builder taskTag(String key, String value) {
            taskTags.put(key, value);
            return this;
        }

        /** A tag shown by {@code /taskWithTags} under {@code ContainerInstanceTags} (EC2 only). */
        public Builder containerInstanceTag(String key, String value) {
            containerInstanceTags.put(key, value);
            return this;
        }

        public Builder container(ContainerSpec container) {
            containers.add(Objects.requireNonNull(container, "container"));
            return this;
        }

        /** Defaults to the first {@code NORMAL} container. */
        public Builder selfContainer(String name) {
            this.selfContainer = name;
            return this;
        }

        public TaskSpec build() {
            String self = selfContainer != null ? selfContainer : containers.stream()
                    .filter(c -> "NORMAL".equals(c.type())).map(ContainerSpec::name).findFirst()
                    .orElse(containers.isEmpty() ? "" : containers.get(0).name());
            Optional<EphemeralStorage> storage = launchType == LaunchType.FARGATE ? ephemeralStorage
                    : Optional.empty();
            return new TaskSpec(launchType, region, accountId, cluster, family, revision,
                    availabilityZone != null ? availabilityZone : region + "a", cpuVcpu, memoryMiB, storage,
                    networkMode, onlineCpus, serviceName, taskTags,
                    launchType == LaunchType.EC2 ? containerInstanceTags : Map.of(), containers, self);
        }
    }
}
