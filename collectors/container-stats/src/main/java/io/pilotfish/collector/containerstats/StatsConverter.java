package io.pilotfish.collector.containerstats;

import static io.pilotfish.collector.containerstats.ContainerSample.COUNTERS;
import static io.pilotfish.collector.containerstats.ContainerSample.CPU_SYSTEM;
import static io.pilotfish.collector.containerstats.ContainerSample.CPU_TOTAL;
import static io.pilotfish.collector.containerstats.ContainerSample.CPU_USER;
import static io.pilotfish.collector.containerstats.ContainerSample.IO_READ_BYTES;
import static io.pilotfish.collector.containerstats.ContainerSample.IO_READ_OPS;
import static io.pilotfish.collector.containerstats.ContainerSample.IO_WRITE_BYTES;
import static io.pilotfish.collector.containerstats.ContainerSample.IO_WRITE_OPS;
import static io.pilotfish.collector.containerstats.ContainerSample.MEM_PGFAULT;
import static io.pilotfish.collector.containerstats.ContainerSample.MEM_PGMAJFAULT;
import static io.pilotfish.collector.containerstats.ContainerSample.MEM_PGPGIN;
import static io.pilotfish.collector.containerstats.ContainerSample.MEM_PGPGOUT;
import static io.pilotfish.collector.containerstats.ContainerSample.NET_COUNTERS;
import static io.pilotfish.collector.containerstats.ContainerSample.NET_RX_BYTES;
import static io.pilotfish.collector.containerstats.ContainerSample.NET_RX_PACKETS;
import static io.pilotfish.collector.containerstats.ContainerSample.NET_TX_BYTES;
import static io.pilotfish.collector.containerstats.ContainerSample.NET_TX_PACKETS;
import static io.pilotfish.collector.containerstats.StatsFields.list;
import static io.pilotfish.collector.containerstats.StatsFields.number;
import static io.pilotfish.collector.containerstats.StatsFields.object;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.collector.containerstats.StatsConversion.ContainerProblem;
import io.pilotfish.collector.containerstats.StatsConversion.Reason;
import io.pilotfish.collector.containerstats.StatsFields.MalformedEntryException;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.TagSet;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one parsed {@code /task/stats} payload into Datadog metrics: the {@code ecs.fargate.*} set of the
 * ecs_fargate check and the generic {@code container.*} set. Pure: the previous samples come in as a
 * {@link SampleHistory} and the next one goes out in the {@link StatsConversion}; nothing is logged or counted here.
 *
 * <p>Datadog "rate" metrics are sent, as the Agent does, as gauges holding the per-second derivative between two
 * samples of the same container, timed by the stats' own {@code read} field. Every point carries the origin the Agent
 * gives its check ({@link CheckOrigins}); {@code container.*} points carry the {@code runtime:} tag.
 */
public final class StatsConverter {

    /** The value cgroup v1 reports for "no limit" (2^63 - 4096); anything at or above it means "unset". */
    static final double CGROUP_NO_VALUE = 0x7FFFFFFFFFFFF000L;
    /** Datadog's generic collector treats a container memory limit at or above 2^62 as unset. */
    static final double UNSET_MEMORY_LIMIT = 0x1p62;
    private static final double MIB = 1024.0 * 1024.0;
    private static final double NANOS_PER_SECOND = 1e9;
    /** Docker's zero time, sent as {@code preread} when there is no previous sample. */
    private static final long ZERO_TIME_EPOCH_SECOND = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();

    /** {@code memory_stats.stats} keys sent as ecs.fargate.mem.* gauges (cgroup v1 names). */
    private static final String[] MEMORY_GAUGE_KEYS = {"cache", "mapped_file", "rss", "hierarchical_memory_limit",
            "active_anon", "active_file", "inactive_file", "hierarchical_memsw_limit"};
    private static final String[] MEMORY_GAUGE_NAMES = prefixed("ecs.fargate.mem.", MEMORY_GAUGE_KEYS);
    private static final int CACHE = 0;
    private static final int RSS = 2;
    /** {@code memory_stats.stats} counters sent as ecs.fargate.mem.* rates, with their counter slots. */
    private static final String[] MEMORY_RATE_KEYS = {"pgpgin", "pgpgout", "pgmajfault", "pgfault"};
    private static final String[] MEMORY_RATE_NAMES = prefixed("ecs.fargate.mem.", MEMORY_RATE_KEYS);
    private static final int[] MEMORY_RATE_SLOTS = {MEM_PGPGIN, MEM_PGPGOUT, MEM_PGMAJFAULT, MEM_PGFAULT};

    private final ContainerStatsConfig config;

    public StatsConverter(ContainerStatsConfig config) {
        this.config = config;
    }

    /**
     * Converts one payload.
     *
     * @param stats     container id to stats entry, as {@link StatsParser#parse} returns it
     * @param snapshot  the task metadata the tags and limits come from
     * @param previous  the history returned by the previous conversion, or {@link SampleHistory#empty()}
     * @param now       the scrape time; every point gets it (in epoch seconds) as timestamp
     */
    public StatsConversion convert(Map<String, JsonNode> stats, TaskSnapshot snapshot, SampleHistory previous,
                                   Instant now) {
        long timestamp = now.getEpochSecond();
        Tags tags = new Tags(snapshot);
        List<Metric> out = new ArrayList<>(16 + 48 * stats.size());
        addMetadataMetrics(tags, timestamp, out);

        List<ContainerProblem> problems = null;
        Map<String, ContainerSample> next = new HashMap<>();
        for (Map.Entry<String, JsonNode> entry : stats.entrySet()) {
            String dockerId = entry.getKey();
            JsonNode containerStats = entry.getValue();
            if (isStopped(containerStats)) {
                continue; // null on Fargate, {} on EC2: nothing to report and nothing to keep
            }
            ContainerMetadata container = tags.container(dockerId);
            if (container != null && container.isInternal() && !config.includeInternal()) {
                continue;
            }
            ContainerSample before = previous.sample(dockerId);
            ContainerProblem problem;
            if (!containerStats.isObject()) {
                problem = new ContainerProblem(dockerId, Reason.MALFORMED_CONTAINER, "the stats entry of container "
                        + StatsFields.shown(dockerId) + " should be an object but is "
                        + StatsFields.describe(containerStats));
                keep(next, dockerId, before);
            } else {
                if (container == null) {
                    problem = new ContainerProblem(dockerId, Reason.UNKNOWN_CONTAINER, "container "
                            + StatsFields.shown(dockerId) + " has stats but is not in the task metadata; its stats "
                            + "are skipped");
                } else {
                    int firstOfContainer = out.size();
                    try {
                        keep(next, dockerId, convertContainer(containerStats, container, tags, before, now,
                                timestamp, out));
                        continue;
                    } catch (MalformedEntryException e) {
                        out.subList(firstOfContainer, out.size()).clear();
                        problem = new ContainerProblem(dockerId, Reason.MALFORMED_CONTAINER, "the stats of container "
                                + StatsFields.shown(dockerId) + " (" + StatsFields.shown(container.name())
                                + ") are skipped: " + e.getMessage());
                        keep(next, dockerId, before);
                    }
                }
            }
            if (problems == null) {
                problems = new ArrayList<>(2);
            }
            problems.add(problem);
        }
        return new StatsConversion(Collections.unmodifiableList(out), new SampleHistory(next),
                problems == null ? List.of() : List.copyOf(problems));
    }

    /**
     * The points that need only the task metadata: task CPU and memory limits, ephemeral storage and container CPU
     * limits (ecs.fargate.* only). {@link #convert} includes them; the scraper sends them alone when the stats
     * cannot be fetched, as the ecs_fargate check does.
     */
    public List<Metric> metadataMetrics(TaskSnapshot snapshot, Instant now) {
        List<Metric> out = new ArrayList<>();
        addMetadataMetrics(new Tags(snapshot), now.getEpochSecond(), out);
        return out;
    }

    private void addMetadataMetrics(Tags tags, long timestamp, List<Metric> out) {
        if (!config.fargateMetrics()) {
            return;
        }
        CheckPoints fargate = new CheckPoints(CheckOrigins.ECS_FARGATE, timestamp, out);
        TaskMetadata task = tags.task;
        TagSet taskTags = tags.fargateTask();
        task.ephemeralStorage().ifPresent(storage -> {
            fargate.gauge("ecs.fargate.ephemeral_storage.utilized", storage.utilizedMiB(), taskTags);
            fargate.gauge("ecs.fargate.ephemeral_storage.reserved", storage.reservedMiB(), taskTags);
        });
        task.cpuLimitVcpu().filter(vcpu -> vcpu > 0).ifPresent(vcpu ->
                fargate.gauge("ecs.fargate.cpu.task.limit", vcpu * NANOS_PER_SECOND, taskTags));
        task.memoryLimitMiB().filter(mib -> mib > 0).ifPresent(mib ->
                fargate.gauge("ecs.fargate.mem.task.limit", mib * MIB, taskTags));
        for (ContainerMetadata container : task.containers()) {
            if (container.isInternal() && !config.includeInternal()) {
                continue;
            }
            container.cpuLimitUnits().filter(units -> units > 0).ifPresent(units ->
                    fargate.gauge("ecs.fargate.cpu.limit", units, tags.fargateContainer(container)));
        }
    }

    /** @return the baseline to keep for this container (null for none) */
    private ContainerSample convertContainer(JsonNode entry, ContainerMetadata container, Tags tags,
                                             ContainerSample before, Instant now, long timestamp, List<Metric> out) {
        Instant read = StatsFields.timestamp(entry, "read");
        Instant preread = StatsFields.timestamp(entry, "preread");
        JsonNode cpuStats = object(entry, "", "cpu_stats");
        JsonNode cpuUsage = object(cpuStats, "cpu_stats", "cpu_usage");
        JsonNode precpuStats = object(entry, "", "precpu_stats");
        JsonNode precpuUsage = object(precpuStats, "precpu_stats", "cpu_usage");
        JsonNode memory = object(entry, "", "memory_stats");
        JsonNode memoryDetails = object(memory, "memory_stats", "stats");
        JsonNode blkio = object(entry, "", "blkio_stats");
        JsonNode storage = object(entry, "", "storage_stats");
        JsonNode networks = object(entry, "", "networks");

        double[] counters = new double[COUNTERS];
        Arrays.fill(counters, Double.NaN);
        counters[CPU_TOTAL] = number(cpuUsage, "cpu_stats.cpu_usage", "total_usage");
        counters[CPU_USER] = number(cpuUsage, "cpu_stats.cpu_usage", "usage_in_usermode");
        counters[CPU_SYSTEM] = number(cpuUsage, "cpu_stats.cpu_usage", "usage_in_kernelmode");
        double systemCpu = number(cpuStats, "cpu_stats", "system_cpu_usage");
        double onlineCpus = number(cpuStats, "cpu_stats", "online_cpus");
        double precpuTotal = number(precpuUsage, "precpu_stats.cpu_usage", "total_usage");
        double precpuUser = number(precpuUsage, "precpu_stats.cpu_usage", "usage_in_usermode");
        double precpuSystem = number(precpuUsage, "precpu_stats.cpu_usage", "usage_in_kernelmode");
        double presystemCpu = number(precpuStats, "precpu_stats", "system_cpu_usage");

        double memoryUsage = number(memory, "memory_stats", "usage");
        double memoryMaxUsage = number(memory, "memory_stats", "max_usage");
        double memoryLimit = number(memory, "memory_stats", "limit");
        double privateWorkingSet = number(memory, "memory_stats", "privateworkingset");
        double commitBytes = number(memory, "memory_stats", "commitbytes");
        double[] memoryGauges = new double[MEMORY_GAUGE_KEYS.length];
        for (int i = 0; i < MEMORY_GAUGE_KEYS.length; i++) {
            memoryGauges[i] = number(memoryDetails, "memory_stats.stats", MEMORY_GAUGE_KEYS[i]);
        }
        for (int i = 0; i < MEMORY_RATE_KEYS.length; i++) {
            counters[MEMORY_RATE_SLOTS[i]] = number(memoryDetails, "memory_stats.stats", MEMORY_RATE_KEYS[i]);
        }
        sumReadWrite(list(blkio, "blkio_stats", "io_service_bytes_recursive"), "io_service_bytes_recursive",
                counters, IO_READ_BYTES, IO_WRITE_BYTES);
        sumReadWrite(list(blkio, "blkio_stats", "io_serviced_recursive"), "io_serviced_recursive",
                counters, IO_READ_OPS, IO_WRITE_OPS);
        // Windows has no blkio figures; its disk counters are in storage_stats (zero means "not reported" there,
        // as the ecs_fargate check reads it).
        storageCounter(storage, "read_size_bytes", counters, IO_READ_BYTES);
        storageCounter(storage, "write_size_bytes", counters, IO_WRITE_BYTES);
        storageCounter(storage, "read_count_normalized", counters, IO_READ_OPS);
        storageCounter(storage, "write_count_normalized", counters, IO_WRITE_OPS);
        boolean windows = !Double.isNaN(privateWorkingSet) || !Double.isNaN(commitBytes)
                || (storage != null && !storage.isEmpty());

        // Which earlier sample rates are computed against.
        boolean sameSample = before != null && read != null && read.equals(before.read);
        ContainerSample baseline = !sameSample && before != null && read != null && before.read != null
                && read.isAfter(before.read) ? before : null;
        double sinceBaseline = baseline == null ? Double.NaN : seconds(baseline.read, read);
        // On the first sample of a container, CPU can still be rated against precpu_stats of the same payload.
        boolean precpuUsable = !sameSample && read != null && preread != null
                && preread.getEpochSecond() > ZERO_TIME_EPOCH_SECOND && preread.isBefore(read) && precpuTotal > 0;
        double sincePreread = precpuUsable ? seconds(preread, read) : Double.NaN;

        double cpuTotalRate = cpuRate(counters, CPU_TOTAL, baseline, sinceBaseline, precpuTotal, sincePreread);
        double cpuUserRate = cpuRate(counters, CPU_USER, baseline, sinceBaseline, precpuUser, sincePreread);
        double cpuSystemRate = cpuRate(counters, CPU_SYSTEM, baseline, sinceBaseline, precpuSystem, sincePreread);
        double ioReadBytesRate = rate(counters, IO_READ_BYTES, baseline, sinceBaseline);
        double ioWriteBytesRate = rate(counters, IO_WRITE_BYTES, baseline, sinceBaseline);
        double ioReadOpsRate = rate(counters, IO_READ_OPS, baseline, sinceBaseline);
        double ioWriteOpsRate = rate(counters, IO_WRITE_OPS, baseline, sinceBaseline);

        TagSet fargateTags = config.fargateMetrics() ? tags.fargateContainer(container) : null;
        TagSet containerTags = config.containerMetrics() ? tags.genericContainer(container) : null;
        CheckPoints fargate = new CheckPoints(CheckOrigins.ECS_FARGATE, timestamp, out);
        CheckPoints generic = new CheckPoints(CheckOrigins.CONTAINER, timestamp, out);

        if (fargateTags != null) {
            fargate.gauge("ecs.fargate.cpu.system", cpuSystemRate, fargateTags);
            fargate.gauge("ecs.fargate.cpu.user", cpuUserRate, fargateTags);
            fargate.gauge("ecs.fargate.cpu.usage", cpuTotalRate, fargateTags);
            if (!windows) {
                fargate.gauge("ecs.fargate.cpu.percent", cpuPercent(counters[CPU_TOTAL], precpuTotal, systemCpu,
                        presystemCpu, onlineCpus, read, preread), fargateTags);
            }
            for (int i = 0; i < MEMORY_GAUGE_KEYS.length; i++) {
                if (memoryGauges[i] < CGROUP_NO_VALUE) {
                    fargate.gauge(MEMORY_GAUGE_NAMES[i], memoryGauges[i], fargateTags);
                }
            }
            for (int i = 0; i < MEMORY_RATE_KEYS.length; i++) {
                fargate.gauge(MEMORY_RATE_NAMES[i], rate(counters, MEMORY_RATE_SLOTS[i], baseline, sinceBaseline),
                        fargateTags);
            }
            fargate.gauge("ecs.fargate.mem.max_usage", memoryMaxUsage, fargateTags);
            fargate.gauge("ecs.fargate.mem.usage", memoryUsage, fargateTags);
            if (!(memoryLimit >= CGROUP_NO_VALUE)) {
                fargate.gauge("ecs.fargate.mem.limit", memoryLimit, fargateTags);
            }
            fargate.gauge("ecs.fargate.io.bytes.read", ioReadBytesRate, fargateTags);
            fargate.gauge("ecs.fargate.io.bytes.write", ioWriteBytesRate, fargateTags);
            fargate.gauge("ecs.fargate.io.ops.read", ioReadOpsRate, fargateTags);
            fargate.gauge("ecs.fargate.io.ops.write", ioWriteOpsRate, fargateTags);
        }
        if (containerTags != null) {
            container.startedAt().ifPresent(started -> {
                double uptime = seconds(started, now);
                if (uptime >= 0) {
                    generic.gauge("container.uptime", uptime, containerTags);
                }
            });
            generic.gauge("container.cpu.usage", cpuTotalRate, containerTags);
            generic.gauge("container.cpu.user", cpuUserRate, containerTags);
            generic.gauge("container.cpu.system", cpuSystemRate, containerTags);
            if (cpuUsage != null) {
                // The generic check reports the task's vCPU in nanoseconds of CPU per second, for every container.
                tags.task.cpuLimitVcpu().filter(vcpu -> vcpu > 0).ifPresent(vcpu ->
                        generic.gauge("container.cpu.limit", vcpu * NANOS_PER_SECOND, containerTags));
            }
            if (memory != null) {
                generic.gauge("container.memory.usage", memoryUsage, containerTags);
                generic.gauge("container.memory.limit", containerMemoryLimit(memoryLimit, tags.task), containerTags);
                generic.gauge("container.memory.rss", memoryGauges[RSS], containerTags);
                generic.gauge("container.memory.cache", memoryGauges[CACHE], containerTags);
                generic.gauge("container.memory.working_set", privateWorkingSet, containerTags);
                // A monotonic count in the Agent: the faults since the previous sample, nothing on the first one.
                generic.count("container.memory.page_faults", increase(counters, MEM_PGFAULT, baseline),
                        containerTags);
            }
            generic.gauge("container.io.read", ioReadBytesRate, containerTags);
            generic.gauge("container.io.read.operations", ioReadOpsRate, containerTags);
            generic.gauge("container.io.write", ioWriteBytesRate, containerTags);
            generic.gauge("container.io.write.operations", ioWriteOpsRate, containerTags);
            // RestartCount is in the metadata only when the container has a restart policy; 0 is not sent.
            container.restartCount().ifPresent(restarts -> {
                if (restarts > 0) {
                    generic.gauge("container.restarts", restarts, containerTags);
                }
            });
        }

        Map<String, double[]> interfaces = networks == null ? Map.of() : new LinkedHashMap<>(4);
        if (networks != null) {
            for (Map.Entry<String, JsonNode> network : networks.properties()) {
                String name = network.getKey();
                JsonNode figures = object(networks, "networks", name);
                if (figures == null) {
                    continue;
                }
                String path = "networks." + name;
                double[] netCounters = new double[NET_COUNTERS];
                netCounters[NET_RX_BYTES] = number(figures, path, "rx_bytes");
                netCounters[NET_TX_BYTES] = number(figures, path, "tx_bytes");
                netCounters[NET_RX_PACKETS] = number(figures, path, "rx_packets");
                netCounters[NET_TX_PACKETS] = number(figures, path, "tx_packets");
                interfaces.put(name, netCounters);
                String interfaceTag = "interface:" + name;
                if (fargateTags != null) {
                    TagSet netTags = fargateTags.with(interfaceTag);
                    fargate.gauge("ecs.fargate.net.rcvd_errors", number(figures, path, "rx_errors"), netTags);
                    fargate.gauge("ecs.fargate.net.sent_errors", number(figures, path, "tx_errors"), netTags);
                    fargate.gauge("ecs.fargate.net.packet.in_dropped", number(figures, path, "rx_dropped"), netTags);
                    fargate.gauge("ecs.fargate.net.packet.out_dropped", number(figures, path, "tx_dropped"), netTags);
                    fargate.gauge("ecs.fargate.net.bytes_rcvd", netRate(netCounters, NET_RX_BYTES, name, baseline,
                            sinceBaseline), netTags);
                    fargate.gauge("ecs.fargate.net.bytes_sent", netRate(netCounters, NET_TX_BYTES, name, baseline,
                            sinceBaseline), netTags);
                }
                if (containerTags != null) {
                    TagSet netTags = containerTags.with(interfaceTag);
                    generic.gauge("container.net.rcvd", netRate(netCounters, NET_RX_BYTES, name, baseline,
                            sinceBaseline), netTags);
                    generic.gauge("container.net.sent", netRate(netCounters, NET_TX_BYTES, name, baseline,
                            sinceBaseline), netTags);
                    generic.gauge("container.net.rcvd.packets", netRate(netCounters, NET_RX_PACKETS, name, baseline,
                            sinceBaseline), netTags);
                    generic.gauge("container.net.sent.packets", netRate(netCounters, NET_TX_PACKETS, name, baseline,
                            sinceBaseline), netTags);
                }
            }
        }

        if (sameSample || read == null) {
            return before; // nothing newer to measure the next sample against
        }
        return new ContainerSample(read, counters, interfaces);
    }

    /**
     * ecs.fargate.cpu.percent as the ecs_fargate check computes it from one payload: the container's share of the
     * host CPU time since {@code preread}, times the online CPUs; when the container appears to have used more
     * than the host (a known stats anomaly), the elapsed whole seconds replace the host figure. Rounded half-up to
     * two decimals.
     */
    static double cpuPercent(double total, double precpuTotal, double systemCpu, double presystemCpu,
                             double onlineCpus, Instant read, Instant preread) {
        if (Double.isNaN(total) || Double.isNaN(precpuTotal) || Double.isNaN(systemCpu)
                || Double.isNaN(presystemCpu)) {
            return Double.NaN;
        }
        double cpuDelta = total - precpuTotal;
        double systemDelta = systemCpu - presystemCpu;
        double cpus = Double.isNaN(onlineCpus) ? 0 : onlineCpus;
        if (!(systemDelta > 0 && cpuDelta > 0 && cpus > 0)) {
            return Double.NaN;
        }
        if (systemDelta > cpuDelta) {
            return round2((cpuDelta / systemDelta) * cpus * 100.0);
        }
        if (read == null || preread == null) {
            return Double.NaN;
        }
        // The check measures the gap with microsecond timestamps and truncates it to whole seconds.
        long micros = (read.getEpochSecond() - preread.getEpochSecond()) * 1_000_000L
                + (read.getNano() / 1000 - preread.getNano() / 1000);
        long wholeSeconds = micros / 1_000_000L;
        if (wholeSeconds <= 0) {
            return Double.NaN;
        }
        return round2((cpuDelta / (wholeSeconds * NANOS_PER_SECOND)) * 100.0);
    }

    /** Half-up rounding of the shortest decimal form, as Python's {@code Decimal(str(x)).quantize} does. */
    static double round2(double value) {
        return BigDecimal.valueOf(value).setScale(2, RoundingMode.HALF_UP).doubleValue();
    }

    private static double containerMemoryLimit(double containerLimit, TaskMetadata task) {
        if (containerLimit > 0 && containerLimit < UNSET_MEMORY_LIMIT) {
            return containerLimit;
        }
        return task.memoryLimitMiB().filter(mib -> mib > 0).map(mib -> mib * MIB).orElse(Double.NaN);
    }

    private static double rate(double[] counters, int slot, ContainerSample baseline, double seconds) {
        return baseline == null ? Double.NaN : perSecond(counters[slot], baseline.counter(slot), seconds);
    }

    private static double cpuRate(double[] counters, int slot, ContainerSample baseline, double sinceBaseline,
                                  double precpuValue, double sincePreread) {
        if (baseline != null && !Double.isNaN(baseline.counter(slot))) {
            return perSecond(counters[slot], baseline.counter(slot), sinceBaseline);
        }
        return perSecond(counters[slot], precpuValue, sincePreread);
    }

    private static double netRate(double[] netCounters, int slot, String name, ContainerSample baseline,
                                  double seconds) {
        return baseline == null ? Double.NaN
                : perSecond(netCounters[slot], baseline.interfaceCounter(name, slot), seconds);
    }

    /** NaN (no point) when a value is missing, no time passed, or the counter went down (reset). */
    private static double perSecond(double current, double previous, double seconds) {
        if (Double.isNaN(current) || Double.isNaN(previous) || !(seconds > 0)) {
            return Double.NaN;
        }
        double delta = current - previous;
        return delta < 0 ? Double.NaN : delta / seconds;
    }

    /**
     * Sums the Read and Write entries of a blkio list into two counter slots. Both cgroup v1 ("Read") and cgroup v2
     * ("read") spellings count; an absent list leaves the slots absent, an empty list makes them zero.
     */
    private static void sumReadWrite(JsonNode entries, String listName, double[] counters, int readSlot,
                                     int writeSlot) {
        if (entries == null) {
            return;
        }
        double read = 0;
        double write = 0;
        for (JsonNode entry : entries) {
            if (!entry.isObject()) {
                throw StatsFields.wrongType("blkio_stats", listName + "[]", "an object", entry);
            }
            JsonNode op = entry.get("op");
            double value = number(entry, "blkio_stats." + listName + "[]", "value");
            if (op == null || !op.isTextual() || Double.isNaN(value)) {
                continue;
            }
            String kind = op.textValue();
            if (kind.equals("Read") || kind.equals("read")) {
                read += value;
            } else if (kind.equals("Write") || kind.equals("write")) {
                write += value;
            }
        }
        counters[readSlot] = read;
        counters[writeSlot] = write;
    }

    private static void storageCounter(JsonNode storage, String field, double[] counters, int slot) {
        double value = number(storage, "storage_stats", field);
        if (Double.isNaN(counters[slot]) && value > 0) {
            counters[slot] = value;
        }
    }

    private static boolean isStopped(JsonNode containerStats) {
        return containerStats == null || containerStats.isNull()
                || (containerStats.isObject() && containerStats.isEmpty());
    }

    private static void keep(Map<String, ContainerSample> next, String dockerId, ContainerSample sample) {
        if (sample != null) {
            next.put(dockerId, sample);
        }
    }

    static double seconds(Instant from, Instant to) {
        return (to.getEpochSecond() - from.getEpochSecond()) + (to.getNano() - from.getNano()) / NANOS_PER_SECOND;
    }

    /** The counter's growth since the baseline; NaN (no point) without a baseline, a value, or on a reset. */
    private static double increase(double[] counters, int slot, ContainerSample baseline) {
        if (baseline == null || Double.isNaN(counters[slot]) || Double.isNaN(baseline.counter(slot))) {
            return Double.NaN;
        }
        double delta = counters[slot] - baseline.counter(slot);
        return delta < 0 ? Double.NaN : delta;
    }

    /** Points of one Datadog check (one origin) at one timestamp; a NaN value means "no point". */
    private record CheckPoints(MetricOrigin origin, long timestamp, List<Metric> out) {

        void gauge(String name, double value, TagSet tags) {
            if (!Double.isNaN(value)) {
                out.add(new Metric(name, MetricType.GAUGE, value, timestamp, tags, 0, "", "", origin));
            }
        }

        /** A Datadog count without interval, as the Agent's checks send their monotonic counts. */
        void count(String name, double value, TagSet tags) {
            if (!Double.isNaN(value)) {
                out.add(new Metric(name, MetricType.COUNT, value, timestamp, tags, 0, "", "", origin));
            }
        }
    }

    private static String[] prefixed(String prefix, String[] keys) {
        String[] names = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            names[i] = prefix + keys[i];
        }
        return names;
    }

    /** The tags of one conversion, each set built at most once. */
    private static final class Tags {
        final TaskSnapshot snapshot;
        final TaskMetadata task;
        private Map<String, ContainerMetadata> containersById;
        private TagSet fargateTask;
        private TagSet taskCompat;
        private final Map<String, TagSet> containerTags = new HashMap<>();
        private final Map<String, TagSet> fargateContainerTags = new HashMap<>();
        private final Map<String, TagSet> genericContainerTags = new HashMap<>();
        private TagSet runtimeTag;

        Tags(TaskSnapshot snapshot) {
            this.snapshot = snapshot;
            this.task = snapshot.task();
        }

        ContainerMetadata container(String dockerId) {
            if (containersById == null) {
                containersById = new HashMap<>();
                for (ContainerMetadata container : task.containers()) {
                    containersById.put(container.dockerId(), container);
                }
            }
            return containersById.get(dockerId);
        }

        TagSet container(ContainerMetadata container) {
            return containerTags.computeIfAbsent(container.dockerId(),
                    id -> snapshot.containerTags(id, Cardinality.HIGH));
        }

        /** The generic container check's tags: the tagger's plus the {@code runtime:} tag it adds to every point. */
        TagSet genericContainer(ContainerMetadata container) {
            if (runtimeTag == null) {
                runtimeTag = TaskPlatform.of(task).runtimeTag();
            }
            return genericContainerTags.computeIfAbsent(container.dockerId(),
                    id -> container(container).with(runtimeTag));
        }

        /** The ecs_fargate check's tags: the tagger's plus the names older versions of the check used. */
        TagSet fargateContainer(ContainerMetadata container) {
            TagSet found = fargateContainerTags.get(container.dockerId());
            if (found == null) {
                TagSet base = container(container);
                // docker_name mirrors container_name, as the check maps it (DockerName on EC2, Name on Fargate).
                String dockerName = base.valueOf("container_name");
                if (dockerName == null || dockerName.isEmpty()) {
                    dockerName = container.dockerName().isEmpty() ? container.name() : container.dockerName();
                }
                found = base.with(taskCompat()).with(dockerName.isEmpty() ? TagSet.EMPTY
                        : TagSet.of("docker_name:" + dockerName));
                fargateContainerTags.put(container.dockerId(), found);
            }
            return found;
        }

        TagSet fargateTask() {
            if (fargateTask == null) {
                fargateTask = snapshot.taskTags(Cardinality.HIGH).with(taskCompat());
            }
            return fargateTask;
        }

        private TagSet taskCompat() {
            if (taskCompat == null) {
                List<String> compat = new ArrayList<>(3);
                addTag(compat, "ecs_cluster:", task.clusterName());
                addTag(compat, "ecs_task_family:", task.family());
                addTag(compat, "ecs_task_version:", task.revision());
                taskCompat = TagSet.of(compat);
            }
            return taskCompat;
        }

        private static void addTag(List<String> tags, String prefix, String value) {
            if (value != null && !value.isEmpty()) {
                tags.add(prefix + value);
            }
        }
    }
}
