package io.pilotfish.collector.apm.stats;

import io.pilotfish.collector.apm.decode.MsgpackReader;
import io.pilotfish.collector.apm.decode.TraceDecodeException;
import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.ApmStats;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the body of a {@code /v0.6/stats} request: a msgpack {@code ClientStatsPayload} with the Go field names as
 * keys ({@code Hostname}, {@code Stats}, {@code HTTPStatusCode}, ...; DA {@code pkg/proto/pbgo/trace/stats_gen.go}).
 * Unknown keys, and the fields {@link ApmStats} has no place for ({@code ProcessTagsHash}, {@code ProcessTags},
 * {@code srv_src}, {@code SpanDerivedPrimaryTags}, {@code AdditionalMetricTags}), are skipped; {@code nil} buckets and
 * groups are dropped, as the agent skips them.
 *
 * <p>Hostile input gives a {@link TraceDecodeException}, never another exception: lengths are checked against the
 * bytes that remain before anything is made ({@link MsgpackReader}), arrays, maps and sketches over the agent's msgp
 * limits (500,000) are refused as it refuses them, and the heap the decoded payload would take is charged to a
 * budget, so that a body of one-byte empty groups cannot become gigabytes of objects. Thread-safe (stateless).
 */
public final class ClientStatsDecoder {

    /** The agent's msgp limit on arrays, maps and byte strings in stats payloads. */
    static final int MAX_ELEMENTS = 500_000;

    private static final byte[][] PAYLOAD_KEYS = keys("Hostname", "Env", "Version", "Stats", "Lang", "TracerVersion",
            "RuntimeID", "Sequence", "AgentAggregation", "Service", "ContainerID", "Tags", "GitCommitSha", "ImageTag");
    private static final byte[][] BUCKET_KEYS = keys("Start", "Duration", "Stats", "AgentTimeShift");
    private static final byte[][] GROUP_KEYS = keys("Service", "Name", "Resource", "HTTPStatusCode", "Type", "DBType",
            "Hits", "Errors", "Duration", "OkSummary", "ErrorSummary", "Synthetics", "TopLevelHits", "SpanKind",
            "PeerTags", "IsTraceRoot", "GRPCStatusCode", "HTTPMethod", "HTTPEndpoint");

    /** Estimated heap of the decoded objects, without their strings. */
    private static final int PAYLOAD_BYTES = 160;
    private static final int BUCKET_BYTES = 64;
    private static final int GROUP_BYTES = 160;
    /** Lists presized from a header stay small whatever it claims: they grow with what is really read. */
    private static final int MAX_PRESIZE = 1024;

    private final long maxDecodedBytes;

    /**
     * @param maxDecodedBytes the estimated heap one decoded payload may take; over it the body is refused as
     *                        {@link Reason#TOO_LARGE}
     */
    public ClientStatsDecoder(long maxDecodedBytes) {
        if (maxDecodedBytes < 1) {
            throw new IllegalArgumentException("maxDecodedBytes must be positive, got " + maxDecodedBytes);
        }
        this.maxDecodedBytes = maxDecodedBytes;
    }

    /** The payload in {@code body[offset, offset + length)}; bytes after it are ignored. */
    public ApmStats decode(byte[] body, int offset, int length) throws TraceDecodeException {
        Budget budget = new Budget(maxDecodedBytes);
        MsgpackReader r = new MsgpackReader(body, offset, length);
        budget.charge(PAYLOAD_BYTES);
        String hostname = "";
        String env = "";
        String version = "";
        List<ApmStats.Bucket> buckets = List.of();
        String lang = "";
        String tracerVersion = "";
        String runtimeId = "";
        long sequence = 0;
        String agentAggregation = "";
        String service = "";
        String containerId = "";
        List<String> tags = List.of();
        String gitCommitSha = "";
        String imageTag = "";
        int fields = mapHeader(r);
        for (int f = 0; f < fields; f++) {
            switch (r.readKey(PAYLOAD_KEYS)) {
                case 0 -> hostname = string(r, budget);
                case 1 -> env = string(r, budget);
                case 2 -> version = string(r, budget);
                case 3 -> buckets = buckets(r, budget);
                case 4 -> lang = string(r, budget);
                case 5 -> tracerVersion = string(r, budget);
                case 6 -> runtimeId = string(r, budget);
                case 7 -> sequence = r.readUint64();
                case 8 -> agentAggregation = string(r, budget);
                case 9 -> service = string(r, budget);
                case 10 -> containerId = string(r, budget);
                case 11 -> tags = strings(r, budget);
                case 12 -> gitCommitSha = string(r, budget);
                case 13 -> imageTag = string(r, budget);
                default -> r.skipValue();
            }
        }
        return new ApmStats(hostname, env, version, buckets, lang, tracerVersion, runtimeId, sequence,
                agentAggregation, service, containerId, tags, gitCommitSha, imageTag, true);
    }

    private static List<ApmStats.Bucket> buckets(MsgpackReader r, Budget budget) throws TraceDecodeException {
        int n = r.tryReadNil() ? 0 : arrayHeader(r);
        List<ApmStats.Bucket> buckets = new ArrayList<>(Math.min(n, MAX_PRESIZE));
        for (int i = 0; i < n; i++) {
            if (r.tryReadNil()) {
                continue;
            }
            budget.charge(BUCKET_BYTES);
            long start = 0;
            long duration = 0;
            List<ApmStats.Group> groups = List.of();
            long agentTimeShift = 0;
            int fields = mapHeader(r);
            for (int f = 0; f < fields; f++) {
                switch (r.readKey(BUCKET_KEYS)) {
                    case 0 -> start = r.readUint64();
                    case 1 -> duration = r.readUint64();
                    case 2 -> groups = groups(r, budget);
                    case 3 -> agentTimeShift = r.readInt64();
                    default -> r.skipValue();
                }
            }
            buckets.add(new ApmStats.Bucket(start, duration, groups, agentTimeShift));
        }
        return buckets;
    }

    private static List<ApmStats.Group> groups(MsgpackReader r, Budget budget) throws TraceDecodeException {
        int n = r.tryReadNil() ? 0 : arrayHeader(r);
        List<ApmStats.Group> groups = new ArrayList<>(Math.min(n, MAX_PRESIZE));
        for (int i = 0; i < n; i++) {
            if (r.tryReadNil()) {
                continue;
            }
            budget.charge(GROUP_BYTES);
            String service = "";
            String name = "";
            String resource = "";
            int httpStatusCode = 0;
            String type = "";
            String dbType = "";
            long hits = 0;
            long errors = 0;
            long duration = 0;
            byte[] okSummary = null;
            byte[] errorSummary = null;
            boolean synthetics = false;
            long topLevelHits = 0;
            String spanKind = "";
            List<String> peerTags = List.of();
            int isTraceRoot = 0;
            String grpcStatusCode = "";
            String httpMethod = "";
            String httpEndpoint = "";
            int fields = mapHeader(r);
            for (int f = 0; f < fields; f++) {
                switch (r.readKey(GROUP_KEYS)) {
                    case 0 -> service = string(r, budget);
                    case 1 -> name = string(r, budget);
                    case 2 -> resource = string(r, budget);
                    case 3 -> httpStatusCode = r.readUint32();
                    case 4 -> type = string(r, budget);
                    case 5 -> dbType = string(r, budget);
                    case 6 -> hits = r.readUint64();
                    case 7 -> errors = r.readUint64();
                    case 8 -> duration = r.readUint64();
                    case 9 -> okSummary = summary(r, budget);
                    case 10 -> errorSummary = summary(r, budget);
                    case 11 -> synthetics = r.readBoolean();
                    case 12 -> topLevelHits = r.readUint64();
                    case 13 -> spanKind = string(r, budget);
                    case 14 -> peerTags = strings(r, budget);
                    case 15 -> isTraceRoot = r.readInt32();
                    case 16 -> grpcStatusCode = string(r, budget);
                    case 17 -> httpMethod = string(r, budget);
                    case 18 -> httpEndpoint = string(r, budget);
                    default -> r.skipValue();
                }
            }
            groups.add(new ApmStats.Group(service, name, resource, httpStatusCode, type, dbType, hits, errors, duration,
                    okSummary, errorSummary, synthetics, topLevelHits, spanKind, peerTags, isTraceRoot,
                    grpcStatusCode, httpMethod, httpEndpoint));
        }
        return groups;
    }

    private static String string(MsgpackReader r, Budget budget) throws TraceDecodeException {
        String s = r.readString();
        if (!s.isEmpty()) {
            budget.charge(HeapBudget.stringBytes(s));
        }
        return s;
    }

    private static List<String> strings(MsgpackReader r, Budget budget) throws TraceDecodeException {
        int n = r.tryReadNil() ? 0 : arrayHeader(r);
        if (n == 0) {
            return List.of();
        }
        List<String> out = new ArrayList<>(Math.min(n, MAX_PRESIZE));
        for (int i = 0; i < n; i++) {
            budget.charge(HeapBudget.REFERENCE);
            out.add(string(r, budget));
        }
        return out;
    }

    private static byte[] summary(MsgpackReader r, Budget budget) throws TraceDecodeException {
        int at = r.position();
        byte[] bytes = r.readBinary();
        if (bytes.length > MAX_ELEMENTS) {
            throw new TraceDecodeException(Reason.TOO_LONG, "sketch of " + bytes.length + " bytes at byte " + at
                    + " is over the limit of " + MAX_ELEMENTS);
        }
        budget.charge(HeapBudget.BYTES + (long) bytes.length);
        return bytes;
    }

    private static int arrayHeader(MsgpackReader r) throws TraceDecodeException {
        int at = r.position();
        int n = r.readArrayHeader();
        return checkLimit(n, at, "array");
    }

    private static int mapHeader(MsgpackReader r) throws TraceDecodeException {
        int at = r.position();
        int n = r.readMapHeader();
        return checkLimit(n, at, "map");
    }

    private static int checkLimit(int n, int at, String what) throws TraceDecodeException {
        if (n > MAX_ELEMENTS) {
            throw new TraceDecodeException(Reason.TOO_LONG, what + " of " + n + " elements at byte " + at
                    + " is over the limit of " + MAX_ELEMENTS);
        }
        return n;
    }

    private static byte[][] keys(String... names) {
        byte[][] out = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    /** The heap the decoded payload takes so far, estimated, against its limit. */
    private static final class Budget {
        private final long limit;
        private long used;

        Budget(long limit) {
            this.limit = limit;
        }

        void charge(long bytes) throws TraceDecodeException {
            used += bytes;
            if (used > limit) {
                throw new TraceDecodeException(Reason.TOO_LARGE, "decoded stats payload would take over " + limit
                        + " bytes of heap");
            }
        }
    }
}
