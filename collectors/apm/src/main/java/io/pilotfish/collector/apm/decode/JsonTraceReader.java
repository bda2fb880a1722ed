package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.Utf8;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeType;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import io.pilotfish.spi.trace.SpanLink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads v0.3 (and v0.2) JSON traces, {@code [[span, ...], ...]}, as the trace-agent does with Go's
 * {@code encoding/json} and the {@code json:} names of {@code span.proto}:
 * <ul>
 *   <li>struct keys match whatever their ASCII case ({@code "Service"} is {@code service}); unknown keys are
 *       skipped; map keys match exactly;</li>
 *   <li>{@code null} leaves a string or number field as it was, empties a map or list, gives an empty trace, and a
 *       left-out span, link, event or attribute value; a {@code null} map value is the empty string, or 0;</li>
 *   <li>a second object for a map adds to the first, a second array replaces the first;</li>
 *   <li>integer fields take only integer literals in range ({@code 1.0}, {@code 1e3}, {@code "1"} and a negative
 *       id are errors), floats any number that fits a double; a string field takes only a string;</li>
 *   <li>{@code meta_struct} values are standard base64 with padding ({@code \r} and {@code \n} ignored);</li>
 *   <li>invalid UTF-8 (byte by byte, {@link Utf8}) and unpaired surrogates escaped as <code>&#92;uXXXX</code>
 *       become U+FFFD.</li>
 * </ul>
 * Nesting is bounded as in Go (10,000 levels), and Jackson's skipping is iterative.
 */
final class JsonTraceReader {

    /** Go's {@code encoding/json} refuses deeper nesting. */
    private static final int MAX_NESTING = 10_000;
    private static final AttributeType[] ATTRIBUTE_TYPES = AttributeType.values();
    private static final byte[] NO_BYTES = new byte[0];

    private final JsonFactory factory;
    private final long maxDecodedBytes;

    JsonTraceReader(long maxDecodedBytes) {
        this.maxDecodedBytes = maxDecodedBytes;
        // One string may take at most the whole budget (two bytes a char while Jackson reads it).
        int maxText = (int) Math.min(Integer.MAX_VALUE, Math.max(1, maxDecodedBytes / 2));
        this.factory = JsonFactory.builder()
                // Field names (meta keys among them) are shared through Jackson's bounded, seeded symbol table,
                // but never String.intern()ed: a client's keys stay out of the JVM's string table.
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        .maxStringLength(maxText)
                        .maxNameLength(maxText)
                        .maxNumberLength(maxText)
                        .build())
                .build();
    }

    DecodedTraces read(byte[] body, int offset, int length) throws TraceDecodeException {
        Objects.checkFromIndexSize(offset, length, body.length);
        DecodeBudget budget = new DecodeBudget(maxDecodedBytes);
        byte[] input = body;
        int off = offset;
        int len = length;
        int invalid = Utf8.invalidBytes(body, offset, offset + length);
        if (invalid > 0) {
            budget.charge(length + 2L * invalid);
            input = Utf8.repair(body, offset, offset + length, invalid);
            off = 0;
            len = input.length;
        }
        try (JsonParser parser = factory.createParser(input, off, len)) {
            return new Reading(parser, budget).traces();
        } catch (JsonEOFException e) {
            throw new TraceDecodeException(Reason.UNEXPECTED_EOF, "unexpected end of JSON input at byte "
                    + e.getLocation().getByteOffset());
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            Reason reason = endsTheInput(input, off, len, at) ? Reason.UNEXPECTED_EOF : Reason.DECODING_ERROR;
            throw new TraceDecodeException(reason, "invalid JSON at byte " + at + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new TraceDecodeException(Reason.DECODING_ERROR, "invalid JSON: " + e.getMessage());
        }
    }

    /**
     * Whether Jackson's error at byte {@code at} is the input running out, which Go reports as an unexpected EOF:
     * Jackson names most of these {@link JsonEOFException}, but not a literal cut short ({@code tru}), which it finds
     * at the end, nor a number ending in its decimal point ({@code 1.}), which it blames on the point.
     */
    private static boolean endsTheInput(byte[] input, int off, int len, long at) {
        return at >= len || (at == len - 1 && input[off + (int) at] == '.');
    }

    /** One payload's parse. */
    private static final class Reading {
        private final JsonParser p;
        private final DecodeBudget budget;

        Reading(JsonParser p, DecodeBudget budget) {
            this.p = p;
            this.budget = budget;
        }

        DecodedTraces traces() throws IOException, TraceDecodeException {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new TraceDecodeException(Reason.UNEXPECTED_EOF, "empty JSON body");
            }
            List<List<Span>> traces = new ArrayList<>();
            if (t == JsonToken.VALUE_NULL) {
                return new DecodedTraces(traces, 0);
            }
            expect(t, JsonToken.START_ARRAY, "an array of traces");
            int spanCount = 0;
            while ((t = next()) != JsonToken.END_ARRAY) {
                budget.charge(DecodeBudget.OBJECT);
                List<Span> spans = new ArrayList<>();
                traces.add(spans);
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                expect(t, JsonToken.START_ARRAY, "an array of spans");
                while ((t = next()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.VALUE_NULL) {
                        expect(t, JsonToken.START_OBJECT, "a span");
                        spans.add(span());
                    }
                }
                spanCount += spans.size();
            }
            return new DecodedTraces(traces, spanCount);
        }

        private Span span() throws IOException, TraceDecodeException {
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
            for (JsonToken t = next(); t == JsonToken.FIELD_NAME; t = next()) {
                String key = foldAscii(p.currentName());
                JsonToken v = next();
                switch (key) {
                    case "service" -> service = string(v, service, key);
                    case "name" -> name = string(v, name, key);
                    case "resource" -> resource = string(v, resource, key);
                    case "trace_id" -> traceId = uint64(v, traceId, key);
                    case "span_id" -> spanId = uint64(v, spanId, key);
                    case "parent_id" -> parentId = uint64(v, parentId, key);
                    case "start" -> start = int64(v, start, key);
                    case "duration" -> duration = int64(v, duration, key);
                    case "error" -> error = int32(v, error, key);
                    case "meta" -> meta = stringMap(v, meta, key);
                    case "metrics" -> metrics = metrics(v, metrics);
                    case "type" -> type = string(v, type, key);
                    case "meta_struct" -> metaStruct = metaStruct(v, metaStruct);
                    case "span_links" -> links = links(v);
                    case "span_events" -> events = events(v);
                    default -> p.skipChildren();
                }
            }
            budget.charge(DecodeBudget.SPAN);
            return new Span(service, name, resource, traceId, spanId, parentId, start, duration, error, meta, metrics,
                    type, metaStruct, links, events);
        }

        private List<SpanLink> links(JsonToken t) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_ARRAY, "an array of span links");
            List<SpanLink> links = new ArrayList<>();
            while ((t = next()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                expect(t, JsonToken.START_OBJECT, "a span link");
                long traceId = 0;
                long traceIdHigh = 0;
                long spanId = 0;
                Map<String, String> attributes = null;
                String tracestate = "";
                int flags = 0;
                for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                    String key = foldAscii(p.currentName());
                    JsonToken v = next();
                    switch (key) {
                        case "trace_id" -> traceId = uint64(v, traceId, key);
                        case "trace_id_high" -> traceIdHigh = uint64(v, traceIdHigh, key);
                        case "span_id" -> spanId = uint64(v, spanId, key);
                        case "attributes" -> attributes = stringMap(v, attributes, key);
                        case "tracestate" -> tracestate = string(v, tracestate, key);
                        case "flags" -> flags = uint32(v, flags, key);
                        default -> p.skipChildren();
                    }
                }
                budget.charge(DecodeBudget.OBJECT);
                links.add(new SpanLink(traceId, traceIdHigh, spanId, attributes, tracestate, flags));
            }
            return links;
        }

        private List<SpanEvent> events(JsonToken t) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_ARRAY, "an array of span events");
            List<SpanEvent> events = new ArrayList<>();
            while ((t = next()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                expect(t, JsonToken.START_OBJECT, "a span event");
                long time = 0;
                String name = "";
                Map<String, AttributeValue> attributes = null;
                for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                    String key = foldAscii(p.currentName());
                    JsonToken v = next();
                    switch (key) {
                        case "time_unix_nano" -> time = uint64(v, time, key);
                        case "name" -> name = string(v, name, key);
                        case "attributes" -> attributes = attributes(v, attributes);
                        default -> p.skipChildren();
                    }
                }
                budget.charge(DecodeBudget.OBJECT);
                events.add(new SpanEvent(time, name, attributes));
            }
            return events;
        }

        private Map<String, AttributeValue> attributes(JsonToken t, Map<String, AttributeValue> into)
                throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_OBJECT, "a map of attributes");
            Map<String, AttributeValue> map = into == null ? new HashMap<>() : into;
            for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                String key = text(p.currentName());
                JsonToken v = next();
                if (v == JsonToken.VALUE_NULL) {
                    map.remove(key);
                    continue;
                }
                expect(v, JsonToken.START_OBJECT, "an attribute value");
                AttributeValue value = attribute(true);
                if (value == null) {
                    map.remove(key);
                } else {
                    budget.charge(DecodeBudget.MAP_ENTRY);
                    map.put(key, value);
                }
            }
            return map;
        }

        /** After its START_OBJECT; null for a type the format does not define. */
        private AttributeValue attribute(boolean arrayAllowed) throws IOException, TraceDecodeException {
            int type = 0;
            String string = "";
            boolean bool = false;
            long integer = 0;
            double dbl = 0;
            List<AttributeValue> array = null;
            for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                String key = foldAscii(p.currentName());
                JsonToken v = next();
                switch (key) {
                    case "type" -> type = int32(v, type, key);
                    case "string_value" -> string = string(v, string, key);
                    case "bool_value" -> bool = bool(v, bool, key);
                    case "int_value" -> integer = int64(v, integer, key);
                    case "double_value" -> dbl = float64(v, dbl, key);
                    case "array_value" -> {
                        if (arrayAllowed) {
                            array = attributeArray(v);
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            int types = arrayAllowed ? ATTRIBUTE_TYPES.length : ATTRIBUTE_TYPES.length - 1;
            if (type < 0 || type >= types) {
                return null;
            }
            budget.charge(DecodeBudget.OBJECT);
            return new AttributeValue(ATTRIBUTE_TYPES[type], string, bool, integer, dbl, array);
        }

        private List<AttributeValue> attributeArray(JsonToken t) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_OBJECT, "an array value");
            List<AttributeValue> values = null;
            for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                String key = foldAscii(p.currentName());
                JsonToken v = next();
                if (!key.equals("values")) {
                    p.skipChildren();
                    continue;
                }
                if (v == JsonToken.VALUE_NULL) {
                    values = null;
                    continue;
                }
                expect(v, JsonToken.START_ARRAY, "an array of values");
                values = new ArrayList<>();
                while ((v = next()) != JsonToken.END_ARRAY) {
                    if (v == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    expect(v, JsonToken.START_OBJECT, "an attribute value");
                    AttributeValue value = attribute(false);
                    if (value != null) {
                        values.add(value);
                    }
                }
            }
            return values;
        }

        private Map<String, String> stringMap(JsonToken t, Map<String, String> into, String field)
                throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_OBJECT, "an object for " + field);
            Map<String, String> map = into == null ? new HashMap<>() : into;
            for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                String key = text(p.currentName());
                budget.charge(DecodeBudget.MAP_ENTRY);
                map.put(key, string(next(), "", field));
            }
            return map;
        }

        private Map<String, Double> metrics(JsonToken t, Map<String, Double> into)
                throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_OBJECT, "an object for metrics");
            Map<String, Double> map = into == null ? new HashMap<>() : into;
            for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                String key = text(p.currentName());
                budget.charge(DecodeBudget.MAP_ENTRY);
                map.put(key, float64(next(), 0, "metrics"));
            }
            return map;
        }

        private Map<String, byte[]> metaStruct(JsonToken t, Map<String, byte[]> into)
                throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(t, JsonToken.START_OBJECT, "an object for meta_struct");
            Map<String, byte[]> map = into == null ? new HashMap<>() : into;
            for (JsonToken f = next(); f == JsonToken.FIELD_NAME; f = next()) {
                String key = text(p.currentName());
                JsonToken v = next();
                byte[] value = NO_BYTES;
                if (v != JsonToken.VALUE_NULL) {
                    expect(v, JsonToken.VALUE_STRING, "a base64 string for meta_struct");
                    value = base64(p.getText());
                }
                budget.charge(DecodeBudget.MAP_ENTRY + DecodeBudget.BYTES + value.length);
                map.put(key, value);
            }
            return map;
        }

        private byte[] base64(String text) throws TraceDecodeException {
            String s = text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0
                    ? text.replace("\r", "").replace("\n", "") : text;
            if (s.length() % 4 != 0) {
                throw error("meta_struct value is not padded base64");
            }
            try {
                return Base64.getDecoder().decode(s);
            } catch (IllegalArgumentException e) {
                throw error("meta_struct value is not base64: " + e.getMessage());
            }
        }

        private String string(JsonToken t, String current, String field) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_STRING) {
                return text(p.getText());
            }
            if (t == JsonToken.VALUE_NULL) {
                return current;
            }
            throw typeError("a string", field, t);
        }

        private String text(String s) throws TraceDecodeException {
            budget.charge(DecodeBudget.STRING + (long) s.length());
            return Utf8.replaceLoneSurrogates(s);
        }

        private long uint64(JsonToken t, long current, String field) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return current;
            }
            String literal = integerLiteral(t, field);
            try {
                return Long.parseUnsignedLong(literal);
            } catch (NumberFormatException e) {
                throw outOfRange(literal, "uint64", field);
            }
        }

        private long int64(JsonToken t, long current, String field) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return current;
            }
            String literal = integerLiteral(t, field);
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) {
                throw outOfRange(literal, "int64", field);
            }
        }

        private int int32(JsonToken t, int current, String field) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return current;
            }
            String literal = integerLiteral(t, field);
            try {
                return Integer.parseInt(literal);
            } catch (NumberFormatException e) {
                throw outOfRange(literal, "int32", field);
            }
        }

        private int uint32(JsonToken t, int current, String field) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return current;
            }
            String literal = integerLiteral(t, field);
            try {
                return Integer.parseUnsignedInt(literal);
            } catch (NumberFormatException e) {
                throw outOfRange(literal, "uint32", field);
            }
        }

        private double float64(JsonToken t, double current, String field) throws IOException, TraceDecodeException {
            if (t == JsonToken.VALUE_NULL) {
                return current;
            }
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw typeError("a number", field, t);
            }
            String literal = p.getText();
            double v = Double.parseDouble(literal);
            if (Double.isInfinite(v)) {
                throw outOfRange(literal, "float64", field);
            }
            return v;
        }

        private boolean bool(JsonToken t, boolean current, String field) throws TraceDecodeException {
            return switch (t) {
                case VALUE_TRUE -> true;
                case VALUE_FALSE -> false;
                case VALUE_NULL -> current;
                default -> throw typeError("a boolean", field, t);
            };
        }

        private String integerLiteral(JsonToken t, String field) throws IOException, TraceDecodeException {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw typeError("an integer", field, t);
            }
            return p.getText();
        }

        private JsonToken next() throws IOException, TraceDecodeException {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new TraceDecodeException(Reason.UNEXPECTED_EOF, "unexpected end of JSON input at byte "
                        + p.currentLocation().getByteOffset());
            }
            return t;
        }

        private void expect(JsonToken t, JsonToken expected, String what) throws TraceDecodeException {
            if (t != expected) {
                throw error("expected " + what + " at byte " + p.currentTokenLocation().getByteOffset()
                        + ", found " + describe(t));
            }
        }

        private TraceDecodeException typeError(String expected, String field, JsonToken found) {
            return error("expected " + expected + " for " + field + " at byte "
                    + p.currentTokenLocation().getByteOffset() + ", found " + describe(found));
        }

        private TraceDecodeException outOfRange(String literal, String type, String field) {
            String shown = literal.length() > 40 ? literal.substring(0, 40) + "..." : literal;
            return error(shown + " for " + field + " at byte " + p.currentTokenLocation().getByteOffset()
                    + " is not a " + type);
        }

        private static TraceDecodeException error(String message) {
            return new TraceDecodeException(Reason.DECODING_ERROR, message);
        }

        private static String describe(JsonToken t) {
            return switch (t) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "an array";
                case VALUE_STRING -> "a string";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                default -> String.valueOf(t.asString());
            };
        }
    }

    /** {@code key} with ASCII capitals lowered: Go matches JSON keys to struct fields whatever their case. */
    static String foldAscii(String key) {
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] chars = key.toCharArray();
                for (int j = i; j < chars.length; j++) {
                    if (chars[j] >= 'A' && chars[j] <= 'Z') {
                        chars[j] += 'a' - 'A';
                    }
                }
                return new String(chars);
            }
        }
        return key;
    }
}
