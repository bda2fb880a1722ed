package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.signal.TagSet;
import java.util.Arrays;
import java.util.Objects;

/**
 * One metric message: every value it packs ({@code name:1:2:3|c}) shares its type, rate, tags and origin.
 *
 * <p>The parser hands its handler one reused instance, refilled for every message, so that half a million lines a
 * second do not cost half a million objects: a handler reads it during the call and keeps {@link #copy()} if it needs
 * the sample later. Instances made with the public constructor are never changed.
 */
public final class MetricSample {

    private static final double[] NO_VALUES = new double[0];

    private String name;
    private StatsdType type;
    private double[] values;
    private int valueCount;
    private String setMember;
    private double sampleRate;
    private TagSet tags;
    private long timestamp;
    private Origin origin;

    /**
     * @param values     the values; empty for a set
     * @param setMember  the raw value of a set message (sets count distinct members); empty otherwise
     * @param sampleRate as sent, any finite number; 1 when not given. How it weighs depends on the type (see
     *                   {@link Aggregator}): counts divide by it, histograms and distributions weigh
     *                   {@code int(1 / rate)}, gauges and sets ignore it
     * @param timestamp  epoch seconds from {@code T}, or 0: such samples bypass aggregation
     */
    public MetricSample(String name, StatsdType type, double[] values, String setMember, double sampleRate,
                        TagSet tags, long timestamp, Origin origin) {
        fill(name, type, values.clone(), values.length, setMember, sampleRate, tags, timestamp, origin);
    }

    /** An empty sample for the parser to refill. */
    MetricSample() {
        this.values = NO_VALUES;
    }

    /** Refills this (the parser's reused) sample; {@code values} is read up to {@code valueCount}, not copied. */
    MetricSample fill(String name, StatsdType type, double[] values, int valueCount, String setMember,
                      double sampleRate, TagSet tags, long timestamp, Origin origin) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.values = Objects.requireNonNull(values, "values");
        this.valueCount = valueCount;
        this.setMember = Objects.requireNonNull(setMember, "setMember");
        this.sampleRate = sampleRate;
        this.tags = Objects.requireNonNull(tags, "tags");
        this.timestamp = timestamp;
        this.origin = Objects.requireNonNull(origin, "origin");
        return this;
    }

    /** A sample of its own, unchanged by the parser's next message. */
    public MetricSample copy() {
        return new MetricSample(name, type, values(), setMember, sampleRate, tags, timestamp, origin);
    }

    public String name() {
        return name;
    }

    public StatsdType type() {
        return type;
    }

    /** How many values the message packs; 0 for a set. */
    public int valueCount() {
        return valueCount;
    }

    /** The {@code index}th value, 0 to {@link #valueCount()} - 1. */
    public double value(int index) {
        Objects.checkIndex(index, valueCount);
        return values[index];
    }

    /** The values, copied. */
    public double[] values() {
        return Arrays.copyOf(values, valueCount);
    }

    public String setMember() {
        return setMember;
    }

    public double sampleRate() {
        return sampleRate;
    }

    public TagSet tags() {
        return tags;
    }

    public long timestamp() {
        return timestamp;
    }

    public Origin origin() {
        return origin;
    }

    public boolean timestamped() {
        return timestamp > 0;
    }

    @Override
    public String toString() {
        return "MetricSample[" + name + ":" + Arrays.toString(values()) + "|" + type + (setMember.isEmpty() ? ""
                : " member=" + setMember) + " @" + sampleRate + " " + tags + (timestamped() ? " T" + timestamp : "")
                + (origin.isEmpty() ? "" : " " + origin) + "]";
    }
}
