package io.pilotfish.core.http;

import io.pilotfish.spi.SafeText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A response body refused because it is longer than the limit of its route: said by its {@code Content-Length}
 * before a byte was read, or found while streaming one of unknown length, in which case reading stopped at the limit.
 * Retrying cannot help (the peer would answer the same), so callers do not.
 */
public final class BodyTooLargeException extends IOException {

    private static final int EXCERPT_BYTES = 80;

    private final long limit;
    private final long declaredLength;
    private final long bytesRead;

    /**
     * @param what           what was read, for the message: {@code "GET http://…/task/stats"}
     * @param limit          the route's limit in bytes
     * @param declaredLength the {@code Content-Length} the peer sent, or -1 when it sent none (chunked)
     * @param bytesRead      how many bytes were read before the refusal
     * @param start          the first bytes read (may be empty), quoted escaped and cut in the message
     */
    public BodyTooLargeException(String what, long limit, long declaredLength, long bytesRead, byte[] start) {
        super(message(what, limit, declaredLength, bytesRead, start));
        this.limit = limit;
        this.declaredLength = declaredLength;
        this.bytesRead = bytesRead;
    }

    /** The limit that was exceeded, in bytes. */
    public long limit() {
        return limit;
    }

    /** The {@code Content-Length} the peer announced, or -1 when the length was unknown. */
    public long declaredLength() {
        return declaredLength;
    }

    /** Bytes read before reading stopped: 0 when the announced length alone was enough to refuse. */
    public long bytesRead() {
        return bytesRead;
    }

    /** The refusal in a failure's cause chain (HTTP clients wrap what a body subscriber or stream threw). */
    public static Optional<BodyTooLargeException> in(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BodyTooLargeException refused) {
                return Optional.of(refused);
            }
        }
        return Optional.empty();
    }

    /** {@code 4 MiB}, {@code 64 KiB}, {@code 100 bytes}: limits are read by people. */
    public static String size(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }

    private static String message(String what, long limit, long declaredLength, long bytesRead, byte[] start) {
        StringBuilder out = new StringBuilder(what).append(" refused: the answer is larger than the limit of ")
                .append(size(limit));
        if (declaredLength >= 0) {
            out.append(" (Content-Length: ").append(declaredLength).append(')');
        } else {
            out.append(" (no Content-Length; reading stopped after ").append(bytesRead).append(" bytes)");
        }
        if (start != null && start.length > 0) {
            int shown = Math.min(start.length, EXCERPT_BYTES);
            String text = new String(start, 0, shown, StandardCharsets.UTF_8);
            out.append(", starting ").append(SafeText.quote(text, EXCERPT_BYTES));
        }
        return out.toString();
    }
}
