package io.pilotfish.testkit;

import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code Sketch} of a {@code POST /api/beta/sketches} protobuf body: a distribution series and its points
 * ({@code Dogsketch}es). {@link Point#toSignal()} turns a point back into the SPI {@link Sketch}, so a test can ask
 * for its quantiles.
 *
 * @param host   empty when the sketch has none (Fargate)
 * @param tags   as sent, in order
 * @param points the {@code dogsketches}, in the order sent
 * @param origin {@code metadata.origin} (product, category, service), {@link MetricOrigin#UNSPECIFIED} when absent
 */
public record RecordedSketch(String metric, String host, List<String> tags, List<Point> points,
                             MetricOrigin origin) {

    public RecordedSketch {
        Objects.requireNonNull(metric, "metric");
        host = host == null ? "" : host;
        origin = origin == null ? MetricOrigin.UNSPECIFIED : origin;
        tags = List.copyOf(tags);
        String series = metric;
        String pointHost = host;
        TagSet tagSet = TagSet.of(tags);
        // Each point knows its series, so toSignal() can rebuild the whole SPI sketch.
        points = points.stream().map(p -> p.of(series, pointHost, tagSet)).toList();
    }

    /** A sketch sent without {@code metadata}. */
    public RecordedSketch(String metric, String host, List<String> tags, List<Point> points) {
        this(metric, host, tags, points, MetricOrigin.UNSPECIFIED);
    }

    /** Whether every given {@code key:value} tag is present. */
    public boolean hasTags(String... required) {
        return tags.containsAll(List.of(required));
    }

    /** The value of the first {@code key:value} tag with this key. */
    public Optional<String> tag(String key) {
        String prefix = key + ":";
        return tags.stream().filter(t -> t.startsWith(prefix)).map(t -> t.substring(prefix.length())).findFirst();
    }

    /** The last point sent. */
    public Point lastPoint() {
        if (points.isEmpty()) {
            throw new IllegalStateException("sketch " + metric + " has no points");
        }
        return points.get(points.size() - 1);
    }

    /**
     * One {@code Dogsketch}: a 10-second bucket's distribution. Equality is by the values on the wire; the series it
     * belongs to only serves {@link #toSignal()}.
     */
    public static final class Point {

        private final long ts;
        private final long cnt;
        private final double min;
        private final double max;
        private final double avg;
        private final double sum;
        private final int[] keys;
        private final int[] counts;
        private final String metric;
        private final String host;
        private final TagSet tags;

        /**
         * @param ts     epoch seconds
         * @param keys   bin keys ({@code k}), in the Agent's key space
         * @param counts the count of each bin ({@code n}), as many as {@code keys}
         */
        public Point(long ts, long cnt, double min, double max, double avg, double sum, int[] keys, int[] counts) {
            this(ts, cnt, min, max, avg, sum, keys, counts, null, "", TagSet.EMPTY);
        }

        private Point(long ts, long cnt, double min, double max, double avg, double sum, int[] keys, int[] counts,
                      String metric, String host, TagSet tags) {
            Objects.requireNonNull(keys, "keys");
            Objects.requireNonNull(counts, "counts");
            if (keys.length != counts.length) {
                throw new IllegalArgumentException(keys.length + " keys but " + counts.length + " counts");
            }
            this.ts = ts;
            this.cnt = cnt;
            this.min = min;
            this.max = max;
            this.avg = avg;
            this.sum = sum;
            this.keys = keys.clone();
            this.counts = counts.clone();
            this.metric = metric;
            this.host = host;
            this.tags = tags;
        }

        private Point of(String series, String seriesHost, TagSet seriesTags) {
            return new Point(ts, cnt, min, max, avg, sum, keys, counts, series, seriesHost, seriesTags);
        }

        /** Epoch seconds: the start of the point's 10-second bucket. */
        public long ts() {
            return ts;
        }

        public long cnt() {
            return cnt;
        }

        public double min() {
            return min;
        }

        public double max() {
            return max;
        }

        public double avg() {
            return avg;
        }

        public double sum() {
            return sum;
        }

        public int[] keys() {
            return keys.clone();
        }

        public int[] counts() {
            return counts.clone();
        }

        /**
         * The SPI sketch this point describes (name, tags and host of its series; {@code avg} is not kept: the SPI
         * derives it from sum and count).
         *
         * @throws IllegalStateException for a point built on its own, outside a {@link RecordedSketch}
         */
        public Sketch toSignal() {
            if (metric == null) {
                throw new IllegalStateException("this point belongs to no RecordedSketch, so it has no metric name");
            }
            return new Sketch(metric, ts, tags, host, cnt, min, max, sum, keys, counts);
        }

        /** {@link Sketch#quantile} of {@link #toSignal()}: the value at {@code q} (0 to 1) as Datadog estimates it. */
        public double quantile(double q) {
            return new Sketch("", ts, TagSet.EMPTY, "", cnt, min, max, sum, keys, counts).quantile(q);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Point other && ts == other.ts && cnt == other.cnt
                    && Double.compare(min, other.min) == 0 && Double.compare(max, other.max) == 0
                    && Double.compare(avg, other.avg) == 0 && Double.compare(sum, other.sum) == 0
                    && Arrays.equals(keys, other.keys) && Arrays.equals(counts, other.counts);
        }

        @Override
        public int hashCode() {
            return Objects.hash(ts, cnt, min, max, avg, sum, Arrays.hashCode(keys), Arrays.hashCode(counts));
        }

        @Override
        public String toString() {
            return "Point[ts=" + ts + " cnt=" + cnt + " min=" + min + " max=" + max + " avg=" + avg + " sum=" + sum
                    + " k=" + Arrays.toString(keys) + " n=" + Arrays.toString(counts) + "]";
        }
    }
}
