package io.pilotfish.collector.containerstats;

/** The {@code /task/stats} body as a whole could not be used: not JSON, or not an object keyed by container id. */
public final class MalformedStatsException extends RuntimeException {

    public MalformedStatsException(String message) {
        super(message);
    }
}
