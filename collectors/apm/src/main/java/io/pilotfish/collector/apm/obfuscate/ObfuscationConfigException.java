package io.pilotfish.collector.apm.obfuscate;

/**
 * A {@code DD_APM_*} obfuscation setting that cannot be used. The message names the variable, quotes the value and
 * says what would be accepted, so the operator can fix the task definition from the log line alone.
 */
public final class ObfuscationConfigException extends IllegalArgumentException {

    private final String variable;

    ObfuscationConfigException(String variable, String message) {
        super(variable + ": " + message);
        this.variable = variable;
    }

    /** The environment variable at fault, e.g. {@code DD_APM_OBFUSCATION_REDIS_ENABLED}. */
    public String variable() {
        return variable;
    }
}
