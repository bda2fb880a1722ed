package io.pilotfish.agent;

/** The agent's version, reported in User-Agent and self-telemetry. */
public final class Version {

    public static final String VALUE = "0.1.0";

    private Version() {
    }
}
