package io.pilotfish.collector.dogstatsd.listen;

/**
 * A listener could not start. The message names the listener, its address and what to change. A permanent failure
 * (a path too long for a socket, no epoll, an unknown host) comes from the configuration alone and is not retried;
 * any other (a port or a socket taken, a directory not there yet) may clear on its own, and binding is retried.
 */
public final class ListenerException extends RuntimeException {

    private final boolean permanent;

    public ListenerException(String message) {
        this(message, null, false);
    }

    public ListenerException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private ListenerException(String message, Throwable cause, boolean permanent) {
        super(message, cause);
        this.permanent = permanent;
    }

    /** A failure that only a change of configuration can clear: binding again would fail the same way. */
    static ListenerException permanent(String message) {
        return new ListenerException(message, null, true);
    }

    /** True when retrying cannot help (see {@link #permanent(String)}). */
    public boolean isPermanent() {
        return permanent;
    }
}
