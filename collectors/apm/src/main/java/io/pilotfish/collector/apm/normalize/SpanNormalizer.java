package io.pilotfish.collector.apm.normalize;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanLink;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One span made acceptable to the intake as the trace-agent's {@code normalize} does it, each change counted under the
 * Agent's reason: service (language fallback, 100 bytes, tag-value rules), {@code peer.service} and
 * {@code _dd.base_service}, name (100 bytes, metric-name rules), empty resource, the Zipkin-style self parent,
 * duration and start, type (100 bytes), {@code env}, {@code http.status_code}, span links' {@code link.name}.
 *
 * <p>A span whose trace or span id is 0 cannot be repaired: the Agent drops its whole trace ({@link #rejection}).
 * Resource, meta and metrics lengths are not this step's business: the Agent truncates them after obfuscation
 * ({@link SpanTruncator}). Thread-safe.
 */
public final class SpanNormalizer {

    /** Starts before 2000-01-01T00:00:00Z are junk to the Agent, replaced by "now - duration". */
    static final long YEAR_2000_NANOS = 946_684_800_000_000_000L;

    private static final String PEER_SERVICE = "peer.service";
    private static final String BASE_SERVICE = "_dd.base_service";
    private static final String ENV = "env";
    private static final String HTTP_STATUS_CODE = "http.status_code";
    private static final String LINK_NAME = "link.name";

    private final Clock clock;

    /** With the system clock, for the start-date fix. */
    public SpanNormalizer() {
        this(Clock.systemUTC());
    }

    /** @param clock gives "now" to spans whose start is before 2000 */
    public SpanNormalizer(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Why the Agent would drop the span's whole trace, or null when the span can be normalised. */
    public static TraceDropReason rejection(Span span) {
        if (span.traceId() == 0) {
            return TraceDropReason.TRACE_ID_ZERO;
        }
        if (span.spanId() == 0) {
            return TraceDropReason.SPAN_ID_ZERO;
        }
        return null;
    }

    /**
     * The normalised span, or {@code span} itself when nothing needed changing (its maps are then not copied).
     *
     * @param span  a span that passed {@link #rejection}
     * @param lang  the tracer's language, for the fallback service {@code unnamed-<lang>-service}; may be empty
     * @param stats where each change is counted
     */
    public Span normalize(Span span, String lang, NormalizationStats stats) {
        if (rejection(span) != null) {
            throw new IllegalArgumentException("a span with a zero trace or span id cannot be normalised");
        }
        Map<String, String> meta = span.meta();
        HashMap<String, String> metaCopy = null;

        String service = TraceStrings.normalizeService(span.service(), lang, stats);

        String peer = meta.get(PEER_SERVICE);
        if (peer != null && !peer.isEmpty()) {
            String normal = TraceStrings.normalizePeerService(peer, stats, SpanFix.PEER_SERVICE_TRUNCATE,
                    SpanFix.PEER_SERVICE_INVALID);
            metaCopy = put(meta, metaCopy, PEER_SERVICE, peer, normal);
        }
        String base = meta.get(BASE_SERVICE);
        if (base != null && !base.isEmpty()) {
            String normal = TraceStrings.normalizePeerService(base, stats, SpanFix.BASE_SERVICE_TRUNCATE,
                    SpanFix.BASE_SERVICE_INVALID);
            metaCopy = put(meta, metaCopy, BASE_SERVICE, base, normal);
        }

        String name = TraceStrings.normalizeName(span.name(), stats);

        String resource = span.resource();
        if (resource.isEmpty()) {
            stats.fixed(SpanFix.RESOURCE_EMPTY);
            resource = name;
        }

        // some Zipkin-converted roots name themselves as their own parent
        long parentId = span.parentId();
        if (parentId == span.traceId() && parentId == span.spanId()) {
            parentId = 0;
        }

        long start = span.start();
        long duration = span.duration();
        // Long.MAX_VALUE - start wraps for a negative start, as in the Agent, so such a span loses its duration
        if (duration < 0 || duration > Long.MAX_VALUE - start) {
            stats.fixed(SpanFix.INVALID_DURATION);
            duration = 0;
        }
        if (start < YEAR_2000_NANOS) {
            stats.fixed(SpanFix.INVALID_START_DATE);
            long now = nowNanos();
            start = now - duration < 0 ? now : now - duration;
        }

        String type = span.type();
        if (TraceStrings.exceedsUtf8(type, TraceStrings.MAX_TYPE_BYTES)) {
            stats.fixed(SpanFix.TYPE_TRUNCATE);
            type = TraceStrings.truncateUtf8(type, TraceStrings.MAX_TYPE_BYTES);
        }

        String env = meta.get(ENV);
        if (env != null && !env.isEmpty()) {
            metaCopy = put(meta, metaCopy, ENV, env, TraceStrings.normalizeTagValue(env));
        }

        String statusCode = meta.get(HTTP_STATUS_CODE);
        if (statusCode != null && !isValidStatusCode(statusCode)) {
            stats.fixed(SpanFix.INVALID_HTTP_STATUS_CODE);
            if (metaCopy == null) {
                metaCopy = new HashMap<>(meta);
            }
            metaCopy.remove(HTTP_STATUS_CODE);
        }

        List<SpanLink> links = normalizeLinkNames(span.links());

        boolean unchanged = metaCopy == null && links == span.links() && service.equals(span.service())
                && name.equals(span.name()) && resource.equals(span.resource()) && parentId == span.parentId()
                && start == span.start() && duration == span.duration() && type.equals(span.type());
        if (unchanged) {
            return span;
        }
        return new Span(service, name, resource, span.traceId(), span.spanId(), parentId, start, duration,
                span.error(), metaCopy == null ? meta : metaCopy, span.metrics(), type, span.metaStruct(), links,
                span.events());
    }

    /** {@code http.status_code} is kept when it is an unsigned decimal number from 100 to 599. */
    static boolean isValidStatusCode(String code) {
        if (code.isEmpty()) {
            return false;
        }
        int value = 0;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            // leading zeros are fine; past 999 the value can only be out of range
            value = Math.min(value * 10 + (c - '0'), 1000);
        }
        return value >= 100 && value < 600;
    }

    /** Links whose {@code link.name} attribute is normalised as a span name; the same list when none changes. */
    private static List<SpanLink> normalizeLinkNames(List<SpanLink> links) {
        List<SpanLink> out = null;
        for (int i = 0; i < links.size(); i++) {
            SpanLink link = links.get(i);
            String linkName = link.attributes().get(LINK_NAME);
            if (linkName == null) {
                continue;
            }
            String normal = TraceStrings.normalizeName(linkName);
            if (normal.equals(linkName)) {
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(links);
            }
            Map<String, String> attributes = new HashMap<>(link.attributes());
            attributes.put(LINK_NAME, normal);
            out.set(i, new SpanLink(link.traceId(), link.traceIdHigh(), link.spanId(), attributes, link.tracestate(),
                    link.flags()));
        }
        return out == null ? links : out;
    }

    /** Sets {@code key} to {@code normal} in a copy of {@code meta}, made only when the value changes. */
    private static HashMap<String, String> put(Map<String, String> meta, HashMap<String, String> copy, String key,
                                               String current, String normal) {
        if (normal.equals(current)) {
            return copy;
        }
        HashMap<String, String> out = copy == null ? new HashMap<>(meta) : copy;
        out.put(key, normal);
        return out;
    }

    private long nowNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
