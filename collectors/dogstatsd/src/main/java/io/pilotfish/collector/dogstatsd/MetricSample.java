package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.signal.TagSet;
import java.util.Objects;

/**
 * One metric message: every value it packs ({@code name:1:2:3|c}) shares its type, rate, tags and origin.
 *
 * @param values     the values; empty for a set
 * @param setMember  the raw value of a set message (sets count distinct members); empty otherwise
 * @param sampleRate in (0, 1]; 1 when not given
 * @param timestamp  epoch seconds from {@code T}, or 0: such samples bypass aggregation
 */
public record MetricSample(String name, StatsdType type, double[] values, String setMember, double sampleRate,
                           TagSet tags, long timestamp, Origin origin) {

    public MetricSample {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(setMember, "setMember");
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(origin, "origin");
    }

    public boolean timestamped() {
        return timestamp > 0;
    }
}
