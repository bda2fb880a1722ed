package io.pilotfish.sink.datadog.traces;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.trace.ApmStats;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** StatsPayloads, read back with a strict msgpack reader of the tests ({@link MsgpackReader}). */
class StatsPayloadEncoderTest {

    private static final AgentIdentity AGENT = new AgentIdentity("agent-host", "prod");
    private static final int MAX = DatadogApmStatsConfig.INTAKE_MAX_GROUPS_PER_PAYLOAD;

    private static Map<String, Object> decode(StatsPayloadEncoder.Part part) {
        MsgpackBuffer out = StatsPayloadEncoder.encode(part, AGENT, "0.1.0");
        return MsgpackReader.map(MsgpackReader.read(Arrays.copyOf(out.buffer(), out.position())));
    }

    private static List<StatsPayloadEncoder.Part> parts(List<? extends Signal> batch) {
        return StatsPayloadEncoder.plan(batch, MAX).parts();
    }

    /** Every group of a decoded payload, with the fields of its ClientStatsPayload and bucket. */
    private static List<String> groupsOf(Map<String, Object> payload) {
        List<String> groups = new ArrayList<>();
        for (Object client : MsgpackReader.list(payload.get("Stats"))) {
            Map<String, Object> stats = MsgpackReader.map(client);
            for (Object bucket : MsgpackReader.list(stats.get("Stats"))) {
                Map<String, Object> b = MsgpackReader.map(bucket);
                for (Object group : MsgpackReader.list(b.get("Stats"))) {
                    groups.add(stats.get("RuntimeID") + "@" + b.get("Start") + ":" + MsgpackReader.map(group)
                            .get("Resource"));
                }
            }
        }
        return groups;
    }

    @Test
    void everyKeyAsTheAgentNamesItInPascalCaseWithItsType() {
        ApmStats.Group group = new ApmStats.Group("checkout", "web.request", "GET /checkout", 503, "web", "pg",
                10, 2, 1_234_567_890_123L, new byte[] {1, 2, 3}, new byte[0], true, 9, "server",
                List.of("peer.service:db", "db.instance:orders"), 2, "14", "POST", "/checkout/{id}");
        ApmStats stats = new ApmStats("tracer-host", "staging", "1.4", List.of(new ApmStats.Bucket(
                Traces.START, 10_000_000_000L, List.of(group), -2_000_000_000L)), "java", "1.40.0", "rt-1",
                0xFFFF_FFFF_FFFF_FFF0L, "counts", "checkout", "cid-1", List.of("task_arn:arn-1", "image_tag:v1"),
                "abc123", "v1", false);

        Map<String, Object> payload = decode(parts(List.of(stats)).get(0));

        assertEquals(List.of("AgentHostname", "AgentEnv", "Stats", "AgentVersion", "ClientComputed",
                "SplitPayload"), List.copyOf(payload.keySet()));
        assertEquals("agent-host", payload.get("AgentHostname"));
        assertEquals("prod", payload.get("AgentEnv"));
        assertEquals("0.1.0", payload.get("AgentVersion"));
        assertEquals(false, payload.get("ClientComputed"));
        assertEquals(false, payload.get("SplitPayload"));

        Map<String, Object> client = MsgpackReader.map(MsgpackReader.list(payload.get("Stats")).get(0));
        assertEquals(List.of("Hostname", "Env", "Version", "Stats", "Lang", "TracerVersion", "RuntimeID", "Sequence",
                "AgentAggregation", "Service", "ContainerID", "Tags", "GitCommitSha", "ImageTag"),
                List.copyOf(client.keySet()));
        assertEquals("tracer-host", client.get("Hostname"));
        assertEquals("staging", client.get("Env"));
        assertEquals("1.4", client.get("Version"));
        assertEquals("java", client.get("Lang"));
        assertEquals("1.40.0", client.get("TracerVersion"));
        assertEquals("rt-1", client.get("RuntimeID"));
        assertEquals(new BigInteger("18446744073709551600"), client.get("Sequence"), "a uint64");
        assertEquals("counts", client.get("AgentAggregation"));
        assertEquals("checkout", client.get("Service"));
        assertEquals("cid-1", client.get("ContainerID"));
        assertEquals(List.of("task_arn:arn-1", "image_tag:v1"), client.get("Tags"));
        assertEquals("abc123", client.get("GitCommitSha"));
        assertEquals("v1", client.get("ImageTag"));

        Map<String, Object> bucket = MsgpackReader.map(MsgpackReader.list(client.get("Stats")).get(0));
        assertEquals(List.of("Start", "Duration", "Stats", "AgentTimeShift"), List.copyOf(bucket.keySet()));
        assertEquals(Traces.START, bucket.get("Start"));
        assertEquals(10_000_000_000L, bucket.get("Duration"));
        assertEquals(-2_000_000_000L, bucket.get("AgentTimeShift"), "a signed int64");

        Map<String, Object> decoded = MsgpackReader.map(MsgpackReader.list(bucket.get("Stats")).get(0));
        assertEquals(List.of("Service", "Name", "Resource", "HTTPStatusCode", "Type", "DBType", "Hits", "Errors",
                "Duration", "OkSummary", "ErrorSummary", "Synthetics", "TopLevelHits", "SpanKind", "PeerTags",
                "IsTraceRoot", "GRPCStatusCode", "HTTPMethod", "HTTPEndpoint"), List.copyOf(decoded.keySet()));
        assertEquals("checkout", decoded.get("Service"));
        assertEquals("web.request", decoded.get("Name"));
        assertEquals("GET /checkout", decoded.get("Resource"));
        assertEquals(503L, decoded.get("HTTPStatusCode"));
        assertEquals("web", decoded.get("Type"));
        assertEquals("pg", decoded.get("DBType"));
        assertEquals(10L, decoded.get("Hits"));
        assertEquals(2L, decoded.get("Errors"));
        assertEquals(1_234_567_890_123L, decoded.get("Duration"));
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) decoded.get("OkSummary"), "DDSketch bytes as msgpack bin");
        assertArrayEquals(new byte[0], (byte[]) decoded.get("ErrorSummary"));
        assertEquals(true, decoded.get("Synthetics"));
        assertEquals(9L, decoded.get("TopLevelHits"));
        assertEquals("server", decoded.get("SpanKind"));
        assertEquals(List.of("peer.service:db", "db.instance:orders"), decoded.get("PeerTags"));
        assertEquals(2L, decoded.get("IsTraceRoot"));
        assertEquals("14", decoded.get("GRPCStatusCode"));
        assertEquals("POST", decoded.get("HTTPMethod"));
        assertEquals("/checkout/{id}", decoded.get("HTTPEndpoint"));
    }

    @Test
    void exactlyFourThousandGroupsAreOnePayloadNotSplit() {
        List<StatsPayloadEncoder.Part> parts = parts(List.of(Traces.stats("java", 4000, 3, false)));
        assertEquals(1, parts.size());
        assertFalse(parts.get(0).split());
        assertFalse((Boolean) decode(parts.get(0)).get("SplitPayload"));
        assertEquals(4000, groupsOf(decode(parts.get(0))).size());
    }

    @Test
    void fourThousandAndOneGroupsAreTwoPayloadsBothMarkedSplit() {
        ApmStats stats = Traces.stats("java", 4001, 3, false);
        List<StatsPayloadEncoder.Part> parts = parts(List.of(stats));

        assertEquals(2, parts.size());
        assertEquals(List.of(2000, 2001), parts.stream().map(StatsPayloadEncoder.Part::groups).toList());
        List<String> all = new ArrayList<>();
        for (StatsPayloadEncoder.Part part : parts) {
            Map<String, Object> payload = decode(part);
            assertEquals(true, payload.get("SplitPayload"));
            Map<String, Object> client = MsgpackReader.map(MsgpackReader.list(payload.get("Stats")).get(0));
            assertEquals("rt-java", client.get("RuntimeID"), "every slice keeps the tracer's fields");
            assertEquals(List.of("task_arn:arn-1"), client.get("Tags"));
            assertEquals("abc123", client.get("GitCommitSha"));
            List<String> groups = groupsOf(payload);
            assertTrue(groups.size() <= 4000);
            all.addAll(groups);
        }
        List<String> expected = new ArrayList<>();
        for (ApmStats.Bucket bucket : stats.buckets()) {
            for (ApmStats.Group group : bucket.groups()) {
                expected.add("rt-java@" + bucket.start() + ":" + group.resource());
            }
        }
        assertEquals(expected, all, "every group once, in its own bucket, in order");
    }

    @Test
    void statsArePackedInOrderUpToFourThousandGroupsPerPayload() {
        List<ApmStats> batch = List.of(Traces.stats("java", 1500, 1, false), Traces.stats("go", 1500, 1, false),
                Traces.stats("python", 1500, 1, false), Traces.stats("ruby", 10, 1, false));
        List<StatsPayloadEncoder.Part> parts = parts(batch);

        assertEquals(List.of(3000, 1510), parts.stream().map(StatsPayloadEncoder.Part::groups).toList());
        assertEquals(List.of("go|java", "python|ruby"), parts.stream().map(StatsPayloadEncoder.Part::languages)
                .toList());
        assertTrue(parts.stream().allMatch(StatsPayloadEncoder.Part::split));
    }

    @Test
    void tracerComputedAndAgentComputedStatsGoInSeparatePayloads() {
        List<Signal> batch = List.of(Traces.stats("java", 5, 1, true), Traces.stats("go", 5, 1, false),
                Traces.stats("python", 5, 1, true));
        List<StatsPayloadEncoder.Part> parts = parts(batch);

        assertEquals(2, parts.size());
        Map<String, Object> first = decode(parts.get(0));
        assertEquals(true, first.get("ClientComputed"), "the kind seen first goes first");
        assertEquals(2, MsgpackReader.list(first.get("Stats")).size());
        assertEquals(false, first.get("SplitPayload"), "each kind fits one payload: not split");
        assertEquals(false, decode(parts.get(1)).get("ClientComputed"));
    }

    @Test
    void statsWithoutGroupsAndOtherSignalsAreLeftOut() {
        ApmStats empty = new ApmStats("h", "e", "v", List.of(new ApmStats.Bucket(1, 1, List.of(), 0)), "java", "",
                "", 0, "", "", "", List.of(), "", "", false);
        StatsPayloadEncoder.Plan plan = StatsPayloadEncoder.plan(List.of(empty, Metric.gauge("m", 1, 1,
                TagSet.EMPTY), Traces.stats("go", 2, 1, false)), MAX);

        assertEquals(1, plan.parts().size());
        assertEquals(1, plan.empty());
        assertEquals(1, plan.unsupported());
        assertEquals("go", plan.parts().get(0).languages());
    }

    @Test
    void aSmallerLimitSlicesEvenly() {
        List<StatsPayloadEncoder.Part> parts = StatsPayloadEncoder.plan(List.of(Traces.stats("java", 10, 4, false)),
                3).parts();
        assertEquals(List.of(2, 3, 2, 3), parts.stream().map(StatsPayloadEncoder.Part::groups).toList());
        Set<String> seen = new HashSet<>();
        for (StatsPayloadEncoder.Part part : parts) {
            for (String group : groupsOf(decode(part))) {
                assertTrue(seen.add(group), "sent twice: " + group);
            }
        }
        assertEquals(10, seen.size());
    }
}
