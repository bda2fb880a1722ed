package io.pilotfish.core.telemetry;

import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The agent's own figures. Counters only grow; {@link #report} turns them into {@code pilotfish.*} metrics (the
 * increase since the previous report as a COUNT, gauges as GAUGE). {@link #snapshot} gives totals for status output.
 *
 * <p>Figures that count what was lost follow one naming rule ({@link #isDrop}), so that status lists every drop of
 * every plugin, by reason, without knowing the plugin: {@link #drops}.
 */
public final class TelemetryRegistry {

    public static final String METRIC_PREFIX = "pilotfish.";
    private static final long NEVER = Long.MIN_VALUE;

    private record Key(String name, TagSet tags) {
    }

    private static final class CounterCell implements SelfTelemetry.Counter {
        private final LongAdder total = new LongAdder();
        private long reported;
        /** For drop counters only, else null: when the count last grew. */
        private final LongSupplier nanoClock;
        private volatile long lastIncreaseNanos = NEVER;

        CounterCell(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
        }

        @Override
        public void add(long amount) {
            total.add(amount);
            if (nanoClock != null && amount > 0) {
                lastIncreaseNanos = nanoClock.getAsLong();
            }
        }

        @Override
        public long total() {
            return total.sum();
        }
    }

    /** A drop gauge (a total the plugin reads from elsewhere) as last read: when it was seen to grow. */
    private record GaugeReading(double value, long readNanos, long lastIncreaseNanos) {
    }

    private final Map<Key, CounterCell> counters = new ConcurrentHashMap<>();
    private final Map<Key, DoubleSupplier> gauges = new ConcurrentHashMap<>();
    /** Guarded by this (see {@link #drops}). */
    private final Map<Key, GaugeReading> dropGauges = new HashMap<>();
    private final LongSupplier nanoClock;

    public TelemetryRegistry() {
        this(System::nanoTime);
    }

    /** @param nanoClock a monotonic clock in nanoseconds, as {@link System#nanoTime} (tests move their own) */
    public TelemetryRegistry(LongSupplier nanoClock) {
        this.nanoClock = java.util.Objects.requireNonNull(nanoClock, "nanoClock");
    }

    public SelfTelemetry.Counter counter(String name, TagSet tags) {
        return counters.computeIfAbsent(new Key(name, tags), k -> new CounterCell(isDrop(name) ? nanoClock : null));
    }

    /**
     * Whether the figure {@code name} counts what was lost, by the rule every plugin follows: the last part of the
     * name is {@code dropped} ({@code sink.dropped}, {@code dogstatsd.dropped}, {@code sink.points.dropped}) or ends
     * in {@code _dropped}, {@code _drops} ({@code dogstatsd.kernel_drops}) or {@code _errors}
     * ({@code dogstatsd.parse_errors}: messages dropped as malformed), with a {@code reason:} tag saying why. A count
     * of failed attempts ({@code collector.errors}) is not a drop; nor is the byte count of a drop
     * ({@code sink.dropped.bytes}), which {@link #drops} reads together with the drop it measures.
     */
    public static boolean isDrop(String name) {
        String last = name.substring(name.lastIndexOf('.') + 1);
        return last.equals("dropped") || last.endsWith("_dropped") || last.endsWith("_drops")
                || last.endsWith("_errors");
    }

    /**
     * One drop figure: its name and tags, how many were lost since start (and their bytes, when a
     * {@code <name>.bytes} counter with the same tags exists), and how long ago the count last grew (empty when it has
     * not since start, or, for a gauge, was not seen to between two readings).
     */
    public record Drop(String name, TagSet tags, long count, OptionalLong bytes, Optional<Duration> lastIncreaseAgo) {

        /** The value of the {@code reason:} tag, or "" without one. */
        public String reason() {
            return tags.stream().filter(tag -> tag.startsWith("reason:")).map(tag -> tag.substring(7)).findFirst()
                    .orElse("");
        }

        /** Whether the count grew within {@code window} of now. */
        public boolean growingWithin(Duration window) {
            return lastIncreaseAgo.filter(ago -> ago.compareTo(window) <= 0).isPresent();
        }
    }

    /**
     * Every drop figure ({@link #isDrop}) with a count above 0, ordered by name then tags. A gauge is seen to grow
     * between two calls: its growth is dated at the earlier one, so that a long-unread gauge never looks recent.
     */
    public synchronized List<Drop> drops() {
        long now = nanoClock.getAsLong();
        List<Drop> out = new ArrayList<>();
        counters.forEach((key, cell) -> {
            long total = cell.total();
            if (cell.nanoClock != null && total > 0) {
                long last = cell.lastIncreaseNanos;
                out.add(new Drop(key.name, key.tags, total, bytesOf(key),
                        last == NEVER ? Optional.empty() : Optional.of(Duration.ofNanos(Math.max(0, now - last)))));
            }
        });
        gauges.forEach((key, supplier) -> {
            if (!isDrop(key.name)) {
                return;
            }
            double value = supplier.getAsDouble();
            if (!Double.isFinite(value)) {
                return;
            }
            GaugeReading before = dropGauges.get(key);
            long lastIncrease = before == null ? NEVER
                    : value > before.value() ? before.readNanos() : before.lastIncreaseNanos();
            dropGauges.put(key, new GaugeReading(value, now, lastIncrease));
            if (value > 0) {
                out.add(new Drop(key.name, key.tags, (long) value, OptionalLong.empty(), lastIncrease == NEVER
                        ? Optional.empty() : Optional.of(Duration.ofNanos(Math.max(0, now - lastIncrease)))));
            }
        });
        out.sort(Comparator.comparing(Drop::name).thenComparing(drop -> drop.tags().toString()));
        return out;
    }

    private OptionalLong bytesOf(Key drop) {
        CounterCell bytes = counters.get(new Key(drop.name + ".bytes", drop.tags));
        return bytes == null ? OptionalLong.empty() : OptionalLong.of(bytes.total());
    }

    public void gauge(String name, TagSet tags, DoubleSupplier value) {
        gauges.put(new Key(name, tags), value);
    }

    /** A view scoped to one plugin instance: every figure carries its type and instance name. */
    public SelfTelemetry scoped(TagSet scope) {
        return new SelfTelemetry() {
            @Override
            public Counter counter(String name, String... tags) {
                return TelemetryRegistry.this.counter(name, scope.with(tags));
            }

            @Override
            public void gauge(String name, DoubleSupplier value, String... tags) {
                TelemetryRegistry.this.gauge(name, scope.with(tags), value);
            }
        };
    }

    /** Total of a counter summed over all tag sets that contain {@code tagFilter}. */
    public long total(String name, String... tagFilter) {
        long sum = 0;
        for (Map.Entry<Key, CounterCell> entry : counters.entrySet()) {
            if (entry.getKey().name.equals(name) && entry.getKey().tags.containsAll(List.of(tagFilter))) {
                sum += entry.getValue().total();
            }
        }
        return sum;
    }

    /** One figure as read now: a counter's total since start or a gauge's value. */
    public record Reading(String name, TagSet tags, boolean counter, double value) {
    }

    /** Every counter and every finite gauge, read now (for the OpenMetrics route); names without the prefix. */
    public List<Reading> readings() {
        List<Reading> out = new ArrayList<>();
        counters.forEach((key, cell) -> out.add(new Reading(key.name, key.tags, true, cell.total())));
        gauges.forEach((key, supplier) -> {
            double value = supplier.getAsDouble();
            if (Double.isFinite(value)) {
                out.add(new Reading(key.name, key.tags, false, value));
            }
        });
        return out;
    }

    /** Every counter's total and every gauge's value, keyed {@code name{tags}}, for status output. */
    public Map<String, Double> snapshot() {
        Map<String, Double> out = new java.util.TreeMap<>();
        counters.forEach((key, cell) -> out.put(key.name + "{" + key.tags + "}", (double) cell.total()));
        gauges.forEach((key, supplier) -> out.put(key.name + "{" + key.tags + "}", supplier.getAsDouble()));
        return out;
    }

    /** The increase of each counter since the last report, and the gauges' current values. */
    public synchronized List<Metric> report(long epochSeconds, long intervalSeconds, TagSet extraTags) {
        List<Metric> out = new ArrayList<>();
        counters.forEach((key, cell) -> {
            long total = cell.total();
            long delta = total - cell.reported;
            cell.reported = total;
            out.add(new Metric(METRIC_PREFIX + key.name, MetricType.COUNT, delta, epochSeconds,
                    key.tags.with(extraTags), intervalSeconds, "", ""));
        });
        gauges.forEach((key, supplier) -> {
            double value = supplier.getAsDouble();
            if (Double.isFinite(value)) {
                out.add(Metric.gauge(METRIC_PREFIX + key.name, value, epochSeconds, key.tags.with(extraTags)));
            }
        });
        return out;
    }
}
