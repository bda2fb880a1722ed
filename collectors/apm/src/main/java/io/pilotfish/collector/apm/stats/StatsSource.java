package io.pilotfish.collector.apm.stats;

import java.util.List;

/**
 * Where the spans given to the concentrator come from: the fields of their tracer payload that the Agent groups stats
 * by (its {@code ProcessedTrace} and stats input). Empty strings where unknown; the concentrator puts its own env and
 * hostname where the payload has none.
 *
 * @param env           the payload's env, or the root span's {@code env} tag when the payload had none
 * @param hostname      the payload's hostname ({@code _dd.hostname} of older tracers)
 * @param version       the app version: the payload's, or the trace's {@code version} tag
 * @param lang          the tracer's language ({@code Datadog-Meta-Lang})
 * @param containerId   the tracer's container
 * @param containerTags the container's tags, {@code key:value}, sent with its stats
 * @param gitCommitSha  {@code _dd.git.commit.sha} of the trace, else the container's {@code git.commit.sha} tag
 * @param imageTag      the container's {@code image_tag} tag
 */
public record StatsSource(String env, String hostname, String version, String lang, String containerId,
                          List<String> containerTags, String gitCommitSha, String imageTag) {

    public StatsSource {
        env = orEmpty(env);
        hostname = orEmpty(hostname);
        version = orEmpty(version);
        lang = orEmpty(lang);
        containerId = orEmpty(containerId);
        containerTags = containerTags == null ? List.of() : List.copyOf(containerTags);
        gitCommitSha = orEmpty(gitCommitSha);
        imageTag = orEmpty(imageTag);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
