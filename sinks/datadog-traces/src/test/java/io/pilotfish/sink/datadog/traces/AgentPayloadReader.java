package io.pilotfish.sink.datadog.traces;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an {@code AgentPayload} back field by field with protobuf-java's parser, independent of the encoder under
 * test. Every field must come with the wire type its {@code .proto} declares (a {@code fixed64} as fixed64, a map as
 * entries of key 1 and value 2); a field number the schema does not have, or the wrong wire type, fails the read.
 * The tag numbers met at each level are kept, in order, to check the field order.
 */
public final class AgentPayloadReader {

    public record Payload(String hostName, String env, List<Tracer> tracerPayloads, Map<String, String> tags,
                   String agentVersion, double targetTps, double errorTps, boolean rareSamplerEnabled,
                   List<Integer> fieldOrder) {
    }

    public record Tracer(String containerId, String languageName, String languageVersion, String tracerVersion,
                  String runtimeId, List<Chunk> chunks, Map<String, String> tags, String env, String hostname,
                  String appVersion, List<Integer> fieldOrder) {
    }

    public record Chunk(int priority, String origin, List<DecodedSpan> spans, Map<String, String> tags,
                 boolean droppedTrace) {
    }

    public record DecodedSpan(String service, String name, String resource, long traceId, long spanId, long parentId,
                       long start, long duration, int error, Map<String, String> meta, Map<String, Double> metrics,
                       String type, Map<String, byte[]> metaStruct, List<Link> links, List<Event> events) {
    }

    public record Link(long traceId, long traceIdHigh, long spanId, Map<String, String> attributes, String tracestate,
                int flags) {
    }

    public record Event(long timeUnixNano, String name, Map<String, Value> attributes) {
    }

    /** An AttributeAnyValue (or AttributeArrayValue): the type and every field as sent. */
    public record Value(int type, String stringValue, boolean boolValue, long intValue, double doubleValue,
                 List<Value> arrayValue, boolean hasArray) {
    }

    private AgentPayloadReader() {
    }

    public static Payload read(byte[] bytes) {
        try {
            return payload(CodedInputStream.newInstance(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Payload payload(CodedInputStream in) throws IOException {
        String hostName = "";
        String env = "";
        List<Tracer> tracers = new ArrayList<>();
        Map<String, String> tags = new LinkedHashMap<>();
        String agentVersion = "";
        double targetTps = 0;
        double errorTps = 0;
        boolean rare = false;
        List<Integer> order = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            order.add(field);
            switch (field) {
                case 1 -> hostName = string(in, tag);
                case 2 -> env = string(in, tag);
                case 5 -> tracers.add(nested(in, tag, AgentPayloadReader::tracer));
                case 6 -> stringEntry(in, tag, tags);
                case 7 -> agentVersion = string(in, tag);
                case 8 -> targetTps = fixedDouble(in, tag);
                case 9 -> errorTps = fixedDouble(in, tag);
                case 10 -> rare = bool(in, tag);
                default -> throw unknown("AgentPayload", field);
            }
        }
        return new Payload(hostName, env, tracers, tags, agentVersion, targetTps, errorTps, rare, order);
    }

    private static Tracer tracer(CodedInputStream in) throws IOException {
        String[] strings = {"", "", "", "", "", "", "", "", "", "", ""};
        List<Chunk> chunks = new ArrayList<>();
        Map<String, String> tags = new LinkedHashMap<>();
        List<Integer> order = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            order.add(field);
            switch (field) {
                case 1, 2, 3, 4, 5, 8, 9, 10 -> strings[field] = string(in, tag);
                case 6 -> chunks.add(nested(in, tag, AgentPayloadReader::chunk));
                case 7 -> stringEntry(in, tag, tags);
                default -> throw unknown("TracerPayload", field);
            }
        }
        return new Tracer(strings[1], strings[2], strings[3], strings[4], strings[5], chunks, tags, strings[8],
                strings[9], strings[10], order);
    }

    private static Chunk chunk(CodedInputStream in) throws IOException {
        int priority = 0;
        String origin = "";
        List<DecodedSpan> spans = new ArrayList<>();
        Map<String, String> tags = new LinkedHashMap<>();
        boolean dropped = false;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> priority = (int) varint(in, tag);
                case 2 -> origin = string(in, tag);
                case 3 -> spans.add(nested(in, tag, AgentPayloadReader::span));
                case 4 -> stringEntry(in, tag, tags);
                case 5 -> dropped = bool(in, tag);
                default -> throw unknown("TraceChunk", field);
            }
        }
        return new Chunk(priority, origin, spans, tags, dropped);
    }

    private static DecodedSpan span(CodedInputStream in) throws IOException {
        String service = "";
        String name = "";
        String resource = "";
        String type = "";
        long[] numbers = new long[10];
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, Double> metrics = new LinkedHashMap<>();
        Map<String, byte[]> metaStruct = new LinkedHashMap<>();
        List<Link> links = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> service = string(in, tag);
                case 2 -> name = string(in, tag);
                case 3 -> resource = string(in, tag);
                case 4, 5, 6, 7, 8, 9 -> numbers[field] = varint(in, tag);
                case 10 -> stringEntry(in, tag, meta);
                case 11 -> nested(in, tag, entry -> {
                    String key = "";
                    double value = 0;
                    while (!entry.isAtEnd()) {
                        int t = entry.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> key = string(entry, t);
                            case 2 -> value = fixedDouble(entry, t);
                            default -> throw unknown("metrics entry", WireFormat.getTagFieldNumber(t));
                        }
                    }
                    metrics.put(key, value);
                    return null;
                });
                case 12 -> type = string(in, tag);
                case 13 -> nested(in, tag, entry -> {
                    String key = "";
                    byte[] value = new byte[0];
                    while (!entry.isAtEnd()) {
                        int t = entry.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> key = string(entry, t);
                            case 2 -> {
                                expect(t, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                                value = entry.readByteArray();
                            }
                            default -> throw unknown("meta_struct entry", WireFormat.getTagFieldNumber(t));
                        }
                    }
                    metaStruct.put(key, value);
                    return null;
                });
                case 14 -> links.add(nested(in, tag, AgentPayloadReader::link));
                case 15 -> events.add(nested(in, tag, AgentPayloadReader::event));
                default -> throw unknown("Span", field);
            }
        }
        return new DecodedSpan(service, name, resource, numbers[4], numbers[5], numbers[6], numbers[7], numbers[8],
                (int) numbers[9], meta, metrics, type, metaStruct, links, events);
    }

    private static Link link(CodedInputStream in) throws IOException {
        long[] numbers = new long[7];
        Map<String, String> attributes = new LinkedHashMap<>();
        String tracestate = "";
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1, 2, 3, 6 -> numbers[field] = varint(in, tag);
                case 4 -> stringEntry(in, tag, attributes);
                case 5 -> tracestate = string(in, tag);
                default -> throw unknown("SpanLink", field);
            }
        }
        if (numbers[6] >>> 32 != 0) {
            throw new AssertionError("SpanLink.flags is a uint32 but carries " + numbers[6]);
        }
        return new Link(numbers[1], numbers[2], numbers[3], attributes, tracestate, (int) numbers[6]);
    }

    private static Event event(CodedInputStream in) throws IOException {
        long time = 0;
        String name = "";
        Map<String, Value> attributes = new LinkedHashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> {
                    expect(tag, WireFormat.WIRETYPE_FIXED64);
                    time = in.readFixed64();
                }
                case 2 -> name = string(in, tag);
                case 3 -> nested(in, tag, entry -> {
                    String key = "";
                    Value value = null;
                    while (!entry.isAtEnd()) {
                        int t = entry.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> key = string(entry, t);
                            case 2 -> value = nested(entry, t, v -> value(v, true));
                            default -> throw unknown("attributes entry", WireFormat.getTagFieldNumber(t));
                        }
                    }
                    attributes.put(key, value);
                    return null;
                });
                default -> throw unknown("SpanEvent", field);
            }
        }
        return new Event(time, name, attributes);
    }

    private static Value value(CodedInputStream in, boolean arrayAllowed) throws IOException {
        int type = 0;
        String string = "";
        boolean bool = false;
        long integer = 0;
        double dbl = 0;
        List<Value> array = new ArrayList<>();
        boolean hasArray = false;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> type = (int) varint(in, tag);
                case 2 -> string = string(in, tag);
                case 3 -> bool = bool(in, tag);
                case 4 -> integer = varint(in, tag);
                case 5 -> dbl = fixedDouble(in, tag);
                case 6 -> {
                    if (!arrayAllowed) {
                        throw unknown("AttributeArrayValue", field);
                    }
                    hasArray = true;
                    nested(in, tag, values -> {
                        while (!values.isAtEnd()) {
                            int t = values.readTag();
                            if (WireFormat.getTagFieldNumber(t) != 1) {
                                throw unknown("AttributeArray", WireFormat.getTagFieldNumber(t));
                            }
                            array.add(nested(values, t, v -> value(v, false)));
                        }
                        return null;
                    });
                }
                default -> throw unknown("AttributeAnyValue", field);
            }
        }
        return new Value(type, string, bool, integer, dbl, array, hasArray);
    }

    // ---- field readers that check the wire type -------------------------------------------------------------

    private interface MessageReader<T> {
        T read(CodedInputStream in) throws IOException;
    }

    private static <T> T nested(CodedInputStream in, int tag, MessageReader<T> reader) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        byte[] bytes = in.readByteArray();
        return reader.read(CodedInputStream.newInstance(bytes));
    }

    private static void stringEntry(CodedInputStream in, int tag, Map<String, String> into) throws IOException {
        nested(in, tag, entry -> {
            String key = null;
            String value = null;
            while (!entry.isAtEnd()) {
                int t = entry.readTag();
                switch (WireFormat.getTagFieldNumber(t)) {
                    case 1 -> key = string(entry, t);
                    case 2 -> value = string(entry, t);
                    default -> throw unknown("map<string,string> entry", WireFormat.getTagFieldNumber(t));
                }
            }
            if (key == null || value == null) {
                throw new AssertionError("a map entry without its key or value: Go's encoder writes both");
            }
            into.put(key, value);
            return null;
        });
    }

    private static String string(CodedInputStream in, int tag) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        return in.readStringRequireUtf8();
    }

    private static long varint(CodedInputStream in, int tag) throws IOException {
        expect(tag, WireFormat.WIRETYPE_VARINT);
        return in.readRawVarint64();
    }

    private static boolean bool(CodedInputStream in, int tag) throws IOException {
        expect(tag, WireFormat.WIRETYPE_VARINT);
        return in.readBool();
    }

    private static double fixedDouble(CodedInputStream in, int tag) throws IOException {
        expect(tag, WireFormat.WIRETYPE_FIXED64);
        return in.readDouble();
    }

    private static void expect(int tag, int wireType) {
        if (WireFormat.getTagWireType(tag) != wireType) {
            throw new AssertionError("field " + WireFormat.getTagFieldNumber(tag) + " has wire type "
                    + WireFormat.getTagWireType(tag) + ", the schema says " + wireType);
        }
    }

    private static AssertionError unknown(String message, int field) {
        return new AssertionError(message + " has no field " + field);
    }
}
