package io.pilotfish.collector.forward;

import io.pilotfish.spi.SafeText;

/**
 * Input the receiver refuses: the connection it came on is closed, and the reason is counted and logged (rate
 * limited). Thrown at whatever rate clients send bad input, so it carries no stack trace.
 */
public final class ForwardException extends Exception {

    private static final int MAX_MESSAGE = 300;

    /** Why input was refused; {@link #tag} names the counter's {@code reason}. */
    public enum Reason {
        /** Not msgpack where msgpack must be: the reserved byte 0xc1, a frame that is not an array. */
        GARBAGE("garbage"),
        /** A value of the wrong type where the protocol wants another (a tag that is not a string, ...). */
        WRONG_TYPE("wrong_type"),
        /** A frame ended inside a value (a value that claims more bytes than its frame holds). */
        TRUNCATED("truncated"),
        /** A declared length (string, array, map) that no frame under {@code max-frame-bytes} can hold. */
        DECLARED_TOO_LONG("declared_too_long"),
        /** A frame larger than {@code max-frame-bytes}. */
        FRAME_TOO_LARGE("frame_too_large"),
        /** A compressed chunk that inflates past {@code max-decompressed-bytes}: a zip bomb, cut there. */
        DECOMPRESSED_TOO_LARGE("decompressed_too_large"),
        /** A compressed chunk that is not gzip, or a {@code compressed} option other than gzip or text. */
        BAD_COMPRESSION("bad_compression"),
        /** Nesting deeper than the receiver reads. */
        TOO_DEEP("too_deep"),
        /** The handshake failed: no PING, a bad shared-key digest. */
        AUTH_FAILED("auth_failed");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    private final Reason reason;

    /** @param message what is wrong and where; escaped here, so it may quote the input */
    public ForwardException(Reason reason, String message) {
        super(SafeText.escape(message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message),
                null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
