package io.pilotfish.spi.signal;

import java.util.Objects;

/**
 * A Datadog service check run.
 *
 * @param timestamp epoch seconds
 */
public record ServiceCheck(String name, Status status, long timestamp, TagSet tags, String message, String host)
        implements Signal {

    /** Status codes as Datadog numbers them. */
    public enum Status {
        OK(0), WARNING(1), CRITICAL(2), UNKNOWN(3);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public ServiceCheck {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(tags, "tags");
        message = message == null ? "" : message;
        host = host == null ? "" : host;
    }

    @Override
    public SignalKind kind() {
        return SignalKind.SERVICE_CHECK;
    }

    @Override
    public int estimatedBytes() {
        return 48 + name.length() + tags.encodedLength() + message.length() + host.length();
    }
}
