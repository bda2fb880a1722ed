package io.pilotfish.collector.apm.stats;

import io.pilotfish.collector.apm.normalize.TraceStrings;
import io.pilotfish.spi.trace.ApmStats;
import java.util.ArrayList;
import java.util.List;

/**
 * What the trace-agent does to a tracer's {@code /v0.6/stats} payload before aggregating it ({@code processStats} and
 * the aggregator's container lookup), except obfuscating SQL and Redis resources, dropping ignored resources and
 * applying {@code DD_APM_REPLACE_TAGS}, which belong to those features' owners.
 */
public final class ClientStats {

    private static final String GIT_COMMIT_SHA = "git.commit.sha:";
    private static final String IMAGE_TAG = "image_tag:";
    private static final String VERSION = "version:";

    private ClientStats() {
    }

    /**
     * The payload as the aggregator takes it:
     * <ul>
     *   <li>the container id the request came with (header, entity id or socket credentials), or none when the
     *       container dimension is off; that container's tags, when known, as its tags (else the tracer's);</li>
     *   <li>the agent's env when it has none, normalised as a tag value;</li>
     *   <li>the language and tracer version of the request's headers when it has none;</li>
     *   <li>its git commit, image tag and version from the container's tags when it has none;</li>
     *   <li>each group's name and service normalised as the Agent normalises spans', its resource the name when
     *       empty.</li>
     * </ul>
     *
     * @param lang                 {@code Datadog-Meta-Lang}
     * @param tracerVersion        {@code Datadog-Meta-Tracer-Version}
     * @param containerId          the request's container, or ""
     * @param containerTags        that container's tags ({@code key:value}), or empty when unknown
     * @param defaultEnv           the agent's env
     * @param containerIdDimension false to group without the container (the Agent's {@code disable_cid_stats})
     */
    public static ApmStats prepare(ApmStats in, String lang, String tracerVersion, String containerId,
                                   List<String> containerTags, String defaultEnv, boolean containerIdDimension) {
        lang = lang == null ? "" : lang;
        containerTags = containerTags == null ? List.of() : containerTags;
        String cid = containerIdDimension && containerId != null ? containerId : "";
        List<String> tags = !containerIdDimension ? List.of()
                : cid.isEmpty() || containerTags.isEmpty() ? in.tags() : containerTags;
        String env = TraceStrings.normalizeTagValue(in.env().isEmpty() ? defaultEnv : in.env());
        String gitCommitSha = in.gitCommitSha();
        String imageTag = in.imageTag();
        String version = in.version();
        if (!cid.isEmpty()) {
            gitCommitSha = gitCommitSha.isEmpty() ? tagValue(containerTags, GIT_COMMIT_SHA) : gitCommitSha;
            imageTag = imageTag.isEmpty() ? tagValue(containerTags, IMAGE_TAG) : imageTag;
            version = version.isEmpty() ? tagValue(containerTags, VERSION) : version;
        }
        List<ApmStats.Bucket> buckets = new ArrayList<>(in.buckets().size());
        for (ApmStats.Bucket bucket : in.buckets()) {
            List<ApmStats.Group> groups = new ArrayList<>(bucket.groups().size());
            for (ApmStats.Group g : bucket.groups()) {
                String name = TraceStrings.normalizeName(g.name());
                String service = TraceStrings.normalizeService(g.service(), lang);
                String resource = g.resource().isEmpty() ? name : g.resource();
                groups.add(new ApmStats.Group(service, name, resource, g.httpStatusCode(), g.type(), g.dbType(),
                        g.hits(), g.errors(), g.duration(), g.okSummary(), g.errorSummary(), g.synthetics(),
                        g.topLevelHits(), g.spanKind(), g.peerTags(), g.isTraceRoot(), g.grpcStatusCode(),
                        g.httpMethod(), g.httpEndpoint()));
            }
            buckets.add(new ApmStats.Bucket(bucket.start(), bucket.duration(), groups, bucket.agentTimeShift()));
        }
        return new ApmStats(in.hostname(), env, version, buckets, in.lang().isEmpty() ? lang : in.lang(),
                in.tracerVersion().isEmpty() && tracerVersion != null ? tracerVersion : in.tracerVersion(),
                in.runtimeId(), in.sequence(), in.agentAggregation(), in.service(), cid, tags, gitCommitSha, imageTag,
                true);
    }

    /** The value of the first {@code prefix...} tag with one, or "". */
    static String tagValue(List<String> tags, String prefix) {
        for (String tag : tags) {
            if (tag.length() > prefix.length() && tag.startsWith(prefix)) {
                return tag.substring(prefix.length());
            }
        }
        return "";
    }
}
