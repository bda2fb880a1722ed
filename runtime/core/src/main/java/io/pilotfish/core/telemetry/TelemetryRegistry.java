package io.pilotfish.core.telemetry;

import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.TagSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * The agent's own figures. Counters only grow; {@link #report} turns them into {@code pilotfish.*} metrics (the
 * increase since the previous report as a COUNT, gauges as GAUGE). {@link #snapshot} gives totals for status output.
 */
public final class TelemetryRegistry {

    public static final String METRIC_PREFIX = "pilotfish.";

    private record Key(String name, TagSet tags) {
    }

    private static final class CounterCell implements SelfTelemetry.Counter {
        private final LongAdder total = new LongAdder();
        private long reported;

        @Override
        public void add(long amount) {
            total.add(amount);
        }

        @Override
        public long total() {
            return total.sum();
        }
    }

    private final Map<Key, CounterCell> counters = new ConcurrentHashMap<>();
    private final Map<Key, DoubleSupplier> gauges = new ConcurrentHashMap<>();

    public SelfTelemetry.Counter counter(String name, TagSet tags) {
        return counters.computeIfAbsent(new Key(name, tags), k -> new CounterCell());
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
