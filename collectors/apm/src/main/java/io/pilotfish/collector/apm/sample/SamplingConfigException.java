package io.pilotfish.collector.apm.sample;

/**
 * A sampling setting that cannot be used. The message names the setting (the {@code DD_APM_*} variable when it came
 * from one), quotes the value and says what would be accepted.
 */
public final class SamplingConfigException extends IllegalArgumentException {

    private final String setting;

    SamplingConfigException(String setting, String message) {
        super(setting + ": " + message);
        this.setting = setting;
    }

    /** The variable or setting at fault, e.g. {@code DD_APM_MAX_TPS}. */
    public String setting() {
        return setting;
    }
}
