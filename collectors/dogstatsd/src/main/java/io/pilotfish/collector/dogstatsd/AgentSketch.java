package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The Datadog Agent's quantile sketch for DogStatsD distributions (not sketches-java's DDSketch): logarithmic
 * bins of relative width {@code gamma = 1 + 2/128 = 1.015625}, so any quantile is known within 1/128 of its value.
 * A value {@code v} goes to key {@code roundHalfEven(ln v / ln gamma) + 1338}; values closer to zero than about
 * 9.94e-10 go to key 0, negative values to the negated key, values beyond the largest finite key (32766) to 32767. The bins
 * sent hold at most 65,535 each (a busier key is sent as several bins with the same key) and there are at most
 * 4,096 of them: beyond that, the lowest bins are merged into the first one kept, as the Agent trims them. Count,
 * min, max and sum are exact.
 */
public final class AgentSketch {

    static final double RELATIVE_ACCURACY = 1.0 / 128;
    static final double GAMMA = Sketch.GAMMA;
    static final double LN_GAMMA = Math.log1p(2 * RELATIVE_ACCURACY);
    static final double MIN_VALUE = 1e-9;
    /** Keeps every key of a value at or above {@link #MIN_VALUE} at 1 or more: 1338. */
    static final int BIAS = 1 - (int) Math.floor(Math.log(MIN_VALUE) / LN_GAMMA);
    /** Values below the lower bound of key 1 (about 9.94e-10) count as zero. */
    static final double SMALLEST = Math.pow(GAMMA, 1 - BIAS);
    static final int MAX_KEY = 32766;
    static final int INF_KEY = Sketch.INFINITE_KEY;
    static final int BIN_LIMIT = 4096;
    static final int MAX_BIN_COUNT = 65_535;

    /** The bins as sent: keys ascending (repeated for split bins), each with its count. */
    public record Bins(int[] keys, int[] counts) {
    }

    /** A bin's heap cost while it is being filled: its map node, boxed key, count holder and table slot. */
    static final long BIN_HEAP_BYTES = 88;

    private final Map<Integer, long[]> counts = new HashMap<>();
    private long count;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private double sum;

    /** Distinct keys held now (before the 4,096-bin trim applied when sent). */
    int binsHeld() {
        return counts.size();
    }

    /** Adds {@code value} {@code times} times. */
    public void add(double value, long times) {
        insert(value, times, times);
    }

    /**
     * Adds a sampled value of weight {@code 1 / rate}, as the Agent's sketch does: its bin and the count take the
     * weight's whole part, the sum the whole weight (a rate of 0.3 counts 3 and adds 3.33 times the value).
     */
    public void addWeighted(double value, double weight) {
        insert(value, (long) weight, weight);
    }

    private void insert(double value, long times, double weight) {
        if (times <= 0) {
            return;
        }
        counts.computeIfAbsent(key(value), k -> new long[1])[0] += times;
        count += times;
        sum += value * weight;
        min = Math.min(min, value);
        max = Math.max(max, value);
    }

    /** Adds every value of {@code other}, as if they had been added here. */
    public void merge(AgentSketch other) {
        other.counts.forEach((key, total) -> counts.computeIfAbsent(key, k -> new long[1])[0] += total[0]);
        count += other.count;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    public long count() {
        return count;
    }

    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    public double sum() {
        return sum;
    }

    public double average() {
        return count == 0 ? 0 : sum / count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    static int key(double value) {
        if (value < 0) {
            return -key(-value);
        }
        if (value < SMALLEST) {
            return 0;
        }
        double exponent = Math.rint(Math.log(value) / LN_GAMMA); // rint rounds half to even, as the Agent does
        if (exponent + BIAS > MAX_KEY) {
            return INF_KEY;
        }
        return (int) Math.max(1, exponent + BIAS);
    }

    /** The lower bound of a key's bin: {@code gamma^(key - 1338)}. */
    static double lowerBound(int key) {
        return Sketch.lowerBound(key);
    }

    /** The bins to send, split at 65,535 and limited to 4,096 (plus the split-off remainders) as the Agent does. */
    public Bins bins() {
        int[] keys = counts.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        long[] totals = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            totals[i] = counts.get(keys[i])[0];
        }
        if (keys.length > BIN_LIMIT) {
            // Merge the lowest bins into the first one kept: the low end loses resolution, the high end never.
            int remove = keys.length - BIN_LIMIT;
            long merged = 0;
            for (int i = 0; i < remove; i++) {
                merged += totals[i];
            }
            keys = Arrays.copyOfRange(keys, remove, keys.length);
            totals = Arrays.copyOfRange(totals, remove, totals.length);
            totals[0] += merged;
        }
        int entries = 0;
        for (long total : totals) {
            entries += (int) ((total + MAX_BIN_COUNT - 1) / MAX_BIN_COUNT);
        }
        int[] outKeys = new int[entries];
        int[] outCounts = new int[entries];
        int at = 0;
        for (int i = 0; i < keys.length; i++) {
            long left = totals[i];
            while (left > 0) {
                int part = (int) Math.min(left, MAX_BIN_COUNT);
                outKeys[at] = keys[i];
                outCounts[at] = part;
                at++;
                left -= part;
            }
        }
        return new Bins(outKeys, outCounts);
    }

    /** The value at quantile {@code q}, estimated as Datadog does from the bins ({@link Sketch#quantile}). */
    public double quantile(double q) {
        return toSignal("", 0, TagSet.EMPTY, "").quantile(q);
    }

    /** This sketch as the signal sent for one series and bucket. */
    public Sketch toSignal(String name, long timestamp, TagSet tags, String host) {
        Bins bins = bins();
        return new Sketch(name, timestamp, tags, host, count, min, max, sum, bins.keys(), bins.counts());
    }
}
