package io.pilotfish.collector.apm.stats;

import java.util.List;

/**
 * The dimensions spans are grouped by within a bucket and payload (the Agent's {@code BucketsAggregationKey}).
 * Peer tags are compared as their sorted list, where the Agent compares a hash of it.
 *
 * @param httpStatusCode the bits of a uint32
 * @param isTraceRoot    1 for a span without parent, 2 otherwise, 0 when unknown (a tracer's group)
 */
record GroupKey(String service, String name, String resource, String type, String spanKind, int httpStatusCode,
                boolean synthetics, List<String> peerTags, int isTraceRoot, String grpcStatusCode, String httpMethod,
                String httpEndpoint) {

    static final int TRACE_ROOT_TRUE = 1;
    static final int TRACE_ROOT_FALSE = 2;

    long heapBytes() {
        long bytes = HeapBudget.GROUP + HeapBudget.stringBytes(service) + HeapBudget.stringBytes(name)
                + HeapBudget.stringBytes(resource) + HeapBudget.stringBytes(type) + HeapBudget.stringBytes(spanKind)
                + HeapBudget.stringBytes(grpcStatusCode) + HeapBudget.stringBytes(httpMethod)
                + HeapBudget.stringBytes(httpEndpoint);
        for (String tag : peerTags) {
            bytes += HeapBudget.REFERENCE + HeapBudget.stringBytes(tag);
        }
        return bytes;
    }
}
