package io.pilotfish.spi.trace;

import java.util.Collections;
import java.util.Map;

/**
 * What one tracer payload says about where its traces come from ({@code pb.TracerPayload} without its chunks),
 * shared by every {@link TraceChunk} of the payload so that a sink can put them back together.
 *
 * @param containerId     the tracer's container (1), from {@code Datadog-Container-ID} or the payload
 * @param languageName    {@code Datadog-Meta-Lang} (2)
 * @param languageVersion {@code Datadog-Meta-Lang-Version} (3)
 * @param tracerVersion   {@code Datadog-Meta-Tracer-Version} (4)
 * @param runtimeId       (5)
 * @param tags            payload tags (7), e.g. {@code _dd.tags.container}
 * @param env             (8)
 * @param hostname        (9)
 * @param appVersion      (10)
 */
public record TracerInfo(String containerId, String languageName, String languageVersion, String tracerVersion,
                         String runtimeId, Map<String, String> tags, String env, String hostname,
                         String appVersion) {

    public TracerInfo {
        containerId = containerId == null ? "" : containerId;
        languageName = languageName == null ? "" : languageName;
        languageVersion = languageVersion == null ? "" : languageVersion;
        tracerVersion = tracerVersion == null ? "" : tracerVersion;
        runtimeId = runtimeId == null ? "" : runtimeId;
        tags = tags == null || tags.isEmpty() ? Map.of() : Collections.unmodifiableMap(tags);
        env = env == null ? "" : env;
        hostname = hostname == null ? "" : hostname;
        appVersion = appVersion == null ? "" : appVersion;
    }

    int estimatedBytes() {
        long bytes = 96 + containerId.length() + languageName.length() + languageVersion.length()
                + tracerVersion.length() + runtimeId.length() + env.length() + hostname.length()
                + appVersion.length();
        for (Map.Entry<String, String> e : tags.entrySet()) {
            bytes += 48 + e.getKey().length() + e.getValue().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }
}
