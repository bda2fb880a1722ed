package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The stats of one container over time. Counters are a function of the time since {@code origin}, so rounding
 * never drifts and samples are reproducible under a manual clock. Not thread-safe: the simulator holds its lock.
 */
final class ContainerStats {

    /** Docker's zero time, used as {@code preread} when there is no previous sample. */
    static final Instant ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");
    private static final double MEMORY_SWING = 0.08;
    private static final double MEMORY_PERIOD_SECONDS = 90;
    private static final long PACKET_BYTES = 1_000;
    private static final long BLOCK_BYTES = 4_096;
    /** Datadog treats limits from 2^62 up as "no limit". */
    private static final long UNLIMITED_FROM = 1L << 62;

    final String dockerId;
    private ObjectNode base;
    private Instant origin;
    private ContainerLoad load;
    private ObjectNode last;
    private Instant lastRead;
    private long maxUsage;
    private boolean stopped;

    private ContainerStats(String dockerId) {
        this.dockerId = dockerId;
    }

    /**
     * Stats seeded from a recorded sample: its counters become the state at {@code start}, its {@code read} is
     * moved to {@code start} and {@code preread} keeps its distance. {@code null} or {@code {}} is a stopped
     * container. The load is taken from the recorded deltas where they are positive.
     */
    static ContainerStats recorded(String dockerId, JsonNode sample, Instant start) {
        ContainerStats stats = new ContainerStats(dockerId);
        if (!(sample instanceof ObjectNode object) || object.isEmpty()) {
            stats.stopped = true;
            stats.load = ContainerLoad.DEFAULT;
            return stats;
        }
        ObjectNode seeded = object.deepCopy();
        Optional<Instant> read = Json.instant(object, "read");
        Optional<Instant> preread = Json.instant(object, "preread");
        seeded.put("read", Json.time(start));
        if (read.isPresent() && preread.isPresent() && preread.get().isAfter(Instant.EPOCH)) {
            seeded.put("preread", Json.time(start.minus(Duration.between(preread.get(), read.get()))));
        }
        stats.load = loadOf(object, read, preread);
        stats.base = seeded;
        stats.origin = start;
        stats.last = seeded;
        stats.lastRead = start;
        stats.maxUsage = Json.longAt(object.get("memory_stats"), "max_usage", 0);
        return stats;
    }

    /**
     * Stats of a container whose counters were zero at {@code startedAt}; the first sample is at {@code start},
     * with a previous sample {@code gap} earlier (like a stats engine that has been polling all along).
     */
    static ContainerStats fresh(String dockerId, ObjectNode zero, Instant startedAt, Instant start, Duration gap,
                                ContainerLoad load, boolean stopped) {
        ContainerStats stats = new ContainerStats(dockerId);
        stats.base = zero;
        stats.origin = startedAt;
        stats.load = load;
        stats.stopped = stopped;
        Instant previous = start.minus(gap).isAfter(startedAt) ? start.minus(gap) : startedAt;
        ObjectNode before = stats.at(previous);
        ObjectNode first = stats.at(start);
        first.put("preread", Json.time(previous));
        first.set("precpu_stats", before.get("cpu_stats").deepCopy());
        stats.last = first;
        stats.lastRead = start;
        return stats;
    }

    boolean stopped() {
        return stopped;
    }

    ContainerLoad load() {
        return load;
    }

    /**
     * The sample at {@code now}: a new one when the clock has moved since the last, else the last again (the
     * endpoint caches, and a zero-length interval would give consumers nothing to divide by).
     */
    ObjectNode sample(Instant now) {
        if (!now.isAfter(lastRead)) {
            return last;
        }
        ObjectNode next = at(now);
        next.put("preread", Json.time(lastRead));
        JsonNode previousCpu = last.get("cpu_stats");
        if (previousCpu != null) {
            next.set("precpu_stats", previousCpu.deepCopy());
        }
        last = next;
        lastRead = now;
        return next;
    }

    void stop() {
        stopped = true;
    }

    /** Changes the load from {@code now} on, keeping every counter where it is. */
    void setLoad(ContainerLoad newLoad, Instant now) {
        if (base != null) {
            base = at(now);
            origin = now;
        }
        load = newLoad;
    }

    /**
     * A restart starts a new cgroup: counters begin at zero and the first sample has no previous one
     * ({@code preread} is Docker's zero time and {@code precpu_stats} is all zeros), like Docker's first read.
     */
    void restart(ObjectNode zeroIfUnknown, Instant now) {
        // Start from the current sample so host-wide figures (system_cpu_usage) keep growing.
        ObjectNode fresh = base != null ? at(now) : zeroIfUnknown;
        zeroCounters(fresh);
        base = fresh;
        origin = now;
        stopped = false;
        ObjectNode marker = fresh.deepCopy();
        if (marker.get("cpu_stats") instanceof ObjectNode cpu) {
            zeroAllNumbers(cpu);
        }
        marker.put("read", Json.time(ZERO_TIME));
        last = marker;
        lastRead = ZERO_TIME;
        maxUsage = 0;
    }

    /** The sample at {@code now} without remembering it. */
    private ObjectNode at(Instant now) {
        ObjectNode sample = base.deepCopy();
        long nanos = Math.max(0, Duration.between(origin, now).toNanos());
        advance(sample, nanos);
        sample.put("read", Json.time(now));
        return sample;
    }

    private void advance(ObjectNode s, long nanos) {
        double seconds = nanos / 1e9;
        if (s.get("cpu_stats") instanceof ObjectNode cpu) {
            long cpuDelta = Math.round(load.cpuVcpu() * nanos);
            if (cpu.get("cpu_usage") instanceof ObjectNode usage) {
                Json.add(usage, "total_usage", cpuDelta);
                if (usage.get("percpu_usage") instanceof ArrayNode perCpu && !perCpu.isEmpty()) {
                    long share = cpuDelta / perCpu.size();
                    for (int i = 0; i < perCpu.size(); i++) {
                        Json.addAt(perCpu, i, i == 0 ? cpuDelta - share * (perCpu.size() - 1) : share);
                    }
                }
                long user = Math.round(cpuDelta * 0.8);
                Json.add(usage, "usage_in_usermode", user);
                Json.add(usage, "usage_in_kernelmode", cpuDelta - user);
            }
            Json.add(cpu, "system_cpu_usage", onlineCpus(cpu) * nanos);
        }
        if (s.get("memory_stats") instanceof ObjectNode memory) {
            advanceMemory(memory, seconds);
        }
        long rx = Math.round(load.rxBytesPerSecond() * seconds);
        long tx = Math.round(load.txBytesPerSecond() * seconds);
        if (s.get("networks") instanceof ObjectNode networks) {
            for (JsonNode iface : networks) {
                if (iface instanceof ObjectNode counters) {
                    Json.add(counters, "rx_bytes", rx);
                    Json.add(counters, "rx_packets", rx / PACKET_BYTES);
                    Json.add(counters, "tx_bytes", tx);
                    Json.add(counters, "tx_packets", tx / PACKET_BYTES);
                }
            }
        }
        if (s.get("network_rate_stats") instanceof ObjectNode rates) {
            rates.put("rx_bytes_per_sec", (double) load.rxBytesPerSecond());
            rates.put("tx_bytes_per_sec", (double) load.txBytesPerSecond());
        }
        long read = Math.round(load.readBytesPerSecond() * seconds);
        long written = Math.round(load.writeBytesPerSecond() * seconds);
        if (s.get("blkio_stats") instanceof ObjectNode blkio) {
            advanceBlkio(blkio.get("io_service_bytes_recursive"), read, written);
            advanceBlkio(blkio.get("io_serviced_recursive"), read / BLOCK_BYTES, written / BLOCK_BYTES);
        }
        if (s.get("storage_stats") instanceof ObjectNode storage) {
            Json.add(storage, "read_size_bytes", read);
            Json.add(storage, "write_size_bytes", written);
            Json.add(storage, "read_count_normalized", read / BLOCK_BYTES);
            Json.add(storage, "write_count_normalized", written / BLOCK_BYTES);
        }
    }

    private void advanceMemory(ObjectNode memory, double seconds) {
        JsonNode current = memory.get("usage");
        if (current == null || !current.isIntegralNumber() || !current.canConvertToLong()) {
            return;
        }
        long baseUsage = current.longValue();
        long centre = load.memoryBytes();
        long usage = Math.round(centre * (1 + MEMORY_SWING * Math.sin(2 * Math.PI * seconds / MEMORY_PERIOD_SECONDS)));
        long cap = memoryCap(memory);
        if (centre <= cap) {
            usage = Math.min(usage, cap);
        }
        memory.put("usage", usage);
        maxUsage = Math.max(maxUsage, usage);
        if (memory.has("max_usage")) {
            memory.put("max_usage", Math.max(maxUsage, Json.longAt(memory, "max_usage", 0)));
        }
        // Keep usage minus cache (what consumers report) moving with usage.
        if (memory.get("stats") instanceof ObjectNode stats) {
            for (String field : new String[] {"rss", "total_rss", "anon", "inactive_anon", "total_inactive_anon"}) {
                long value = Json.longAt(stats, field, -1);
                if (value >= 0) {
                    stats.put(field, Math.max(0, value + usage - baseUsage));
                }
            }
        }
    }

    private static long memoryCap(ObjectNode memory) {
        long cap = Long.MAX_VALUE;
        long limit = Json.longAt(memory, "limit", Long.MAX_VALUE);
        if (limit > 0 && limit < UNLIMITED_FROM) {
            cap = limit;
        }
        long hierarchical = Json.longAt(memory.get("stats"), "hierarchical_memory_limit", Long.MAX_VALUE);
        if (hierarchical > 0 && hierarchical < UNLIMITED_FROM) {
            cap = Math.min(cap, hierarchical);
        }
        return cap;
    }

    /** Adds to the first device only, so a task with two devices is not counted twice. */
    private static void advanceBlkio(JsonNode list, long read, long written) {
        if (!(list instanceof ArrayNode entries) || entries.isEmpty()) {
            return;
        }
        JsonNode first = entries.get(0);
        long major = Json.longAt(first, "major", -1);
        long minor = Json.longAt(first, "minor", -1);
        for (JsonNode entry : entries) {
            if (!(entry instanceof ObjectNode object) || Json.longAt(object, "major", -1) != major
                    || Json.longAt(object, "minor", -1) != minor) {
                continue;
            }
            switch (Json.text(object, "op", "").toLowerCase()) {
                case "read", "sync" -> Json.add(object, "value", read);
                case "write", "async" -> Json.add(object, "value", written);
                case "total" -> Json.add(object, "value", read + written);
                default -> {
                }
            }
        }
    }

    private static long onlineCpus(ObjectNode cpu) {
        long online = Json.longAt(cpu, "online_cpus", 0);
        if (online > 0) {
            return online;
        }
        JsonNode perCpu = cpu.path("cpu_usage").get("percpu_usage");
        return perCpu != null && perCpu.isArray() && !perCpu.isEmpty() ? perCpu.size() : 1;
    }

    private static ContainerLoad loadOf(ObjectNode sample, Optional<Instant> read, Optional<Instant> preread) {
        ContainerLoad load = ContainerLoad.DEFAULT;
        long total = Json.longAt(sample.path("cpu_stats").get("cpu_usage"), "total_usage", -1);
        long previous = Json.longAt(sample.path("precpu_stats").get("cpu_usage"), "total_usage", -1);
        if (read.isPresent() && preread.isPresent() && previous > 0 && total > previous) {
            long gap = Duration.between(preread.get(), read.get()).toNanos();
            if (gap > 0) {
                load = load.withCpu((double) (total - previous) / gap);
            }
        }
        long usage = Json.longAt(sample.get("memory_stats"), "usage", -1);
        if (usage >= 0) {
            load = new ContainerLoad(load.cpuVcpu(), usage, load.rxBytesPerSecond(), load.txBytesPerSecond(),
                    load.readBytesPerSecond(), load.writeBytesPerSecond());
        }
        JsonNode rates = sample.get("network_rate_stats");
        if (rates != null) {
            double rx = rates.path("rx_bytes_per_sec").asDouble(0);
            double tx = rates.path("tx_bytes_per_sec").asDouble(0);
            if (rx > 0 || tx > 0) {
                load = load.withNetwork(Math.round(rx), Math.round(tx));
            }
        }
        return load;
    }

    private static void zeroCounters(ObjectNode stats) {
        if (stats.path("cpu_stats").get("cpu_usage") instanceof ObjectNode usage) {
            zeroAllNumbers(usage);
        }
        if (stats.get("networks") instanceof ObjectNode networks) {
            zeroAllNumbers(networks);
        }
        if (stats.get("blkio_stats") instanceof ObjectNode blkio) {
            for (JsonNode list : blkio) {
                for (JsonNode entry : list) {
                    if (entry instanceof ObjectNode object && object.has("value")) {
                        object.put("value", 0L);
                    }
                }
            }
        }
        if (stats.get("storage_stats") instanceof ObjectNode storage) {
            zeroAllNumbers(storage);
        }
    }

    private static void zeroAllNumbers(ObjectNode node) {
        for (String name : fieldNames(node)) {
            JsonNode value = node.get(name);
            if (value.isNumber()) {
                node.put(name, 0L);
            } else if (value instanceof ObjectNode child) {
                zeroAllNumbers(child);
            } else if (value instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    if (array.get(i).isNumber()) {
                        array.set(i, LongNode.valueOf(0));
                    } else if (array.get(i) instanceof ObjectNode child) {
                        zeroAllNumbers(child);
                    }
                }
            }
        }
    }

    private static List<String> fieldNames(ObjectNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
