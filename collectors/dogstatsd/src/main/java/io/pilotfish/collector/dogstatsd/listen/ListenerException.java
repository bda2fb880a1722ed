package io.pilotfish.collector.dogstatsd.listen;

/** A listener could not start. The message names the listener, its address and what to change. */
public final class ListenerException extends RuntimeException {

    public ListenerException(String message) {
        super(message);
    }

    public ListenerException(String message, Throwable cause) {
        super(message, cause);
    }
}
