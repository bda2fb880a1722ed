package io.pilotfish.agent.doctor;

/** Outcome of one check. Only {@link #FAIL} makes {@code pilotfish doctor} exit non-zero. */
public enum CheckStatus {
    PASS, WARN, FAIL, SKIP
}
