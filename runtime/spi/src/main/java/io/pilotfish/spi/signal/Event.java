package io.pilotfish.spi.signal;

import java.util.Objects;

/**
 * A Datadog event (container started, stopped, OOM-killed, ...).
 *
 * @param timestamp epoch seconds
 */
public record Event(String title, String text, long timestamp, AlertType alertType, Priority priority,
                    String sourceTypeName, String aggregationKey, TagSet tags, String host) implements Signal {

    public enum AlertType { INFO, WARNING, ERROR, SUCCESS }

    public enum Priority { NORMAL, LOW }

    public Event {
        Objects.requireNonNull(title, "title");
        text = text == null ? "" : text;
        Objects.requireNonNull(alertType, "alertType");
        Objects.requireNonNull(priority, "priority");
        sourceTypeName = sourceTypeName == null ? "" : sourceTypeName;
        aggregationKey = aggregationKey == null ? "" : aggregationKey;
        Objects.requireNonNull(tags, "tags");
        host = host == null ? "" : host;
    }

    @Override
    public SignalKind kind() {
        return SignalKind.EVENT;
    }

    @Override
    public int estimatedBytes() {
        return 96 + title.length() + text.length() + sourceTypeName.length() + aggregationKey.length()
                + tags.encodedLength() + host.length();
    }
}
