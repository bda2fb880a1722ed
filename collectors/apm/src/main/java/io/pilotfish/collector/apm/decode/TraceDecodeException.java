package io.pilotfish.collector.apm.decode;

import io.pilotfish.spi.SafeText;

/**
 * A tracer payload that could not be decoded, with the reason the receiver counts it under. Every reason but
 * {@link Reason#TOO_LARGE} is a 400 for the trace-agent. Thrown for bad input at whatever rate clients send it, so it
 * carries no stack trace.
 */
public final class TraceDecodeException extends Exception {

    private static final int MAX_MESSAGE = 300;

    /** Why a payload was rejected. */
    public enum Reason {
        /**
         * The body ended inside a value, or a declared length (array, map, string) needs more bytes than remain. The
         * trace-agent counts the msgpack case as {@code msgp_short_bytes} (HTTP tag {@code decoding-error}) and the
         * JSON one as {@code unexpected-eof}.
         */
        UNEXPECTED_EOF("unexpected-eof"),
        /** A declared length over {@value MsgpackReader#MAX_DECLARED_LENGTH}: the trace-agent's "too long payload". */
        TOO_LONG("too-long"),
        /** Anything else malformed: a wrong type, a value out of range, a bad dictionary index, invalid JSON. */
        DECODING_ERROR("decoding-error"),
        /**
         * Well-formed, but its decoded form would take more heap than the decoder's budget (tiny encoded values, such
         * as empty spans of one byte each, become objects a hundred times larger). Not a trace-agent reason: answer it
         * as a body over the size limit ({@code 413 payload-too-large}).
         */
        TOO_LARGE("too-large");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        /** A name for metrics and logs, e.g. {@code unexpected-eof}. */
        public String tag() {
            return tag;
        }
    }

    private final Reason reason;

    /** @param message what is wrong and where; escaped here, so it may quote the input */
    public TraceDecodeException(Reason reason, String message) {
        super(safe(message), null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    private static String safe(String message) {
        String cut = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message;
        return SafeText.escape(cut);
    }
}
