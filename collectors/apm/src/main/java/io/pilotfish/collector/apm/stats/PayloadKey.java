package io.pilotfish.collector.apm.stats;

/**
 * What the stats of one {@code ClientStatsPayload} share (the Agent's {@code PayloadAggregationKey}): buckets are
 * sent as one payload per distinct key.
 */
record PayloadKey(String env, String hostname, String version, String containerId, String gitCommitSha,
                  String imageTag, String lang, String baseService) {

    long heapBytes() {
        return HeapBudget.GROUP / 2 + HeapBudget.stringBytes(env) + HeapBudget.stringBytes(hostname)
                + HeapBudget.stringBytes(version) + HeapBudget.stringBytes(containerId)
                + HeapBudget.stringBytes(gitCommitSha) + HeapBudget.stringBytes(imageTag)
                + HeapBudget.stringBytes(lang) + HeapBudget.stringBytes(baseService);
    }
}
