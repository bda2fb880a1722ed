package io.pilotfish.spi.signal;

import java.util.Arrays;
import java.util.Objects;

/**
 * One distribution point in the Datadog Agent's sketch form, as DogStatsD {@code d} metrics are sent to Datadog
 * ({@code /api/beta/sketches}). Bins use the Agent's key space: a bin of key {@code k > 0} holds values from
 * {@code gamma^(k - 1338)} up to {@code gamma} times that, with {@code gamma = 1.015625}; key 0 holds values near
 * zero, negative keys the negated values, and {@code ±32767} the infinities. Count, min, max and sum are exact.
 *
 * @param name      metric name
 * @param timestamp epoch seconds the point belongs to (its 10-second bucket's start)
 * @param tags      tags of the series
 * @param host      host the point is attributed to, or empty (Fargate has no host)
 * @param count     number of values
 * @param min       smallest value
 * @param max       largest value
 * @param sum       sum of the values
 * @param keys      bin keys, ascending; a key may repeat when its bin holds more than 65,535
 * @param counts    the count of each bin, as many as {@code keys}
 */
public record Sketch(String name, long timestamp, TagSet tags, String host, long count, double min, double max,
                     double sum, int[] keys, int[] counts) implements Signal {

    /** The growth factor between bins: a relative accuracy of 1/128. */
    public static final double GAMMA = 1 + 2.0 / 128;
    /** The key of the value 1. */
    public static final int BIAS = 1338;
    /** The key that stands for an infinite value. */
    public static final int INFINITE_KEY = 32767;

    public Sketch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tags, "tags");
        host = host == null ? "" : host;
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(counts, "counts");
        if (keys.length != counts.length) {
            throw new IllegalArgumentException("keys and counts differ in length: " + keys.length + " and "
                    + counts.length);
        }
        keys = keys.clone();
        counts = counts.clone();
    }

    /** The mean of the values. */
    public double avg() {
        return count == 0 ? 0 : sum / count;
    }

    @Override
    public int[] keys() {
        return keys.clone();
    }

    @Override
    public int[] counts() {
        return counts.clone();
    }

    public Sketch withTags(TagSet newTags) {
        return new Sketch(name, timestamp, newTags, host, count, min, max, sum, keys, counts);
    }

    /**
     * The value at quantile {@code q} (0 to 1), estimated as Datadog estimates it from the bins: the rank
     * {@code roundHalfEven(q * (count - 1))}, interpolated within its bin, kept within the exact min and max.
     */
    public double quantile(double q) {
        if (count == 0) {
            return 0;
        }
        if (q <= 0) {
            return min;
        }
        if (q >= 1) {
            return max;
        }
        double wanted = Math.rint(q * (count - 1));
        double seen = 0;
        for (int i = 0; i < keys.length; i++) {
            seen += counts[i];
            if (seen <= wanted) {
                continue;
            }
            double weight = (seen - wanted) / counts[i];
            double low = i == 0 ? min : lowerBound(keys[i]);
            double high = lowerBound(keys[i]) * GAMMA;
            // A bin is wider than the values in it: never answer outside what was seen.
            return Math.max(min, Math.min(max, low * weight + high * (1 - weight)));
        }
        return max;
    }

    /** The lower bound of a key's bin: {@code gamma^(key - 1338)}, mirrored for negative keys, 0 for key 0. */
    public static double lowerBound(int key) {
        if (key < 0) {
            return -lowerBound(-key);
        }
        if (key == 0) {
            return 0;
        }
        if (key >= INFINITE_KEY) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.pow(GAMMA, key - BIAS);
    }

    @Override
    public SignalKind kind() {
        return SignalKind.SKETCH;
    }

    @Override
    public int estimatedBytes() {
        return 96 + name.length() + tags.encodedLength() + host.length() + 8 * keys.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sketch other && name.equals(other.name) && timestamp == other.timestamp
                && tags.equals(other.tags) && host.equals(other.host) && count == other.count
                && Double.compare(min, other.min) == 0 && Double.compare(max, other.max) == 0
                && Double.compare(sum, other.sum) == 0 && Arrays.equals(keys, other.keys)
                && Arrays.equals(counts, other.counts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, timestamp, tags, host, count, Arrays.hashCode(keys), Arrays.hashCode(counts));
    }

    @Override
    public String toString() {
        return "Sketch[" + name + " " + tags + " @" + timestamp + " count=" + count + " min=" + min + " max=" + max
                + " sum=" + sum + " bins=" + keys.length + "]";
    }
}
