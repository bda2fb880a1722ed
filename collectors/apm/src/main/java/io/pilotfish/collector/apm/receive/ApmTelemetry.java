package io.pilotfish.collector.apm.receive;

import io.pilotfish.collector.apm.normalize.NormalizationStats;
import io.pilotfish.collector.apm.normalize.SpanFix;
import io.pilotfish.collector.apm.normalize.TraceDropReason;
import io.pilotfish.spi.SelfTelemetry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The receiver's figures, shown by {@code pilotfish status}. Losses are named {@code *.dropped} and
 * {@code *_errors} so that status lists them with their reason; sampling is a decision, not a loss, and has its own
 * figure.
 */
final class ApmTelemetry {

    private final SelfTelemetry telemetry;
    private final Map<String, SelfTelemetry.Counter> counters = new ConcurrentHashMap<>();

    ApmTelemetry(SelfTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    private SelfTelemetry.Counter counter(String name, String... tags) {
        String key = name + '|' + String.join(",", tags);
        return counters.computeIfAbsent(key, k -> telemetry.counter(name, tags));
    }

    /** A payload taken in whole: its traces and spans, by endpoint and tracer language. */
    void received(String endpoint, String lang, int traces, int spans, long bytes) {
        String language = "lang:" + language(lang);
        String at = "endpoint:" + endpoint;
        counter("apm.payloads", at, language).increment();
        counter("apm.traces_received", at, language).add(traces);
        counter("apm.spans_received", at, language).add(spans);
        counter("apm.bytes_received", at).add(bytes);
    }

    /** A request refused before or while its body was read or decoded. */
    void payloadError(String endpoint, String reason) {
        counter("apm.payload_errors", "endpoint:" + endpoint, "reason:" + reason).increment();
    }

    /** Traces and spans lost inside the agent, by reason (normalisation, filters, overload, memory). */
    void dropped(String reason, long traces, long spans) {
        if (traces > 0) {
            counter("apm.traces.dropped", "reason:" + reason).add(traces);
        }
        if (spans > 0) {
            counter("apm.spans.dropped", "reason:" + reason).add(spans);
        }
    }

    void normalization(NormalizationStats stats) {
        if (stats.isEmpty()) {
            return;
        }
        for (Map.Entry<TraceDropReason, Long> drop : stats.traceDrops().entrySet()) {
            counter("apm.traces.dropped", "reason:" + drop.getKey().tag()).add(drop.getValue());
        }
        if (stats.droppedSpans() > 0) {
            counter("apm.spans.dropped", "reason:normalization").add(stats.droppedSpans());
        }
        for (Map.Entry<SpanFix, Long> fix : stats.spanFixes().entrySet()) {
            counter("apm.spans_fixed", "reason:" + fix.getKey().tag()).add(fix.getValue());
        }
    }

    /** What tracers say they dropped themselves (P0 traces, once they know the agent computes stats for them). */
    void clientDropped(long traces, long spans) {
        if (traces > 0) {
            counter("apm.client_dropped_p0_traces").add(traces);
        }
        if (spans > 0) {
            counter("apm.client_dropped_p0_spans").add(spans);
        }
    }

    void sampled(int kept, int dropped) {
        counter("apm.sampling", "decision:kept").add(kept);
        counter("apm.sampling", "decision:dropped").add(dropped);
    }

    void chunksSent(long chunks) {
        counter("apm.chunks_sent").add(chunks);
    }

    void statsPayload(int buckets) {
        counter("apm.stats.client_payloads").increment();
        counter("apm.stats.client_buckets").add(buckets);
    }

    void statsFlushed(String source, int payloads) {
        counter("apm.stats.payloads_sent", "source:" + source).add(payloads);
    }

    void proxied(String route, int status) {
        counter("apm.proxy.requests", "route:" + route, "status:" + (status / 100) + "xx").increment();
    }

    void proxyError(String route, String reason) {
        counter("apm.proxy_errors", "route:" + route, "reason:" + reason).increment();
    }

    SelfTelemetry raw() {
        return telemetry;
    }

    /**
     * The language as a tag: the header is the client's, so only the tracers' known language names become tags
     * (a hostile client must not grow the counter table).
     */
    static String language(String lang) {
        String lower = lang.toLowerCase(java.util.Locale.ROOT);
        return KNOWN_LANGUAGES.contains(lower) ? lower : lang.isEmpty() ? "unknown" : "other";
    }

    private static final java.util.Set<String> KNOWN_LANGUAGES = java.util.Set.of("java", "python", "nodejs",
            "javascript", "go", "golang", "dotnet", ".net", "ruby", "php", "cpp", "rust", "elixir", "swift", "kotlin");
}
