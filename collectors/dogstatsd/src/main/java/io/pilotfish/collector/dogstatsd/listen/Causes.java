package io.pilotfish.collector.dogstatsd.listen;

/** Short descriptions of exceptions for problem reports and start-up errors. */
final class Causes {

    private Causes() {
    }

    /** The exception's message, or its class name when it has none. */
    static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
