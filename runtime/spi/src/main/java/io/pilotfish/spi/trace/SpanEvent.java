package io.pilotfish.spi.trace;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Something that happened during a span, e.g. an exception ({@code pb.SpanEvent}).
 *
 * @param timeUnixNano when, in nanoseconds since the epoch (1, fixed64)
 * @param name         (2)
 * @param attributes   typed attributes (3)
 */
public record SpanEvent(long timeUnixNano, String name, Map<String, AttributeValue> attributes) {

    public SpanEvent {
        name = name == null ? "" : name;
        attributes = attributes == null || attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(attributes);
    }

    int estimatedBytes() {
        long bytes = 48 + name.length();
        for (Map.Entry<String, AttributeValue> e : attributes.entrySet()) {
            bytes += 48 + e.getKey().length() + e.getValue().estimatedBytes();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** The kinds of {@link AttributeValue}, numbered as {@code pb.AttributeAnyValue.AttributeAnyValueType}. */
    public enum AttributeType { STRING, BOOL, INT, DOUBLE, ARRAY }

    /**
     * One typed attribute value ({@code pb.AttributeAnyValue}); only the field of its {@code type} is meaningful.
     * An array's elements are never arrays themselves.
     */
    public record AttributeValue(AttributeType type, String stringValue, boolean boolValue, long intValue,
                                 double doubleValue, List<AttributeValue> arrayValue) {

        public AttributeValue {
            Objects.requireNonNull(type, "type");
            stringValue = stringValue == null ? "" : stringValue;
            arrayValue = arrayValue == null || arrayValue.isEmpty() ? List.of()
                    : Collections.unmodifiableList(arrayValue);
        }

        public static AttributeValue of(String value) {
            return new AttributeValue(AttributeType.STRING, value, false, 0, 0, null);
        }

        public static AttributeValue of(boolean value) {
            return new AttributeValue(AttributeType.BOOL, null, value, 0, 0, null);
        }

        public static AttributeValue of(long value) {
            return new AttributeValue(AttributeType.INT, null, false, value, 0, null);
        }

        public static AttributeValue of(double value) {
            return new AttributeValue(AttributeType.DOUBLE, null, false, 0, value, null);
        }

        int estimatedBytes() {
            long bytes = 40 + stringValue.length();
            for (AttributeValue v : arrayValue) {
                bytes += v.estimatedBytes();
            }
            return (int) Math.min(Integer.MAX_VALUE, bytes);
        }
    }
}
