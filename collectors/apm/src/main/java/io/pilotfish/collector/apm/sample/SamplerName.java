package io.pilotfish.collector.apm.sample;

/**
 * Which sampler decided a chunk's fate, named as the Agent tags its {@code datadog.trace_agent.sampler.kept} and
 * {@code .seen} counts ({@code sampler:<name>}).
 */
public enum SamplerName {
    PRIORITY("priority"),
    NO_PRIORITY("no_priority"),
    ERROR("error"),
    RARE("rare"),
    PROBABILISTIC("probabilistic");

    private final String tagValue;

    SamplerName(String tagValue) {
        this.tagValue = tagValue;
    }

    /** The Agent's name, e.g. {@code no_priority}. */
    public String tagValue() {
        return tagValue;
    }
}
