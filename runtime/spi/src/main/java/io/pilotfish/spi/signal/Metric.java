package io.pilotfish.spi.signal;

import java.util.Objects;

/**
 * One metric point.
 *
 * @param name             metric name, e.g. {@code ecs.fargate.cpu.percent}
 * @param type             intake type
 * @param value            the value (for RATE: per second; for COUNT: the total over the interval)
 * @param timestamp        epoch seconds the point belongs to
 * @param tags             tags of the series
 * @param intervalSeconds  interval for COUNT and RATE; for a GAUGE the bucket it stands for (DogStatsD: 10), or 0
 * @param unit             optional unit name, or empty
 * @param host             host the point is attributed to, or empty (Fargate has no host)
 * @param origin           where Datadog is told the metric comes from ({@link MetricOrigin#UNSPECIFIED} if not said)
 */
public record Metric(String name, MetricType type, double value, long timestamp, TagSet tags, long intervalSeconds,
                     String unit, String host, MetricOrigin origin) implements Signal {

    public Metric {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(tags, "tags");
        unit = unit == null ? "" : unit;
        host = host == null ? "" : host;
        origin = origin == null ? MetricOrigin.UNSPECIFIED : origin;
    }

    /** A point with no origin said. */
    public Metric(String name, MetricType type, double value, long timestamp, TagSet tags, long intervalSeconds,
                  String unit, String host) {
        this(name, type, value, timestamp, tags, intervalSeconds, unit, host, MetricOrigin.UNSPECIFIED);
    }

    public static Metric gauge(String name, double value, long timestamp, TagSet tags) {
        return new Metric(name, MetricType.GAUGE, value, timestamp, tags, 0, "", "");
    }

    public static Metric rate(String name, double perSecond, long timestamp, long intervalSeconds, TagSet tags) {
        return new Metric(name, MetricType.RATE, perSecond, timestamp, tags, intervalSeconds, "", "");
    }

    public static Metric count(String name, double total, long timestamp, long intervalSeconds, TagSet tags) {
        return new Metric(name, MetricType.COUNT, total, timestamp, tags, intervalSeconds, "", "");
    }

    public Metric withTags(TagSet newTags) {
        return new Metric(name, type, value, timestamp, newTags, intervalSeconds, unit, host, origin);
    }

    public Metric withOrigin(MetricOrigin newOrigin) {
        return new Metric(name, type, value, timestamp, tags, intervalSeconds, unit, host, newOrigin);
    }

    @Override
    public SignalKind kind() {
        return SignalKind.METRIC;
    }

    @Override
    public int estimatedBytes() {
        return 64 + name.length() + tags.encodedLength() + unit.length() + host.length();
    }
}
