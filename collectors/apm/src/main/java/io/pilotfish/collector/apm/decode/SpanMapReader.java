package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeType;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import io.pilotfish.spi.trace.SpanLink;
import io.pilotfish.spi.trace.TagMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a span as v0.4 and v0.7 send it: a msgpack map keyed by the {@code msg:} names of the agent's
 * {@code span.proto} ({@code service}, {@code trace_id}, {@code meta_struct}, {@code span_links},
 * {@code span_events}, ...), with its links, events and typed attributes. Unknown keys are skipped; a key sent twice
 * keeps its last value; any field may be {@code nil} (its zero value). A {@code nil} link, event or attribute value,
 * and an attribute of a type the format does not define, is left out.
 */
final class SpanMapReader {

    private static final byte[][] SPAN_KEYS = keys("service", "name", "resource", "trace_id", "span_id", "parent_id",
            "start", "duration", "error", "meta", "metrics", "type", "meta_struct", "span_links", "span_events");
    private static final byte[][] LINK_KEYS = keys("trace_id", "trace_id_high", "span_id", "attributes",
            "tracestate", "flags");
    private static final byte[][] EVENT_KEYS = keys("time_unix_nano", "name", "attributes");
    private static final byte[][] ATTRIBUTE_KEYS = keys("type", "string_value", "bool_value", "int_value",
            "double_value", "array_value");
    private static final byte[][] ARRAY_KEYS = keys("values");
    private static final AttributeType[] ATTRIBUTE_TYPES = AttributeType.values();
    /** Presized maps and lists stay small whatever a header claims: they grow with what is really read. */
    private static final int MAX_PRESIZE = 64;

    private SpanMapReader() {
    }

    static byte[][] keys(String... names) {
        byte[][] keys = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            keys[i] = names[i].getBytes(StandardCharsets.UTF_8);
        }
        return keys;
    }

    /** A span map; the caller has checked it is not {@code nil}. */
    static Span readSpan(MsgpackReader r) throws TraceDecodeException {
        String service = "";
        String name = "";
        String resource = "";
        String type = "";
        long traceId = 0;
        long spanId = 0;
        long parentId = 0;
        long start = 0;
        long duration = 0;
        int error = 0;
        Map<String, String> meta = null;
        Map<String, Double> metrics = null;
        Map<String, byte[]> metaStruct = null;
        List<SpanLink> links = null;
        List<SpanEvent> events = null;
        for (int n = r.readMapHeader(); n > 0; n--) {
            switch (r.readKey(SPAN_KEYS)) {
                case 0 -> service = r.readString();
                case 1 -> name = r.readString();
                case 2 -> resource = r.readString();
                case 3 -> traceId = r.readUint64();
                case 4 -> spanId = r.readUint64();
                case 5 -> parentId = r.readUint64();
                case 6 -> start = r.readInt64();
                case 7 -> duration = r.readInt64();
                case 8 -> error = r.readInt32();
                case 9 -> meta = readStringMap(r);
                case 10 -> metrics = readMetrics(r);
                case 11 -> type = r.readString();
                case 12 -> metaStruct = readMetaStruct(r);
                case 13 -> links = readLinks(r);
                case 14 -> events = readEvents(r);
                default -> r.skipValue();
            }
        }
        r.charge(DecodeBudget.SPAN);
        return new Span(service, name, resource, traceId, spanId, parentId, start, duration, error, meta, metrics,
                type, metaStruct, links, events);
    }

    /** A map of strings; {@code nil} gives null. Keys and values as {@link MsgpackReader#readString()}. */
    static Map<String, String> readStringMap(MsgpackReader r) throws TraceDecodeException {
        if (r.tryReadNil()) {
            return null;
        }
        int n = r.readMapHeader();
        TagMap.Builder<String> map = TagMap.builder(n);
        for (; n > 0; n--) {
            String key = r.readString();
            map.put(key, r.readString());
            r.charge(DecodeBudget.MAP_ENTRY);
        }
        return map.build();
    }

    private static Map<String, Double> readMetrics(MsgpackReader r) throws TraceDecodeException {
        if (r.tryReadNil()) {
            return null;
        }
        int n = r.readMapHeader();
        TagMap.Builder<Double> map = TagMap.builder(n);
        for (; n > 0; n--) {
            String key = r.readString();
            map.put(key, r.readFloat64Boxed());
            r.charge(DecodeBudget.MAP_ENTRY);
        }
        return map.build();
    }

    private static Map<String, byte[]> readMetaStruct(MsgpackReader r) throws TraceDecodeException {
        if (r.tryReadNil()) {
            return null;
        }
        int n = r.readMapHeader();
        TagMap.Builder<byte[]> map = TagMap.builder(n);
        for (; n > 0; n--) {
            String key = r.readString();
            map.put(key, r.readBinary());
            r.charge(DecodeBudget.MAP_ENTRY);
        }
        return map.build();
    }

    private static List<SpanLink> readLinks(MsgpackReader r) throws TraceDecodeException {
        int n = r.readArrayHeaderOrNil();
        List<SpanLink> links = new ArrayList<>(Math.min(n, MAX_PRESIZE));
        for (; n > 0; n--) {
            if (!r.tryReadNil()) {
                links.add(readLink(r));
            }
        }
        return links;
    }

    private static SpanLink readLink(MsgpackReader r) throws TraceDecodeException {
        long traceId = 0;
        long traceIdHigh = 0;
        long spanId = 0;
        Map<String, String> attributes = null;
        String tracestate = "";
        int flags = 0;
        for (int n = r.readMapHeader(); n > 0; n--) {
            switch (r.readKey(LINK_KEYS)) {
                case 0 -> traceId = r.readUint64();
                case 1 -> traceIdHigh = r.readUint64();
                case 2 -> spanId = r.readUint64();
                case 3 -> attributes = readStringMap(r);
                case 4 -> tracestate = r.readString();
                case 5 -> flags = r.readUint32();
                default -> r.skipValue();
            }
        }
        r.charge(DecodeBudget.OBJECT);
        return new SpanLink(traceId, traceIdHigh, spanId, attributes, tracestate, flags);
    }

    private static List<SpanEvent> readEvents(MsgpackReader r) throws TraceDecodeException {
        int n = r.readArrayHeaderOrNil();
        List<SpanEvent> events = new ArrayList<>(Math.min(n, MAX_PRESIZE));
        for (; n > 0; n--) {
            if (!r.tryReadNil()) {
                events.add(readEvent(r));
            }
        }
        return events;
    }

    private static SpanEvent readEvent(MsgpackReader r) throws TraceDecodeException {
        long time = 0;
        String name = "";
        Map<String, AttributeValue> attributes = null;
        for (int n = r.readMapHeader(); n > 0; n--) {
            switch (r.readKey(EVENT_KEYS)) {
                case 0 -> time = r.readUint64();
                case 1 -> name = r.readString();
                case 2 -> attributes = readAttributes(r);
                default -> r.skipValue();
            }
        }
        r.charge(DecodeBudget.OBJECT);
        return new SpanEvent(time, name, attributes);
    }

    private static Map<String, AttributeValue> readAttributes(MsgpackReader r) throws TraceDecodeException {
        int n = r.readMapHeaderOrNil();
        Map<String, AttributeValue> map = HashMap.newHashMap(Math.min(n, MAX_PRESIZE));
        for (; n > 0; n--) {
            String key = r.readString();
            if (r.tryReadNil()) {
                continue;
            }
            AttributeValue value = readAttribute(r, true);
            if (value != null) {
                map.put(key, value);
            }
        }
        return map;
    }

    /**
     * An attribute value map ({@code AttributeAnyValue}, or inside an array {@code AttributeArrayValue}, which has
     * no array of its own: there {@code array_value} is skipped like any unknown key, which bounds the nesting).
     * Null when its type is not one the format defines.
     */
    private static AttributeValue readAttribute(MsgpackReader r, boolean arrayAllowed) throws TraceDecodeException {
        int type = 0;
        String string = "";
        boolean bool = false;
        long integer = 0;
        double dbl = 0;
        List<AttributeValue> array = null;
        for (int n = r.readMapHeader(); n > 0; n--) {
            switch (r.readKey(ATTRIBUTE_KEYS)) {
                case 0 -> type = r.readInt32();
                case 1 -> string = r.readString();
                case 2 -> bool = r.readBoolean();
                case 3 -> integer = r.readInt64();
                case 4 -> dbl = r.readFloat64();
                case 5 -> {
                    if (arrayAllowed) {
                        array = readAttributeArray(r);
                    } else {
                        r.skipValue();
                    }
                }
                default -> r.skipValue();
            }
        }
        int types = arrayAllowed ? ATTRIBUTE_TYPES.length : ATTRIBUTE_TYPES.length - 1;
        if (type < 0 || type >= types) {
            return null;
        }
        r.charge(DecodeBudget.OBJECT);
        return new AttributeValue(ATTRIBUTE_TYPES[type], string, bool, integer, dbl, array);
    }

    /** {@code {values: [...]}}; {@code nil} gives null. */
    private static List<AttributeValue> readAttributeArray(MsgpackReader r) throws TraceDecodeException {
        if (r.tryReadNil()) {
            return null;
        }
        List<AttributeValue> values = null;
        for (int n = r.readMapHeader(); n > 0; n--) {
            if (r.readKey(ARRAY_KEYS) != 0) {
                r.skipValue();
                continue;
            }
            int count = r.readArrayHeaderOrNil();
            values = new ArrayList<>(Math.min(count, MAX_PRESIZE));
            for (; count > 0; count--) {
                if (!r.tryReadNil()) {
                    AttributeValue value = readAttribute(r, false);
                    if (value != null) {
                        values.add(value);
                    }
                }
            }
        }
        return values;
    }
}
