package io.pilotfish.collector.apm.normalize;

import io.pilotfish.spi.trace.Span;
import java.util.HashMap;
import java.util.Map;

/**
 * The trace-agent's length limits on what normalisation leaves alone ({@code agent/truncator.go}): the resource, meta
 * keys and values, metric keys. Runs after obfuscation, as in the Agent, since obfuscation usually shortens them.
 * A cut key or value ends in {@code ...}; structured meta tags ({@code _dd.*.json}, {@code .msgpack},
 * {@code .protobuf}) are never cut. Limits are in UTF-8 bytes. Nothing is counted: the Agent only logs these.
 * Immutable and thread-safe.
 */
public final class SpanTruncator {

    /** The Agent's resource limit. */
    public static final int DEFAULT_MAX_RESOURCE_BYTES = 5000;
    /** The Agent's resource limit with its {@code big_resource} feature. */
    public static final int BIG_MAX_RESOURCE_BYTES = 15_000;
    /** Meta and metric keys longer than this are cut. */
    public static final int MAX_KEY_BYTES = 200;
    /** Meta values longer than this are cut. */
    public static final int MAX_META_VALUE_BYTES = 25_000;

    private static final String ELLIPSIS = "...";

    private final int maxResourceBytes;

    /** With the Agent's default resource limit. */
    public SpanTruncator() {
        this(DEFAULT_MAX_RESOURCE_BYTES);
    }

    /** @param maxResourceBytes the resource limit, positive */
    public SpanTruncator(int maxResourceBytes) {
        if (maxResourceBytes <= 0) {
            throw new IllegalArgumentException("the resource limit must be positive, got " + maxResourceBytes);
        }
        this.maxResourceBytes = maxResourceBytes;
    }

    public int maxResourceBytes() {
        return maxResourceBytes;
    }

    /** The span within the limits; {@code span} itself when it already is (its maps are then not copied). */
    public Span truncate(Span span) {
        String resource = TraceStrings.truncateUtf8(span.resource(), maxResourceBytes);
        Map<String, String> meta = truncateMeta(span.meta());
        Map<String, Double> metrics = truncateMetricKeys(span.metrics());
        if (resource == span.resource() && meta == span.meta() && metrics == span.metrics()) {
            return span;
        }
        return new Span(span.service(), span.name(), resource, span.traceId(), span.spanId(), span.parentId(),
                span.start(), span.duration(), span.error(), meta, metrics, span.type(), span.metaStruct(),
                span.links(), span.events());
    }

    private static Map<String, String> truncateMeta(Map<String, String> meta) {
        HashMap<String, String> copy = null;
        for (Map.Entry<String, String> e : meta.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (isStructuredMetaKey(key)) {
                continue;
            }
            boolean longKey = TraceStrings.exceedsUtf8(key, MAX_KEY_BYTES);
            boolean longValue = TraceStrings.exceedsUtf8(value, MAX_META_VALUE_BYTES);
            if (!longKey && !longValue) {
                continue;
            }
            if (copy == null) {
                copy = new HashMap<>(meta);
            }
            if (longKey) {
                copy.remove(key);
                key = TraceStrings.truncateUtf8(key, MAX_KEY_BYTES) + ELLIPSIS;
            }
            if (longValue) {
                value = TraceStrings.truncateUtf8(value, MAX_META_VALUE_BYTES) + ELLIPSIS;
            }
            copy.put(key, value);
        }
        return copy == null ? meta : copy;
    }

    private static Map<String, Double> truncateMetricKeys(Map<String, Double> metrics) {
        HashMap<String, Double> copy = null;
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            String key = e.getKey();
            if (!TraceStrings.exceedsUtf8(key, MAX_KEY_BYTES)) {
                continue;
            }
            if (copy == null) {
                copy = new HashMap<>(metrics);
            }
            copy.remove(key);
            copy.put(TraceStrings.truncateUtf8(key, MAX_KEY_BYTES) + ELLIPSIS, e.getValue());
        }
        return copy == null ? metrics : copy;
    }

    /** {@code _dd.} tags holding serialised documents, e.g. {@code _dd.appsec.json}: cutting would corrupt them. */
    static boolean isStructuredMetaKey(String key) {
        return key.startsWith("_dd.")
                && (key.endsWith(".json") || key.endsWith(".msgpack") || key.endsWith(".protobuf"));
    }
}
