package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/** Renders {@link TaskSpec}s as TMDE JSON, and turns v4 documents into their v3 form. */
final class TaskRenderer {

    /** cgroup v1 "no limit" (2^63 - 4096), as Docker reports it. */
    static final long NO_LIMIT = 9223372036854771712L;
    static final long MIB = 1024L * 1024L;
    /** How long the built task's containers have been up when the simulator starts. */
    static final Duration UPTIME = Duration.ofMinutes(5);

    private static final Set<String> V4_ONLY_TASK_FIELDS = Set.of("LaunchType", "ClockDrift",
            "EphemeralStorageMetrics", "ServiceName", "VPCID", "FaultInjectionEnabled", "AvailabilityZoneID",
            "Group");
    private static final Set<String> V4_ONLY_CONTAINER_FIELDS = Set.of("ContainerARN", "LogDriver", "LogOptions",
            "Snapshotter", "RestartCount");

    private TaskRenderer() {
    }

    /** Facts about the task that a newly added container needs, read back from the task document. */
    record TaskContext(boolean fargate, String clusterLabel, String clusterName, String taskArn, String taskId,
                       String family, String revision, String region, String accountId, String networkMode,
                       JsonNode sharedNetworks, OptionalLong taskMemoryMiB) {

        static TaskContext of(ObjectNode task, String networkModeHint, Ids ids) {
            boolean fargate = "FARGATE".equalsIgnoreCase(Json.text(task, "LaunchType", ""));
            String cluster = Json.text(task, "Cluster", "default");
            String clusterName = cluster.substring(cluster.lastIndexOf('/') + 1);
            String taskArn = Json.text(task, "TaskARN", "arn:aws:ecs:us-east-1:123456789012:task/" + clusterName
                    + "/" + ids.hex(32));
            String[] arn = taskArn.split(":");
            String region = arn.length > 4 ? arn[3] : "us-east-1";
            String account = arn.length > 4 ? arn[4] : "123456789012";
            String taskId = taskArn.substring(taskArn.lastIndexOf('/') + 1);
            String mode = networkModeHint;
            JsonNode shared = null;
            for (JsonNode c : task.path("Containers")) {
                JsonNode networks = c.get("Networks");
                if (networks != null && networks.isArray() && !networks.isEmpty()) {
                    mode = Json.text(networks.get(0), "NetworkMode", mode);
                    if ("awsvpc".equals(mode)) {
                        shared = networks.deepCopy();
                    }
                    break;
                }
            }
            if (mode == null) {
                mode = fargate ? "awsvpc" : "bridge";
            }
            if (shared == null && "awsvpc".equals(mode)) {
                shared = awsvpcNetworks(region, ids);
            }
            JsonNode limits = task.get("Limits");
            long memory = Json.longAt(limits, "Memory", -1);
            return new TaskContext(fargate, cluster, clusterName, taskArn, taskId, Json.text(task, "Family", "app"),
                    Json.text(task, "Revision", "1"), region, account, mode, shared,
                    memory > 0 ? OptionalLong.of(memory) : OptionalLong.empty());
        }

        String statsInterface() {
            return fargate ? "eth1" : "eth0";
        }
    }

    static ObjectNode renderTask(TaskSpec spec, Instant start, Ids ids) {
        String taskId = ids.hex(32);
        String clusterArn = "arn:aws:ecs:%s:%s:cluster/%s".formatted(spec.region(), spec.accountId(), spec.cluster());
        Instant created = start.minus(UPTIME);
        ObjectNode task = Json.object();
        task.put("Cluster", spec.isFargate() ? clusterArn : spec.cluster());
        task.put("TaskARN", "arn:aws:ecs:%s:%s:task/%s/%s".formatted(spec.region(), spec.accountId(),
                spec.cluster(), taskId));
        task.put("Family", spec.family());
        spec.serviceName().filter(name -> !spec.isFargate()).ifPresent(name -> task.put("ServiceName", name));
        task.put("Revision", spec.revision());
        task.put("DesiredStatus", "RUNNING");
        task.put("KnownStatus", "RUNNING");
        if (spec.cpuVcpu().isPresent()) {
            ObjectNode limits = task.putObject("Limits");
            putNumber(limits, "CPU", spec.cpuVcpu().getAsDouble());
            limits.put("Memory", spec.memoryMiB().getAsLong());
        }
        task.put("PullStartedAt", Json.time(created.minusSeconds(25).plusNanos(714_437_592)));
        task.put("PullStoppedAt", Json.time(created.minusSeconds(2).plusNanos(599_126_545)));
        task.put("AvailabilityZone", spec.availabilityZone());
        if (!spec.isFargate() && "awsvpc".equals(spec.networkMode())) {
            task.put("VPCID", "vpc-" + ids.hex(17));
        }
        task.put("LaunchType", spec.launchType().name());
        task.putArray("Containers");
        ObjectNode drift = task.putObject("ClockDrift");
        drift.put("ClockErrorBound", 0.3329285);
        drift.put("ReferenceTimestamp", Json.time(start.truncatedTo(ChronoUnit.SECONDS).minusSeconds(6)));
        drift.put("ClockSynchronizationStatus", "SYNCHRONIZED");
        spec.ephemeralStorage().ifPresent(storage -> {
            ObjectNode metrics = task.putObject("EphemeralStorageMetrics");
            metrics.put("Utilized", storage.utilizedMiB());
            metrics.put("Reserved", storage.reservedMiB());
        });
        TaskContext context = TaskContext.of(task, spec.networkMode(), ids);
        ArrayNode containers = (ArrayNode) task.get("Containers");
        for (int i = 0; i < spec.containers().size(); i++) {
            containers.add(renderContainer(context, spec.containers().get(i), created.plusMillis(180L * i), i, ids));
        }
        return task;
    }

    static ObjectNode renderContainer(TaskContext ctx, ContainerSpec spec, Instant startedAt, int index, Ids ids) {
        boolean pause = "CNI_PAUSE".equals(spec.type());
        String dockerId = ctx.fargate() ? ctx.taskId() + "-" + ids.digits(10) : ids.hex(64);
        ObjectNode c = Json.object();
        c.put("DockerId", dockerId);
        c.put("Name", spec.name());
        c.put("DockerName", ctx.fargate() ? spec.name() : "ecs-%s-%s-%s-%s".formatted(ctx.family(), ctx.revision(),
                spec.name().replaceAll("[^A-Za-z0-9-]", ""), ids.hex(20)));
        c.put("Image", spec.image());
        c.put("ImageID", pause ? "" : "sha256:" + ids.hex(64));
        ObjectNode labels = c.putObject("Labels");
        labels.put("com.amazonaws.ecs.cluster", ctx.clusterLabel());
        labels.put("com.amazonaws.ecs.container-name", spec.name());
        labels.put("com.amazonaws.ecs.task-arn", ctx.taskArn());
        labels.put("com.amazonaws.ecs.task-definition-family", ctx.family());
        labels.put("com.amazonaws.ecs.task-definition-version", ctx.revision());
        c.put("DesiredStatus", pause ? "RESOURCES_PROVISIONED" : "RUNNING");
        c.put("KnownStatus", spec.knownStatus());
        spec.exitCode().ifPresent(code -> c.put("ExitCode", code));
        ObjectNode limits = c.putObject("Limits");
        limits.put("CPU", spec.cpuUnits().orElse(ctx.fargate() ? 2 : 0));
        if (spec.memoryMiB().isPresent()) {
            limits.put("Memory", spec.memoryMiB().getAsInt());
        } else if (pause) {
            limits.put("Memory", 0);
        }
        c.put("CreatedAt", Json.time(startedAt.minusMillis(412)));
        c.put("StartedAt", Json.time(startedAt));
        if ("STOPPED".equals(spec.knownStatus())) {
            c.put("FinishedAt", Json.time(startedAt.plusMillis(1_873)));
        }
        c.put("Type", spec.type());
        if (!pause) {
            c.put("LogDriver", "awslogs");
            ObjectNode log = c.putObject("LogOptions");
            log.put("awslogs-group", "/ecs/" + ctx.family());
            log.put("awslogs-region", ctx.region());
            log.put("awslogs-stream", "ecs/" + spec.name() + "/" + ctx.taskId());
            c.put("ContainerARN", "arn:aws:ecs:%s:%s:container/%s/%s/%s".formatted(ctx.region(), ctx.accountId(),
                    ctx.clusterName(), ctx.taskId(), ids.uuid()));
        }
        JsonNode networks = networksFor(ctx, index);
        if (networks != null) {
            c.set("Networks", networks);
        }
        if (ctx.fargate()) {
            c.put("Snapshotter", "overlayfs");
        }
        return c;
    }

    private static JsonNode networksFor(TaskContext ctx, int index) {
        return switch (ctx.networkMode()) {
            case "awsvpc" -> ctx.sharedNetworks().deepCopy();
            case "bridge" -> {
                ArrayNode networks = Json.array();
                ObjectNode bridge = networks.addObject();
                bridge.put("NetworkMode", "bridge");
                bridge.putArray("IPv4Addresses").add("172.17.0." + (2 + index % 250));
                yield networks;
            }
            default -> null;
        };
    }

    private static ArrayNode awsvpcNetworks(String region, Ids ids) {
        int third = 64 + ids.nextInt(64);
        int fourth = 2 + ids.nextInt(250);
        String ip = "10.0." + third + "." + fourth;
        String domain = "us-east-1".equals(region) ? "ec2.internal" : region + ".compute.internal";
        ArrayNode networks = Json.array();
        ObjectNode eni = networks.addObject();
        eni.put("NetworkMode", "awsvpc");
        eni.putArray("IPv4Addresses").add(ip);
        eni.put("AttachmentIndex", 0);
        eni.put("MACAddress", "0a:%s:%s:%s:%s:%s".formatted(ids.hex(2), ids.hex(2), ids.hex(2), ids.hex(2),
                ids.hex(2)));
        eni.put("IPv4SubnetCIDRBlock", "10.0.0.0/17");
        eni.putArray("DomainNameServers").add("10.0.0.2");
        eni.putArray("DomainNameSearchList").add(domain);
        eni.put("PrivateDNSName", "ip-" + ip.replace('.', '-') + "." + domain);
        eni.put("SubnetGatewayIpv4Address", "10.0.0.1/17");
        return networks;
    }

    /**
     * A cgroup v1 stats document with every counter at zero, shaped like the Fargate captures. {@code read} and
     * {@code preread} are filled in when it is sampled.
     */
    static ObjectNode zeroStats(TaskContext ctx, JsonNode container, int onlineCpus, ContainerLoad load) {
        long containerLimit = Json.longAt(container.get("Limits"), "Memory", 0) * MIB;
        long limit = containerLimit > 0 ? containerLimit : NO_LIMIT;
        long hierarchical = containerLimit > 0 ? containerLimit
                : ctx.taskMemoryMiB().isPresent() ? ctx.taskMemoryMiB().getAsLong() * MIB : NO_LIMIT;
        String name = Json.text(container, "Name", "container");
        ObjectNode s = Json.object();
        s.put("read", Json.time(ContainerStats.ZERO_TIME));
        s.put("preread", Json.time(ContainerStats.ZERO_TIME));
        ObjectNode pids = s.putObject("pids_stats");
        if (!ctx.fargate()) {
            pids.put("current", 3);
        }
        ObjectNode blkio = s.putObject("blkio_stats");
        for (String list : List.of("io_service_bytes_recursive", "io_serviced_recursive")) {
            ArrayNode entries = blkio.putArray(list);
            for (String op : List.of("Read", "Write", "Sync", "Async", "Discard", "Total")) {
                ObjectNode entry = entries.addObject();
                entry.put("major", 259);
                entry.put("minor", 0);
                entry.put("op", op);
                entry.put("value", 0L);
            }
        }
        for (String list : List.of("io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive",
                "io_merged_recursive", "io_time_recursive", "sectors_recursive")) {
            blkio.putArray(list);
        }
        s.put("num_procs", 0);
        s.putObject("storage_stats");
        ObjectNode cpu = s.putObject("cpu_stats");
        ObjectNode usage = cpu.putObject("cpu_usage");
        usage.put("total_usage", 0L);
        ArrayNode percpu = usage.putArray("percpu_usage");
        for (int i = 0; i < onlineCpus; i++) {
            percpu.add(0L);
        }
        usage.put("usage_in_kernelmode", 0L);
        usage.put("usage_in_usermode", 0L);
        // The host was up before the container: give system_cpu_usage a minute's head start per CPU.
        cpu.put("system_cpu_usage", onlineCpus * 60_000_000_000L);
        cpu.put("online_cpus", onlineCpus);
        ObjectNode throttling = cpu.putObject("throttling_data");
        throttling.put("periods", 0);
        throttling.put("throttled_periods", 0);
        throttling.put("throttled_time", 0);
        s.set("precpu_stats", cpu.deepCopy());
        s.set("memory_stats", memoryStats(load.memoryBytes(), hierarchical, limit));
        s.put("name", ctx.fargate() ? name : "/" + Json.text(container, "DockerName", name));
        s.put("id", Json.text(container, "DockerId", ""));
        if (Set.of("awsvpc", "bridge").contains(ctx.networkMode())) {
            ObjectNode iface = s.putObject("networks").putObject(ctx.statsInterface());
            for (String direction : List.of("rx", "tx")) {
                iface.put(direction + "_bytes", 0L);
                iface.put(direction + "_packets", 0L);
                iface.put(direction + "_errors", 0);
                iface.put(direction + "_dropped", 0);
            }
            ObjectNode rates = s.putObject("network_rate_stats");
            rates.put("rx_bytes_per_sec", 0.0);
            rates.put("tx_bytes_per_sec", 0.0);
        }
        return s;
    }

    private static ObjectNode memoryStats(long usage, long hierarchicalLimit, long limit) {
        long cache = usage / 20;
        long rss = usage - cache;
        ObjectNode memory = Json.object();
        memory.put("usage", usage);
        memory.put("max_usage", usage);
        ObjectNode stats = memory.putObject("stats");
        long activeFile = cache / 5;
        for (String prefix : List.of("", "total_")) {
            stats.put(prefix + "active_anon", 0);
            stats.put(prefix + "active_file", activeFile);
            stats.put(prefix + "cache", cache);
            stats.put(prefix + "dirty", 0);
            if (prefix.isEmpty()) {
                stats.put("hierarchical_memory_limit", hierarchicalLimit);
                stats.put("hierarchical_memsw_limit", NO_LIMIT);
            }
            stats.put(prefix + "inactive_anon", rss);
            stats.put(prefix + "inactive_file", cache - activeFile);
            stats.put(prefix + "mapped_file", 0);
            stats.put(prefix + "pgfault", usage / 4096);
            stats.put(prefix + "pgmajfault", 0);
            stats.put(prefix + "pgpgin", usage / 2048);
            stats.put(prefix + "pgpgout", usage / 8192);
            stats.put(prefix + "rss", rss);
            stats.put(prefix + "rss_huge", 0);
            stats.put(prefix + "unevictable", 0);
            stats.put(prefix + "writeback", 0);
        }
        memory.put("limit", limit);
        return memory;
    }

    static ObjectNode v3Task(ObjectNode v4) {
        ObjectNode task = v4.deepCopy();
        task.remove(V4_ONLY_TASK_FIELDS);
        for (JsonNode container : task.path("Containers")) {
            v3ContainerInPlace((ObjectNode) container);
        }
        return task;
    }

    static ObjectNode v3Container(ObjectNode v4) {
        ObjectNode container = v4.deepCopy();
        v3ContainerInPlace(container);
        return container;
    }

    private static void v3ContainerInPlace(ObjectNode container) {
        container.remove(V4_ONLY_CONTAINER_FIELDS);
        if (container.get("Networks") instanceof ArrayNode networks) {
            for (JsonNode network : networks) {
                if (network instanceof ObjectNode object) {
                    object.retain("NetworkMode", "IPv4Addresses");
                }
            }
        }
    }

    /** v3 stats carry no {@code network_rate_stats}, and network counters only in bridge mode. */
    static JsonNode v3Stats(JsonNode v4, String networkMode) {
        if (!(v4 instanceof ObjectNode object) || object.isEmpty()) {
            return v4;
        }
        ObjectNode stats = object.deepCopy();
        stats.remove("network_rate_stats");
        if (networkMode != null && !"bridge".equals(networkMode)) {
            stats.remove("networks");
        }
        return stats;
    }

    static String networkMode(JsonNode container) {
        JsonNode networks = container == null ? null : container.get("Networks");
        return networks != null && networks.isArray() && !networks.isEmpty()
                ? Json.text(networks.get(0), "NetworkMode", null) : null;
    }

    private static void putNumber(ObjectNode node, String field, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            node.put(field, (long) value);
        } else {
            node.put(field, value);
        }
    }
}
