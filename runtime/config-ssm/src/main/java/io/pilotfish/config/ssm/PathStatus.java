package io.pilotfish.config.ssm;

/**
 * What happened when one SSM path was read. Never carries a parameter value.
 *
 * @param parameters how many parameters were read under the path
 * @param detail     what happened, for {@code doctor} and status
 * @param fix        what the user should do; empty when nothing is wrong
 */
public record PathStatus(String path, State state, int parameters, String detail, String fix) {

    public enum State { READ, NOT_FOUND, ACCESS_DENIED, THROTTLED, TIMEOUT, UNREACHABLE, FAILED }

    public boolean ok() {
        return state == State.READ || state == State.NOT_FOUND;
    }

    /** One line: {@code /pilotfish/prod: ACCESS_DENIED - ... Fix: ...}. */
    public String describe() {
        return path + ": " + state + " - " + detail + (fix.isEmpty() ? "" : ". Fix: " + fix);
    }

    @Override
    public String toString() {
        return describe();
    }
}
