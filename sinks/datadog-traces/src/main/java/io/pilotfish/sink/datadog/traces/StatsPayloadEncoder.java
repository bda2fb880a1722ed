package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.trace.ApmStats;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Turns a batch of {@link ApmStats} into the trace intake's msgpack {@code StatsPayload}s (datadog-agent
 * {@code pkg/proto/datadog/trace/stats.proto}; msgpack keys are the Go field names):
 *
 * <pre>
 * StatsPayload       { AgentHostname, AgentEnv, Stats: [ClientStatsPayload], AgentVersion, ClientComputed,
 *                      SplitPayload }
 * ClientStatsPayload { Hostname, Env, Version, Stats: [ClientStatsBucket], Lang, TracerVersion, RuntimeID,
 *                      Sequence, AgentAggregation, Service, ContainerID, Tags: [str], GitCommitSha, ImageTag }
 * ClientStatsBucket  { Start, Duration, Stats: [ClientGroupedStats], AgentTimeShift }
 * ClientGroupedStats { Service, Name, Resource, HTTPStatusCode, Type, DBType, Hits, Errors, Duration, OkSummary (bin),
 *                      ErrorSummary (bin), Synthetics, TopLevelHits, SpanKind, PeerTags: [str], IsTraceRoot,
 *                      GRPCStatusCode, HTTPMethod, HTTPEndpoint }
 * </pre>
 *
 * Stats the tracers computed and stats the agent computed go in separate payloads ({@code ClientComputed} is a
 * payload's). Each payload holds at most {@code maxGroups} grouped entries: stats with more are sliced (every slice
 * keeps all of its stats' fields and only the buckets its groups belong to), then stats and slices are packed in
 * order. When one kind's stats take more than one payload, each of those has {@code SplitPayload} set, which tells the
 * backend to aggregate them again. The same batch always gives the same parts, so a retry can skip those delivered.
 */
final class StatsPayloadEncoder {

    /** The stats of one tracer, or a slice of them holding part of their groups. */
    record Unit(ApmStats stats, List<ApmStats.Bucket> buckets, int groups) {
    }

    /**
     * One {@code StatsPayload}, one request.
     *
     * @param languages the tracers' languages, sorted and {@code |}-joined
     */
    record Part(boolean clientComputed, boolean split, List<Unit> units, int groups, String languages) {
    }

    /**
     * @param unsupported signals that are not APM stats
     * @param empty       stats without any group: nothing to send
     */
    record Plan(List<Part> parts, int unsupported, int empty) {
    }

    private StatsPayloadEncoder() {
    }

    static Plan plan(List<? extends Signal> batch, int maxGroups) {
        List<ApmStats> agentComputed = new ArrayList<>();
        List<ApmStats> clientComputed = new ArrayList<>();
        Boolean firstKind = null;
        int unsupported = 0;
        int empty = 0;
        for (Signal signal : batch) {
            if (!(signal instanceof ApmStats stats)) {
                unsupported++;
            } else if (stats.groupCount() == 0) {
                empty++;
            } else {
                (stats.clientComputed() ? clientComputed : agentComputed).add(stats);
                if (firstKind == null) {
                    firstKind = stats.clientComputed();
                }
            }
        }
        List<Part> parts = new ArrayList<>();
        if (Boolean.TRUE.equals(firstKind)) {
            pack(clientComputed, true, maxGroups, parts);
            pack(agentComputed, false, maxGroups, parts);
        } else {
            pack(agentComputed, false, maxGroups, parts);
            pack(clientComputed, true, maxGroups, parts);
        }
        return new Plan(parts, unsupported, empty);
    }

    private static void pack(List<ApmStats> all, boolean clientComputed, int maxGroups, List<Part> parts) {
        if (all.isEmpty()) {
            return;
        }
        List<Unit> units = new ArrayList<>();
        for (ApmStats stats : all) {
            int groups = stats.groupCount();
            if (groups <= maxGroups) {
                units.add(new Unit(stats, stats.buckets(), groups));
            } else {
                int slices = (groups + maxGroups - 1) / maxGroups;
                for (int i = 0; i < slices; i++) {
                    // Even slices: none over maxGroups, none much smaller than the others.
                    units.add(slice(stats, (int) ((long) groups * i / slices),
                            (int) ((long) groups * (i + 1) / slices)));
                }
            }
        }
        List<List<Unit>> packed = new ArrayList<>();
        List<Unit> current = new ArrayList<>();
        int currentGroups = 0;
        for (Unit unit : units) {
            if (currentGroups + unit.groups() > maxGroups && !current.isEmpty()) {
                packed.add(current);
                current = new ArrayList<>();
                currentGroups = 0;
            }
            current.add(unit);
            currentGroups += unit.groups();
        }
        packed.add(current);
        boolean split = packed.size() > 1;
        for (List<Unit> payload : packed) {
            SortedSet<String> languages = new TreeSet<>();
            int groups = 0;
            for (Unit unit : payload) {
                groups += unit.groups();
                if (!unit.stats().lang().isEmpty()) {
                    languages.add(unit.stats().lang());
                }
            }
            parts.add(new Part(clientComputed, split, List.copyOf(payload), groups, String.join("|", languages)));
        }
    }

    /** The groups {@code [from, to)} of the stats, counted across buckets in order, in the buckets they were in. */
    private static Unit slice(ApmStats stats, int from, int to) {
        List<ApmStats.Bucket> buckets = new ArrayList<>();
        int index = 0;
        for (ApmStats.Bucket bucket : stats.buckets()) {
            int size = bucket.groups().size();
            int start = Math.max(from, index);
            int end = Math.min(to, index + size);
            if (start < end) {
                buckets.add(new ApmStats.Bucket(bucket.start(), bucket.duration(),
                        bucket.groups().subList(start - index, end - index), bucket.agentTimeShift()));
            }
            index += size;
        }
        return new Unit(stats, buckets, to - from);
    }

    /** The msgpack {@code StatsPayload} of one part. */
    static MsgpackBuffer encode(Part part, AgentIdentity agent, String agentVersion) {
        MsgpackBuffer out = new MsgpackBuffer(1024 + part.groups() * 256);
        out.mapHeader(6);
        out.string("AgentHostname");
        out.string(agent.hostname());
        out.string("AgentEnv");
        out.string(agent.env());
        out.string("Stats");
        out.arrayHeader(part.units().size());
        for (Unit unit : part.units()) {
            writeClientStats(out, unit);
        }
        out.string("AgentVersion");
        out.string(agentVersion);
        out.string("ClientComputed");
        out.bool(part.clientComputed());
        out.string("SplitPayload");
        out.bool(part.split());
        return out;
    }

    private static void writeClientStats(MsgpackBuffer out, Unit unit) {
        ApmStats stats = unit.stats();
        out.mapHeader(14);
        out.string("Hostname");
        out.string(stats.hostname());
        out.string("Env");
        out.string(stats.env());
        out.string("Version");
        out.string(stats.version());
        out.string("Stats");
        out.arrayHeader(unit.buckets().size());
        for (ApmStats.Bucket bucket : unit.buckets()) {
            writeBucket(out, bucket);
        }
        out.string("Lang");
        out.string(stats.lang());
        out.string("TracerVersion");
        out.string(stats.tracerVersion());
        out.string("RuntimeID");
        out.string(stats.runtimeId());
        out.string("Sequence");
        out.unsigned(stats.sequence());
        out.string("AgentAggregation");
        out.string(stats.agentAggregation());
        out.string("Service");
        out.string(stats.service());
        out.string("ContainerID");
        out.string(stats.containerId());
        out.string("Tags");
        writeStrings(out, stats.tags());
        out.string("GitCommitSha");
        out.string(stats.gitCommitSha());
        out.string("ImageTag");
        out.string(stats.imageTag());
    }

    private static void writeBucket(MsgpackBuffer out, ApmStats.Bucket bucket) {
        out.mapHeader(4);
        out.string("Start");
        out.unsigned(bucket.start());
        out.string("Duration");
        out.unsigned(bucket.duration());
        out.string("Stats");
        out.arrayHeader(bucket.groups().size());
        for (ApmStats.Group group : bucket.groups()) {
            writeGroup(out, group);
        }
        out.string("AgentTimeShift");
        out.signed(bucket.agentTimeShift());
    }

    private static void writeGroup(MsgpackBuffer out, ApmStats.Group group) {
        out.mapHeader(19);
        out.string("Service");
        out.string(group.service());
        out.string("Name");
        out.string(group.name());
        out.string("Resource");
        out.string(group.resource());
        out.string("HTTPStatusCode");
        out.unsigned(Integer.toUnsignedLong(group.httpStatusCode()));
        out.string("Type");
        out.string(group.type());
        out.string("DBType");
        out.string(group.dbType());
        out.string("Hits");
        out.unsigned(group.hits());
        out.string("Errors");
        out.unsigned(group.errors());
        out.string("Duration");
        out.unsigned(group.duration());
        out.string("OkSummary");
        out.binary(group.okSummary());
        out.string("ErrorSummary");
        out.binary(group.errorSummary());
        out.string("Synthetics");
        out.bool(group.synthetics());
        out.string("TopLevelHits");
        out.unsigned(group.topLevelHits());
        out.string("SpanKind");
        out.string(group.spanKind());
        out.string("PeerTags");
        writeStrings(out, group.peerTags());
        out.string("IsTraceRoot");
        out.signed(group.isTraceRoot());
        out.string("GRPCStatusCode");
        out.string(group.grpcStatusCode());
        out.string("HTTPMethod");
        out.string(group.httpMethod());
        out.string("HTTPEndpoint");
        out.string(group.httpEndpoint());
    }

    private static void writeStrings(MsgpackBuffer out, List<String> values) {
        out.arrayHeader(values.size());
        for (String value : values) {
            out.string(value == null ? "" : value);
        }
    }
}
