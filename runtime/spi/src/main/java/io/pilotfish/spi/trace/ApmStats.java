package io.pilotfish.spi.trace;

import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import java.util.Collections;
import java.util.List;

/**
 * APM stats of one tracer (or of the agent, for spans whose tracer did not compute them): the trace-agent's
 * {@code ClientStatsPayload}, protobuf field numbers in brackets. Sent to the trace intake's {@code /api/v0.2/stats}.
 *
 * @param hostname         (1)
 * @param env              (2)
 * @param version          the app's version (3)
 * @param buckets          time buckets (4)
 * @param lang             the tracer's language (5)
 * @param tracerVersion    (6)
 * @param runtimeId        (7)
 * @param sequence         the tracer's sequence number of this payload (8)
 * @param agentAggregation (9)
 * @param service          (10)
 * @param containerId      (11)
 * @param tags             container and task tags, {@code key:value} (12)
 * @param gitCommitSha     (13)
 * @param imageTag         (14)
 * @param clientComputed   whether the tracer computed these (sent with {@code ClientComputed=true})
 */
public record ApmStats(String hostname, String env, String version, List<Bucket> buckets, String lang,
                       String tracerVersion, String runtimeId, long sequence, String agentAggregation,
                       String service, String containerId, List<String> tags, String gitCommitSha, String imageTag,
                       boolean clientComputed) implements Signal {

    public ApmStats {
        hostname = orEmpty(hostname);
        env = orEmpty(env);
        version = orEmpty(version);
        buckets = buckets == null || buckets.isEmpty() ? List.of() : Collections.unmodifiableList(buckets);
        lang = orEmpty(lang);
        tracerVersion = orEmpty(tracerVersion);
        runtimeId = orEmpty(runtimeId);
        agentAggregation = orEmpty(agentAggregation);
        service = orEmpty(service);
        containerId = orEmpty(containerId);
        tags = tags == null || tags.isEmpty() ? List.of() : Collections.unmodifiableList(tags);
        gitCommitSha = orEmpty(gitCommitSha);
        imageTag = orEmpty(imageTag);
    }

    @Override
    public SignalKind kind() {
        return SignalKind.APM_STATS;
    }

    @Override
    public int estimatedBytes() {
        long bytes = 160L + hostname.length() + env.length() + version.length() + lang.length()
                + tracerVersion.length() + runtimeId.length() + agentAggregation.length() + service.length()
                + containerId.length() + gitCommitSha.length() + imageTag.length();
        for (String tag : tags) {
            bytes += 40 + tag.length();
        }
        for (Bucket bucket : buckets) {
            bytes += bucket.estimatedBytes();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** The number of grouped entries, which the intake limits per payload (the Agent splits at 4,000). */
    public int groupCount() {
        int groups = 0;
        for (Bucket bucket : buckets) {
            groups += bucket.groups().size();
        }
        return groups;
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    /**
     * One time bucket ({@code ClientStatsBucket}).
     *
     * @param start          nanoseconds since the epoch (1)
     * @param duration       nanoseconds, 10 s for the agent's buckets (2)
     * @param groups         (3)
     * @param agentTimeShift nanoseconds the agent shifted the bucket by (4)
     */
    public record Bucket(long start, long duration, List<Group> groups, long agentTimeShift) {

        public Bucket {
            groups = groups == null || groups.isEmpty() ? List.of() : Collections.unmodifiableList(groups);
        }

        int estimatedBytes() {
            long bytes = 48;
            for (Group group : groups) {
                bytes += group.estimatedBytes();
            }
            return (int) Math.min(Integer.MAX_VALUE, bytes);
        }
    }

    /**
     * The figures of one group of spans ({@code ClientGroupedStats}): the grouping fields, then the counts and the
     * latency sketches.
     *
     * @param service        (1)
     * @param name           (2)
     * @param resource       (3)
     * @param httpStatusCode (4)
     * @param type           (5)
     * @param dbType         (6)
     * @param hits           (7)
     * @param errors         (8)
     * @param duration       total nanoseconds (9)
     * @param okSummary      DDSketch of the ok spans' durations, protobuf bytes (10)
     * @param errorSummary   DDSketch of the error spans' durations, protobuf bytes (11)
     * @param synthetics     (12)
     * @param topLevelHits   (13)
     * @param spanKind       (15)
     * @param peerTags       {@code key:value} (16)
     * @param isTraceRoot    0 not set, 1 true, 2 false (17)
     * @param grpcStatusCode (18)
     * @param httpMethod     (19)
     * @param httpEndpoint   (20)
     */
    public record Group(String service, String name, String resource, int httpStatusCode, String type, String dbType,
                        long hits, long errors, long duration, byte[] okSummary, byte[] errorSummary,
                        boolean synthetics, long topLevelHits, String spanKind, List<String> peerTags,
                        int isTraceRoot, String grpcStatusCode, String httpMethod, String httpEndpoint) {

        public Group {
            service = orEmpty(service);
            name = orEmpty(name);
            resource = orEmpty(resource);
            type = orEmpty(type);
            dbType = orEmpty(dbType);
            okSummary = okSummary == null ? new byte[0] : okSummary;
            errorSummary = errorSummary == null ? new byte[0] : errorSummary;
            spanKind = orEmpty(spanKind);
            peerTags = peerTags == null || peerTags.isEmpty() ? List.of() : Collections.unmodifiableList(peerTags);
            grpcStatusCode = orEmpty(grpcStatusCode);
            httpMethod = orEmpty(httpMethod);
            httpEndpoint = orEmpty(httpEndpoint);
        }

        int estimatedBytes() {
            long bytes = 160L + service.length() + name.length() + resource.length() + type.length()
                    + dbType.length() + okSummary.length + errorSummary.length + spanKind.length()
                    + grpcStatusCode.length() + httpMethod.length() + httpEndpoint.length();
            for (String tag : peerTags) {
                bytes += 40 + tag.length();
            }
            return (int) Math.min(Integer.MAX_VALUE, bytes);
        }
    }
}
