package io.pilotfish.sink.datadog.sketches;

import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.util.Map;
import java.util.TreeMap;

/** Test sketches built from raw values with the Agent's key mapping (gamma 1.015625, bias 1338). */
final class Sketches {

    private static final double LN_GAMMA = Math.log1p(2.0 / 128);
    private static final double MIN_VALUE = 1e-9;

    private Sketches() {
    }

    /** The Agent's key of a value: {@code roundHalfEven(ln(v) / ln(gamma)) + 1338}, mirrored for negatives. */
    static int key(double value) {
        if (value < 0) {
            return -key(-value);
        }
        if (value < MIN_VALUE) {
            return 0;
        }
        return (int) Math.rint(Math.log(value) / LN_GAMMA) + Sketch.BIAS;
    }

    static Sketch of(String name, long timestamp, TagSet tags, String host, double... values) {
        Map<Integer, Integer> bins = new TreeMap<>();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (double value : values) {
            bins.merge(key(value), 1, Integer::sum);
            min = Math.min(min, value);
            max = Math.max(max, value);
            sum += value;
        }
        int[] keys = bins.keySet().stream().mapToInt(Integer::intValue).toArray();
        int[] counts = bins.values().stream().mapToInt(Integer::intValue).toArray();
        return new Sketch(name, timestamp, tags, host, values.length, min, max, sum, keys, counts);
    }

    static Sketch of(String name, long timestamp, String... tags) {
        return of(name, timestamp, TagSet.of(tags), "", 1, 2, 3, 4, 100);
    }
}
