package io.pilotfish.spi.trace;

import java.util.Collections;
import java.util.Map;

/**
 * A link from a span to another span, maybe of another trace ({@code pb.SpanLink}).
 *
 * @param traceId     low 64 bits of the linked trace id (1)
 * @param traceIdHigh high 64 bits, 0 when the id has 64 bits (2)
 * @param spanId      (3)
 * @param attributes  (4)
 * @param tracestate  W3C tracestate, or empty (5)
 * @param flags       W3C trace flags; when set, bit 31 is set too, so that 0 means "not set" (6, uint32)
 */
public record SpanLink(long traceId, long traceIdHigh, long spanId, Map<String, String> attributes,
                       String tracestate, int flags) {

    public SpanLink {
        attributes = attributes == null || attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(attributes);
        tracestate = tracestate == null ? "" : tracestate;
    }

    int estimatedBytes() {
        long bytes = 64 + tracestate.length();
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            bytes += 48 + e.getKey().length() + e.getValue().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }
}
