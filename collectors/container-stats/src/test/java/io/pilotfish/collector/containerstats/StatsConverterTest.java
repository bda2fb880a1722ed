package io.pilotfish.collector.containerstats;

import static io.pilotfish.collector.containerstats.Points.assertValue;
import static io.pilotfish.collector.containerstats.Points.has;
import static io.pilotfish.collector.containerstats.Points.id;
import static io.pilotfish.collector.containerstats.Points.one;
import static io.pilotfish.collector.containerstats.Points.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.collector.containerstats.StatsConversion.ContainerProblem;
import io.pilotfish.collector.containerstats.StatsConversion.Reason;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.TagSet;
import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class StatsConverterTest {

    static final String APP = "0a1b2c3d4e5f60718293a4b5c6d7e8f9-1111111111";
    static final String SIDECAR = "0a1b2c3d4e5f60718293a4b5c6d7e8f9-2222222222";
    static final String PAUSE = "0a1b2c3d4e5f60718293a4b5c6d7e8f9-3333333333";
    static final String DD_AGENT = "67cd8a22b533459696d4ccab5278e009-2860414825";
    static final String APMTEST = "67cd8a22b533459696d4ccab5278e009-3344678718";

    static final Instant NOW = Instant.parse("2025-03-01T10:00:25Z");
    static final TaskSnapshot DEMO = TestData.snapshot(TestData.task(TestData.fixture("task.json")));
    static final StatsConverter DEFAULT = new StatsConverter(ContainerStatsConfig.DEFAULT);

    static Map<String, JsonNode> t0() {
        return TestData.stats(TestData.fixture("sample-t0.json"));
    }

    static Map<String, JsonNode> t10() {
        return TestData.stats(TestData.fixture("sample-t10.json"));
    }

    static StatsConversion convert(StatsConverter converter, Map<String, JsonNode> stats, TaskSnapshot snapshot) {
        return converter.convert(stats, snapshot, SampleHistory.empty(), NOW);
    }

    static StatsConversion replay(String statsFile, String taskFile) {
        Map<String, JsonNode> stats = TestData.stats(TestData.shared(statsFile));
        TaskMetadata task = taskFile == null ? TestData.taskFor(stats) : TestData.task(TestData.shared(taskFile));
        return DEFAULT.convert(stats, TestData.snapshot(task), SampleHistory.empty(), NOW);
    }

    /** A copy of the payload with one container's entry changed. */
    static Map<String, JsonNode> edit(Map<String, JsonNode> stats, String dockerId, Consumer<ObjectNode> change) {
        Map<String, JsonNode> copy = new LinkedHashMap<>(stats);
        ObjectNode entry = ((ObjectNode) stats.get(dockerId)).deepCopy();
        change.accept(entry);
        copy.put(dockerId, entry);
        return copy;
    }

    /** Sets a value at a dotted path inside a stats entry. */
    static void set(ObjectNode entry, String path, Object value) {
        String[] parts = path.split("\\.");
        ObjectNode node = entry;
        for (int i = 0; i < parts.length - 1; i++) {
            node = (ObjectNode) node.get(parts[i]);
        }
        String field = parts[parts.length - 1];
        node.set(field, TestData.JSON.valueToTree(value));
    }

    // ---- values computed from the corpus (ecs-metadata.md §9) ----

    @Test
    void cpuPercentOnTheFargateCaptureIsWhatDatadogSends() {
        List<Metric> metrics = replay("fargate/task-stats.json", "fargate/task.json").metrics();

        assertEquals(0.87, value(metrics, "ecs.fargate.cpu.percent", id(DD_AGENT)));
        assertEquals(0.07, value(metrics, "ecs.fargate.cpu.percent", id(APMTEST)));
    }

    @Test
    void cpuPercentAcrossTheCorpus() {
        List<Metric> fargate = replay("fargate/task-stats-with-stopped-container-null.json",
                "fargate/task-with-stopped-container.json").metrics();
        assertEquals(0.07, value(fargate, "ecs.fargate.cpu.percent", id("bae32def0ab64f06818e8862e58f8d6d-1819985369")));
        assertEquals(0.8, value(fargate, "ecs.fargate.cpu.percent", id("bae32def0ab64f06818e8862e58f8d6d-4159844948")));

        List<Metric> ec2 = replay("ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json",
                "ec2/task-bridge-with-stopped-container.json").metrics();
        assertEquals(0.52, value(ec2, "ecs.fargate.cpu.percent",
                id("01cf1f3208005cda71d5ac936ded65d2ecc0a8cc8ff8a82d2e00410bf4fbbd6d")));
        assertFalse(has(ec2, "ecs.fargate.cpu.percent",
                id("6b80adab0733f579594eccae31e5b0056b9544b805450ad6e278fed7f5e1c5ba")), "no CPU used: not sent");

        List<Metric> managed = replay("managed-instances/task-stats-cgroupv2.json", null).metrics();
        assertEquals(0.54, value(managed, "ecs.fargate.cpu.percent",
                id("2207f63945be40abb2d7bca5a2661cfd-2537586469")));

        List<Metric> container = replay("ec2/container-stats.json", null).metrics();
        assertFalse(has(container, "ecs.fargate.cpu.percent"), "a zero CPU delta sends no percent, as the check");
    }

    @Test
    void memoryFiguresOfTheCorpus() {
        List<Metric> fargate = replay("fargate/task-stats.json", "fargate/task.json").metrics();
        double usage = value(fargate, "ecs.fargate.mem.usage", id(DD_AGENT));
        assertEquals(155750400, usage - value(fargate, "ecs.fargate.mem.cache", id(DD_AGENT)));
        assertEquals(160886784, value(fargate, "container.memory.usage", id(DD_AGENT)));
        assertEquals(147873792, value(fargate, "container.memory.rss", id(DD_AGENT)));
        assertEquals(205619200, value(fargate, "ecs.fargate.mem.max_usage", id(DD_AGENT)));

        String exporter = id("01cf1f3208005cda71d5ac936ded65d2ecc0a8cc8ff8a82d2e00410bf4fbbd6d");
        List<Metric> ec2 = replay("ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json",
                "ec2/task-bridge-with-stopped-container.json").metrics();
        assertEquals(47607808, value(ec2, "ecs.fargate.mem.usage", exporter)
                - value(ec2, "ecs.fargate.mem.inactive_file", exporter));
        assertEquals(268435456, value(ec2, "container.memory.limit", exporter));

        String agent = id("2207f63945be40abb2d7bca5a2661cfd-2537586469");
        List<Metric> managed = replay("managed-instances/task-stats-cgroupv2.json", null).metrics();
        assertEquals(249430016, value(managed, "ecs.fargate.mem.usage", agent)
                - value(managed, "ecs.fargate.mem.inactive_file", agent));
    }

    @Test
    void firstSampleOfTheFargateCaptureRatesCpuAgainstPrecpu() {
        List<Metric> metrics = replay("fargate/task-stats.json", "fargate/task.json").metrics();
        // 86559152 ns over read - preread = 10.000358692 s
        double expected = 86559152 / 10.000358692;
        assertValue(expected, metrics, "ecs.fargate.cpu.usage", id(DD_AGENT));
        assertValue(expected, metrics, "container.cpu.usage", id(DD_AGENT));
        assertValue(20000000 / 10.000358692, metrics, "ecs.fargate.cpu.user", id(DD_AGENT));
        assertValue(0, metrics, "ecs.fargate.cpu.system", id(DD_AGENT));
        assertFalse(has(metrics, "ecs.fargate.net.bytes_rcvd"), "no previous sample: no network rate");
        assertFalse(has(metrics, "ecs.fargate.io.bytes.read"), "no previous sample: no io rate");
    }

    // ---- tags and metadata metrics ----

    @Test
    void fargateContainerTagsAddTheChecksCompatibilityTags() {
        List<Metric> metrics = replay("fargate/task-stats.json", "fargate/task.json").metrics();

        Metric percent = one(metrics, "ecs.fargate.cpu.percent", id(DD_AGENT));
        assertTrue(percent.tags().containsAll(List.of(
                "container_name:dd-agent", "ecs_container_name:dd-agent", "docker_name:dd-agent",
                "ecs_cluster:akira-fargate-check-cluster", "ecs_task_family:akira-fargate-check",
                "ecs_task_version:1", "cluster_name:akira-fargate-check-cluster", "task_family:akira-fargate-check",
                "task_version:1", "short_image:akira-agent-fgcheck", "image_tag:9",
                "task_arn:arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/"
                        + "67cd8a22b533459696d4ccab5278e009")), percent.tags().toString());
        assertFalse(percent.tags().contains("env:test"), "global tags are the sink's, not ours");

        assertFalse(percent.tags().contains("runtime:ecsfargate"), "the ecs_fargate check adds no runtime tag");

        Metric generic = one(metrics, "container.memory.usage", id(DD_AGENT));
        assertEquals(fargateCaptureTagsOf(DD_AGENT).with("runtime:ecsfargate"), generic.tags(),
                "container.* use the container tags plus the generic check's runtime tag");

        Metric network = one(metrics, "ecs.fargate.net.rcvd_errors", id(DD_AGENT));
        assertTrue(network.tags().contains("interface:eth1"));
        assertTrue(network.tags().contains("docker_name:dd-agent"));
    }

    private static TagSet fargateCaptureTagsOf(String dockerId) {
        return TestData.snapshot(TestData.task(TestData.shared("fargate/task.json")))
                .containerTags(dockerId, Cardinality.HIGH);
    }

    @Test
    void taskLevelMetricsComeOnceWithTaskTags() {
        List<Metric> metrics = replay("fargate/task-stats.json", "fargate/task.json").metrics();

        assertEquals(1e9, value(metrics, "ecs.fargate.cpu.task.limit"));
        assertEquals(3072L * 1024 * 1024, value(metrics, "ecs.fargate.mem.task.limit"));
        assertEquals(2925, value(metrics, "ecs.fargate.ephemeral_storage.utilized"));
        assertEquals(21499, value(metrics, "ecs.fargate.ephemeral_storage.reserved"));
        Metric limit = one(metrics, "ecs.fargate.mem.task.limit");
        assertTrue(limit.tags().containsAll(List.of("ecs_cluster:akira-fargate-check-cluster",
                "ecs_task_family:akira-fargate-check", "ecs_task_version:1", "task_arn:arn:aws:ecs:ap-northeast-1:"
                        + "601427279990:task/akira-fargate-check-cluster/67cd8a22b533459696d4ccab5278e009")));
        assertTrue(limit.tags().stream().noneMatch(t -> t.startsWith("docker_name:") || t.startsWith("container_")),
                limit.tags().toString());

        assertEquals(2, value(metrics, "ecs.fargate.cpu.limit", id(DD_AGENT)));
        assertEquals(2, value(metrics, "ecs.fargate.cpu.limit", id(APMTEST)));
        assertEquals(1e9, value(metrics, "container.cpu.limit", id(APMTEST)), "task vCPU in ns per second");
        assertEquals(922337, value(metrics, "container.memory.limit", id(DD_AGENT)));
    }

    @Test
    void everyPointButPageFaultsIsAGaugeAtTheScrapeTime() {
        StatsConversion first = DEFAULT.convert(t0(), DEMO, SampleHistory.empty(), NOW);
        List<Metric> metrics = DEFAULT.convert(t10(), DEMO, first.history(), NOW.plusSeconds(10)).metrics();

        assertFalse(metrics.isEmpty());
        assertTrue(has(metrics, "container.memory.page_faults"));
        for (Metric metric : metrics) {
            // The Agent sends page faults as a monotonic count: a count without interval.
            MetricType expected = metric.name().equals("container.memory.page_faults") ? MetricType.COUNT
                    : MetricType.GAUGE;
            assertEquals(expected, metric.type(), metric.name());
            assertEquals(0, metric.intervalSeconds(), metric.name());
            assertEquals(NOW.plusSeconds(10).getEpochSecond(), metric.timestamp(), metric.name());
        }
    }

    @Test
    void uptimeCountsFromStartedAt() {
        List<Metric> metrics = convert(DEFAULT, t0(), DEMO).metrics();
        assertEquals(3625, value(metrics, "container.uptime", id(APP)));
        assertEquals(85, value(metrics, "container.uptime", id(SIDECAR)));
    }

    // ---- rates ----

    @Test
    void firstSampleHasNoRatesExceptCpuFromPrecpu() {
        List<Metric> metrics = convert(DEFAULT, t0(), DEMO).metrics();

        assertEquals(10_000_000, value(metrics, "ecs.fargate.cpu.usage", id(APP)));
        assertEquals(8_000_000, value(metrics, "ecs.fargate.cpu.user", id(APP)));
        assertEquals(2_000_000, value(metrics, "ecs.fargate.cpu.system", id(APP)));
        assertEquals(10_000_000, value(metrics, "container.cpu.usage", id(APP)));
        assertEquals(1.0, value(metrics, "ecs.fargate.cpu.percent", id(APP)));
        // preread is Docker's zero time and precpu is all zeros: nothing to rate against
        assertFalse(has(metrics, "ecs.fargate.cpu.usage", id(SIDECAR)));
        assertFalse(has(metrics, "container.cpu.usage", id(SIDECAR)));
        for (String rate : List.of("ecs.fargate.mem.pgfault", "ecs.fargate.io.bytes.read", "ecs.fargate.io.ops.write",
                "ecs.fargate.net.bytes_rcvd", "container.io.read", "container.net.rcvd", "container.net.sent.packets")) {
            assertFalse(has(metrics, rate), rate + " needs a previous sample");
        }
        // gauges are there from the first sample
        assertEquals(1, value(metrics, "ecs.fargate.net.rcvd_errors", id(APP), "interface:eth1"));
        assertEquals(104857600, value(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertEquals(104857600, value(metrics, "container.memory.usage", id(APP)));
    }

    @Test
    void twoSamplesGivePerSecondRatesTimedByTheStatsReadField() {
        StatsConversion first = DEFAULT.convert(t0(), DEMO, SampleHistory.empty(), NOW);
        // 30 s between scrapes, but the stats were read 10 s apart: rates are per those 10 s
        List<Metric> metrics = DEFAULT.convert(t10(), DEMO, first.history(), NOW.plusSeconds(30)).metrics();

        assertEquals(5_000_000, value(metrics, "ecs.fargate.cpu.usage", id(APP)));
        assertEquals(3_000_000, value(metrics, "ecs.fargate.cpu.user", id(APP)));
        assertEquals(1_000_000, value(metrics, "ecs.fargate.cpu.system", id(APP)));
        assertEquals(5_000_000, value(metrics, "container.cpu.usage", id(APP)));
        assertEquals(3_000_000, value(metrics, "container.cpu.user", id(APP)));
        assertEquals(1_000_000, value(metrics, "container.cpu.system", id(APP)));
        assertEquals(20, value(metrics, "ecs.fargate.mem.pgfault", id(APP)));
        assertEquals(0, value(metrics, "ecs.fargate.mem.pgmajfault", id(APP)));
        assertEquals(10, value(metrics, "ecs.fargate.mem.pgpgin", id(APP)));
        assertEquals(5, value(metrics, "ecs.fargate.mem.pgpgout", id(APP)));
        assertEquals(4096, value(metrics, "ecs.fargate.io.bytes.read", id(APP)));
        assertEquals(8192, value(metrics, "ecs.fargate.io.bytes.write", id(APP)));
        assertEquals(1, value(metrics, "ecs.fargate.io.ops.read", id(APP)));
        assertEquals(2, value(metrics, "ecs.fargate.io.ops.write", id(APP)));
        assertEquals(4096, value(metrics, "container.io.read", id(APP)));
        assertEquals(8192, value(metrics, "container.io.write", id(APP)));
        assertEquals(1, value(metrics, "container.io.read.operations", id(APP)));
        assertEquals(2, value(metrics, "container.io.write.operations", id(APP)));
        assertEquals(10000, value(metrics, "ecs.fargate.net.bytes_rcvd", id(APP), "interface:eth1"));
        assertEquals(5000, value(metrics, "ecs.fargate.net.bytes_sent", id(APP), "interface:eth1"));
        assertEquals(10000, value(metrics, "container.net.rcvd", id(APP), "interface:eth1"));
        assertEquals(5000, value(metrics, "container.net.sent", id(APP), "interface:eth1"));
        assertEquals(10, value(metrics, "container.net.rcvd.packets", id(APP), "interface:eth1"));
        assertEquals(5, value(metrics, "container.net.sent.packets", id(APP), "interface:eth1"));
        assertEquals(1, value(metrics, "ecs.fargate.net.rcvd_errors", id(APP), "interface:eth1"));
        assertEquals(4, value(metrics, "ecs.fargate.net.packet.out_dropped", id(APP), "interface:eth1"));

        assertEquals(2_000_000, value(metrics, "ecs.fargate.cpu.usage", id(SIDECAR)));
        assertEquals(3, value(metrics, "ecs.fargate.mem.pgfault", id(SIDECAR)));
    }

    @Test
    void lowercaseCgroupV2BlkioOpsAreCounted() {
        StatsConversion first = DEFAULT.convert(t0(), DEMO, SampleHistory.empty(), NOW);
        List<Metric> metrics = DEFAULT.convert(t10(), DEMO, first.history(), NOW.plusSeconds(10)).metrics();

        // "read"/"write" ops of cgroup v2: Datadog's check would send 0 here (see README)
        assertEquals(500, value(metrics, "ecs.fargate.io.bytes.read", id(SIDECAR)));
        assertEquals(1000, value(metrics, "ecs.fargate.io.bytes.write", id(SIDECAR)));
        assertEquals(500, value(metrics, "container.io.read", id(SIDECAR)));
        assertFalse(has(metrics, "ecs.fargate.io.ops.read", id(SIDECAR)), "io_serviced_recursive is null");

        String exporter = "01cf1f3208005cda71d5ac936ded65d2ecc0a8cc8ff8a82d2e00410bf4fbbd6d";
        Map<String, JsonNode> before = TestData.stats(
                TestData.shared("ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json"));
        Map<String, JsonNode> after = edit(before, exporter, entry -> {
            set(entry, "read", "2025-02-27T05:18:08.856950259Z");
            ObjectNode read = (ObjectNode) entry.get("blkio_stats").get("io_service_bytes_recursive").get(0);
            read.put("value", read.get("value").asLong() + 2048);
        });
        TaskSnapshot ec2 = TestData.snapshot(TestData.task(TestData.shared(
                "ec2/task-bridge-with-stopped-container.json")));
        StatsConversion one = DEFAULT.convert(before, ec2, SampleHistory.empty(), NOW);
        List<Metric> two = DEFAULT.convert(after, ec2, one.history(), NOW.plusSeconds(1)).metrics();
        assertEquals(2048, value(two, "ecs.fargate.io.bytes.read", id(exporter)));
        assertEquals(0, value(two, "ecs.fargate.io.bytes.write", id(exporter)));
    }

    @Test
    void theSameSampleTwiceGivesGaugesButNoRates() {
        StatsConversion first = DEFAULT.convert(t10(), DEMO, SampleHistory.empty(), NOW);
        StatsConversion second = DEFAULT.convert(t10(), DEMO, first.history(), NOW.plusSeconds(10));
        List<Metric> metrics = second.metrics();

        for (String rate : List.of("ecs.fargate.cpu.usage", "container.cpu.usage", "ecs.fargate.cpu.user",
                "ecs.fargate.mem.pgfault", "ecs.fargate.io.bytes.read", "ecs.fargate.net.bytes_rcvd",
                "container.net.rcvd")) {
            assertFalse(has(metrics, rate, id(APP)), rate + " must not be sent as 0 for a repeated sample");
        }
        assertEquals(110100480, value(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertEquals(0.5, value(metrics, "ecs.fargate.cpu.percent", id(APP)));
        assertEquals(first.history().lastRead(APP), second.history().lastRead(APP));

        // and the next real sample still rates against the one kept
        Map<String, JsonNode> t20 = edit(t10(), APP, entry -> {
            set(entry, "read", "2025-03-01T10:00:30.000000000Z");
            set(entry, "cpu_stats.cpu_usage.total_usage", 2_150_000_000L);
        });
        List<Metric> third = DEFAULT.convert(t20, DEMO, second.history(), NOW.plusSeconds(20)).metrics();
        assertEquals(10_000_000, value(third, "ecs.fargate.cpu.usage", id(APP)));
    }

    @Test
    void aCounterResetSkipsThatPointAndKeepsTheNewBaseline() {
        StatsConversion first = DEFAULT.convert(t0(), DEMO, SampleHistory.empty(), NOW);
        Map<String, JsonNode> reset = edit(t10(), APP, entry -> {
            set(entry, "networks.eth1.rx_bytes", 100);
            set(entry, "cpu_stats.cpu_usage.total_usage", 1000);
        });
        StatsConversion second = DEFAULT.convert(reset, DEMO, first.history(), NOW.plusSeconds(10));

        assertFalse(has(second.metrics(), "ecs.fargate.net.bytes_rcvd", id(APP)));
        assertFalse(has(second.metrics(), "container.net.rcvd", id(APP)));
        assertFalse(has(second.metrics(), "ecs.fargate.cpu.usage", id(APP)));
        assertEquals(5000, value(second.metrics(), "ecs.fargate.net.bytes_sent", id(APP)), "other counters go on");
        assertTrue(second.problems().isEmpty());

        Map<String, JsonNode> t20 = edit(reset, APP, entry -> {
            set(entry, "read", "2025-03-01T10:00:30.000000000Z");
            set(entry, "networks.eth1.rx_bytes", 1100);
            set(entry, "cpu_stats.cpu_usage.total_usage", 11000);
        });
        List<Metric> third = DEFAULT.convert(t20, DEMO, second.history(), NOW.plusSeconds(20)).metrics();
        assertEquals(100, value(third, "ecs.fargate.net.bytes_rcvd", id(APP)));
        assertEquals(1000, value(third, "ecs.fargate.cpu.usage", id(APP)));
    }

    @Test
    void stateOfVanishedContainersIsForgotten() {
        StatsConversion first = DEFAULT.convert(t0(), DEMO, SampleHistory.empty(), NOW);
        assertEquals(Set.of(APP, SIDECAR), first.history().containerIds());

        Map<String, JsonNode> onlyApp = new LinkedHashMap<>(t10());
        onlyApp.remove(SIDECAR);
        onlyApp.put(PAUSE, null);
        StatsConversion second = DEFAULT.convert(onlyApp, DEMO, first.history(), NOW.plusSeconds(10));
        assertEquals(Set.of(APP), second.history().containerIds());
    }

    // ---- sentinels and odd payloads ----

    @Test
    void noLimitSentinelsAreNotSentAsLimits() {
        StatsConverter withPause = new StatsConverter(new ContainerStatsConfig(true, true, true));
        StatsConversion conversion = convert(withPause, t0(), DEMO);
        List<Metric> metrics = conversion.metrics();
        assertTrue(conversion.problems().isEmpty(), conversion.problems().toString());

        // cgroup v1 2^63-4096 in memory_stats.stats
        assertFalse(has(metrics, "ecs.fargate.mem.hierarchical_memory_limit", id(APP)));
        assertFalse(has(metrics, "ecs.fargate.mem.hierarchical_memsw_limit", id(APP)));
        assertEquals(83886080, value(metrics, "ecs.fargate.mem.rss", id(APP)));
        assertEquals(536870912, value(metrics, "ecs.fargate.mem.limit", id(APP)));
        assertEquals(536870912, value(metrics, "container.memory.limit", id(APP)));
        // cgroup v2 2^64-1 (beyond a long): no ecs.fargate limit, task limit for container.*
        assertFalse(has(metrics, "ecs.fargate.mem.limit", id(SIDECAR)));
        assertEquals(1024L * 1024 * 1024, value(metrics, "container.memory.limit", id(SIDECAR)));
        // float-rounded 9223372036854772000
        assertFalse(has(metrics, "ecs.fargate.mem.limit", id(PAUSE)));
        assertEquals(1024L * 1024 * 1024, value(metrics, "container.memory.limit", id(PAUSE)));

        List<Metric> fargate = replay("fargate/task-stats-with-stopped-container-null.json",
                "fargate/task-with-stopped-container.json").metrics();
        String prometheus = id("bae32def0ab64f06818e8862e58f8d6d-1819985369");
        assertFalse(has(fargate, "ecs.fargate.mem.limit", prometheus));
        assertEquals(512L * 1024 * 1024, value(fargate, "container.memory.limit", prometheus));
    }

    @Test
    void theParserKeepsNumbersBeyondALong() {
        Map<String, JsonNode> stats = StatsParser.parse(
                "{\"c\": {\"memory_stats\": {\"limit\": 18446744073709551615}}}".getBytes());
        JsonNode limit = stats.get("c").get("memory_stats").get("limit");
        assertEquals(new BigInteger("18446744073709551615"), limit.bigIntegerValue());
        assertTrue(limit.doubleValue() >= StatsConverter.CGROUP_NO_VALUE);
        assertEquals(StatsConverter.CGROUP_NO_VALUE, (double) 9223372036854771712L);
        assertEquals(StatsConverter.CGROUP_NO_VALUE, Double.parseDouble("9223372036854772000"));
    }

    @Test
    void windowsStatsUseStorageStatsAndPrivateWorkingSet() {
        Map<String, JsonNode> first = TestData.stats(TestData.shared("fargate/task-stats-windows.json"));
        String windows = first.keySet().iterator().next();
        TaskSnapshot snapshot = TestData.snapshot(TestData.taskFor(first));
        StatsConversion one = DEFAULT.convert(first, snapshot, SampleHistory.empty(), NOW);
        assertTrue(one.problems().isEmpty(), "\"None\" blkio lists are tolerated: " + one.problems());

        List<Metric> metrics = one.metrics();
        assertFalse(has(metrics, "ecs.fargate.cpu.percent"), "never on Windows");
        assertEquals(140673024, value(metrics, "container.memory.working_set", id(windows)));
        assertEquals(210485248, value(metrics, "container.memory.usage", id(windows)));
        assertTrue(has(metrics, "ecs.fargate.net.rcvd_errors", id(windows),
                "interface:Ethernet 3"), "interface names keep their spaces");
        // read - preread = 9.9530531 s
        assertValue((17031250000.0 - 15828125000.0) / 9.9530531, metrics, "ecs.fargate.cpu.usage", id(windows));

        Map<String, JsonNode> second = edit(first, windows, entry -> {
            set(entry, "read", "2021-10-29T10:25:30.5933849Z");
            set(entry, "storage_stats.read_size_bytes", 248714240 + 10240);
            set(entry, "storage_stats.write_count_normalized", 774 + 30);
        });
        List<Metric> two = DEFAULT.convert(second, snapshot, one.history(), NOW.plusSeconds(10)).metrics();
        assertEquals(1024, value(two, "ecs.fargate.io.bytes.read", id(windows)));
        assertEquals(1024, value(two, "container.io.read", id(windows)));
        assertEquals(3, value(two, "ecs.fargate.io.ops.write", id(windows)));
        assertEquals(0, value(two, "container.net.rcvd", id(windows), "interface:Ethernet 3"));
    }

    @Test
    void stoppedContainersAreSkippedQuietly() {
        StatsConversion fargate = replay("fargate/task-stats-with-stopped-container-null.json",
                "fargate/task-with-stopped-container.json");
        String stopped = id("bae32def0ab64f06818e8862e58f8d6d-1585788040");
        assertTrue(fargate.problems().isEmpty());
        // only the metadata's CPU limit, which the check sends for every container
        assertEquals(List.of("ecs.fargate.cpu.limit"),
                fargate.metrics().stream().filter(m -> m.tags().contains(stopped)).map(Metric::name).toList());
        assertFalse(fargate.history().containerIds().contains("bae32def0ab64f06818e8862e58f8d6d-1585788040"));

        StatsConversion ec2 = replay("ec2/task-stats-bridge-cgroupv2-stopped-container-empty.json",
                "ec2/task-bridge-with-stopped-container.json");
        String empty = id("213e1203f4bb72af185724d937e698d2724acf35b57ec2dd5f3c963adbd2d38c");
        assertTrue(ec2.problems().isEmpty());
        assertEquals(List.of("ecs.fargate.cpu.limit"),
                ec2.metrics().stream().filter(m -> m.tags().contains(empty)).map(Metric::name).toList());
    }

    @Test
    void missingNetworksGiveNoNetworkMetricsAndNoError() {
        String agent = "2207f63945be40abb2d7bca5a2661cfd-2537586469";
        StatsConversion conversion = replay("managed-instances/task-stats-cgroupv2-no-networks.json", null);
        assertTrue(conversion.problems().isEmpty());
        assertTrue(conversion.metrics().stream().noneMatch(m -> m.name().contains(".net.")));
        assertTrue(has(conversion.metrics(), "ecs.fargate.mem.usage", id(agent)));
    }

    @Test
    void aMalformedContainerIsSkippedAndTheOthersStillReport() {
        StatsConversion first = DEFAULT.convert(t0(), DEMO, SampleHistory.empty(), NOW);
        Map<String, JsonNode> stats = TestData.stats(TestData.fixture("malformed-container.json"));
        StatsConversion conversion = DEFAULT.convert(stats, DEMO, first.history(), NOW.plusSeconds(10));

        List<ContainerProblem> problems = conversion.problems();
        assertEquals(2, problems.size(), problems.toString());
        assertEquals(SIDECAR, problems.get(0).dockerId());
        assertEquals(Reason.MALFORMED_CONTAINER, problems.get(0).reason());
        assertTrue(problems.get(0).message().contains("memory_stats.usage should be a number but is the string "
                + "\"fifty megabytes\""), problems.get(0).message());
        assertEquals("0a1b2c3d4e5f60718293a4b5c6d7e8f9-4444444444", problems.get(1).dockerId());
        assertEquals(Reason.MALFORMED_CONTAINER, problems.get(1).reason());

        List<Metric> metrics = conversion.metrics();
        assertEquals(104857600, value(metrics, "ecs.fargate.mem.usage", id(APP)));
        assertEquals(1.0, value(metrics, "ecs.fargate.cpu.percent", id(APP)));
        assertEquals(List.of("ecs.fargate.cpu.limit"),
                metrics.stream().filter(m -> m.tags().contains(id(SIDECAR))).map(Metric::name).toList(),
                "only the metadata's limit; none of the bad entry's figures");
        // the sidecar keeps its last good baseline for the next sample
        assertEquals(first.history().lastRead(SIDECAR), conversion.history().lastRead(SIDECAR));
    }

    @Test
    void wrongTypesInsideAnEntryAreMalformed() {
        for (Consumer<ObjectNode> damage : List.<Consumer<ObjectNode>>of(
                entry -> set(entry, "cpu_stats", "busy"),
                entry -> set(entry, "networks.eth1", List.of(1, 2)),
                entry -> set(entry, "networks.eth1.rx_bytes", true),
                entry -> set(entry, "blkio_stats.io_service_bytes_recursive", 5),
                entry -> set(entry, "read", "yesterday"))) {
            StatsConversion conversion = convert(DEFAULT, edit(t0(), APP, damage), DEMO);
            assertEquals(1, conversion.problems().size());
            assertEquals(APP, conversion.problems().get(0).dockerId());
            assertFalse(conversion.metrics().stream().anyMatch(m -> m.tags().contains(id(APP))
                    && !m.name().equals("ecs.fargate.cpu.limit")));
            assertTrue(has(conversion.metrics(), "ecs.fargate.mem.usage", id(SIDECAR)));
        }
    }

    @Test
    void aMalformedPayloadIsRejectedAsAWhole() {
        for (String body : List.of("not json", "[1, 2]", "", "{\"a\": {}} trailing", "{\"a\": ", "42")) {
            MalformedStatsException e = assertThrows(MalformedStatsException.class,
                    () -> StatsParser.parse(body.getBytes()), body);
            assertTrue(e.getMessage().contains("/task/stats"), e.getMessage());
        }
    }

    @Test
    void containersUnknownToTheMetadataAreReported() {
        Map<String, JsonNode> stats = TestData.stats(TestData.shared("fargate/task-stats.json"));
        StatsConversion conversion = DEFAULT.convert(stats, DEMO, SampleHistory.empty(), NOW);
        assertEquals(2, conversion.problems().size());
        assertTrue(conversion.problems().stream().allMatch(p -> p.reason() == Reason.UNKNOWN_CONTAINER));
        assertFalse(has(conversion.metrics(), "ecs.fargate.mem.usage"));
    }

    // ---- switches ----

    @Test
    void eachMetricSetCanBeSwitchedOff() {
        List<Metric> fargateOnly = convert(new StatsConverter(new ContainerStatsConfig(true, false, false)), t0(),
                DEMO).metrics();
        assertTrue(fargateOnly.stream().allMatch(m -> m.name().startsWith("ecs.fargate.")));
        assertTrue(has(fargateOnly, "ecs.fargate.cpu.percent", id(APP)));

        List<Metric> containerOnly = convert(new StatsConverter(new ContainerStatsConfig(false, true, false)), t0(),
                DEMO).metrics();
        assertTrue(containerOnly.stream().allMatch(m -> m.name().startsWith("container.")));
        assertTrue(has(containerOnly, "container.memory.usage", id(APP)));
        assertTrue(DEFAULT.metadataMetrics(DEMO, NOW).size() > 0);
        assertTrue(new StatsConverter(new ContainerStatsConfig(false, true, false)).metadataMetrics(DEMO, NOW)
                .isEmpty());
    }

    @Test
    void internalContainersAreSkippedUnlessIncluded() {
        List<Metric> defaults = convert(DEFAULT, t0(), DEMO).metrics();
        assertTrue(defaults.stream().noneMatch(m -> m.tags().contains(id(PAUSE))));

        StatsConverter including = new StatsConverter(new ContainerStatsConfig(true, true, true));
        List<Metric> included = convert(including, t0(), DEMO).metrics();
        assertEquals(2, value(included, "ecs.fargate.cpu.limit", id(PAUSE)));
        assertEquals(409600, value(included, "container.memory.usage", id(PAUSE)));
    }

    // ---- the check's CPU percent and rounding ----

    @Test
    void cpuPercentFallsBackToElapsedSecondsWhenTheContainerOutrunsTheHost() {
        Instant preread = Instant.parse("2025-03-01T10:00:00Z");
        // the container used 3 s of CPU while the host reported 2 s: the check divides by whole elapsed seconds
        assertEquals(30.0, StatsConverter.cpuPercent(5e9, 2e9, 12e9, 10e9, 2, preread.plusNanos(10_000_000_700L),
                preread));
        assertTrue(Double.isNaN(StatsConverter.cpuPercent(5e9, 2e9, 12e9, 10e9, 2, preread.plusMillis(900),
                preread)), "under a second: no percent (the check would divide by zero)");
        assertTrue(Double.isNaN(StatsConverter.cpuPercent(5e9, 2e9, 12e9, 10e9, 0, preread.plusSeconds(10),
                preread)), "no online CPUs: no percent");
        assertTrue(Double.isNaN(StatsConverter.cpuPercent(5e9, 2e9, Double.NaN, 10e9, 2, preread.plusSeconds(10),
                preread)), "no system CPU (Windows): no percent");
    }

    @Test
    void roundingIsHalfUpOnTheShortestDecimalLikePython() {
        assertEquals(0.87, StatsConverter.round2(0.8690677911646587));
        assertEquals(0.13, StatsConverter.round2(0.125));
        assertEquals(1.01, StatsConverter.round2(1.005));
        assertEquals(0.8, StatsConverter.round2(0.8046593753148614));
    }
}
