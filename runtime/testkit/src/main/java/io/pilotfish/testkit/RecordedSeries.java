package io.pilotfish.testkit;

import io.pilotfish.spi.signal.MetricOrigin;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One series of a {@code POST /api/v2/series} JSON body.
 *
 * @param type     intake type: 0 unspecified, 1 count, 2 rate, 3 gauge
 * @param interval seconds, 0 when absent
 * @param unit     empty when absent
 * @param origin   {@code metadata.origin} read from {@code origin_product}, {@code origin_sub_product} and
 *                 {@code origin_product_detail} (the Agent's product, category and service);
 *                 {@link MetricOrigin#UNSPECIFIED} when absent
 */
public record RecordedSeries(String metric, int type, long interval, List<Point> points, List<String> tags,
                             List<Resource> resources, String unit, MetricOrigin origin) {

    public static final int UNSPECIFIED = 0;
    public static final int COUNT = 1;
    public static final int RATE = 2;
    public static final int GAUGE = 3;

    public RecordedSeries {
        Objects.requireNonNull(metric, "metric");
        points = List.copyOf(points);
        tags = List.copyOf(tags);
        resources = List.copyOf(resources);
        unit = unit == null ? "" : unit;
        origin = origin == null ? MetricOrigin.UNSPECIFIED : origin;
    }

    /** A series sent without {@code metadata.origin}. */
    public RecordedSeries(String metric, int type, long interval, List<Point> points, List<String> tags,
                          List<Resource> resources, String unit) {
        this(metric, type, interval, points, tags, resources, unit, MetricOrigin.UNSPECIFIED);
    }

    /** @param timestamp epoch seconds */
    public record Point(long timestamp, double value) {
    }

    public record Resource(String name, String type) {
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

    /** The name of the {@code host} resource, if any. */
    public Optional<String> host() {
        return resources.stream().filter(r -> "host".equals(r.type())).map(Resource::name).findFirst();
    }

    /** The value of the last point. */
    public double lastValue() {
        if (points.isEmpty()) {
            throw new IllegalStateException("series " + metric + " has no points");
        }
        return points.get(points.size() - 1).value();
    }
}
