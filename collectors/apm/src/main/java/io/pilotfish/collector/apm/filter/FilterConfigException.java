package io.pilotfish.collector.apm.filter;

/**
 * A trace filter or tag replacement setting that cannot be used. The message names the variable, quotes the value
 * and says how to write it, so that the task definition can be fixed from the log line alone.
 */
public final class FilterConfigException extends IllegalArgumentException {

    private final String variable;

    FilterConfigException(String variable, String message) {
        super(variable + ": " + message);
        this.variable = variable;
    }

    /** The environment variable at fault, e.g. {@code DD_APM_REPLACE_TAGS}. */
    public String variable() {
        return variable;
    }
}
