package io.pilotfish.testkit;

import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** An {@link Emitter} that keeps what a collector emits, in order, for assertions. Thread-safe. */
public final class CollectingEmitter implements Emitter {

    private final List<Signal> signals = new CopyOnWriteArrayList<>();

    @Override
    public void emit(Signal signal) {
        signals.add(Objects.requireNonNull(signal, "a collector emitted null instead of a signal"));
    }

    /** Everything emitted so far, oldest first. */
    public List<Signal> all() {
        return List.copyOf(signals);
    }

    public List<Signal> ofKind(SignalKind kind) {
        return signals.stream().filter(s -> s.kind() == kind).toList();
    }

    public <T extends Signal> List<T> ofType(Class<T> type) {
        return signals.stream().filter(type::isInstance).map(type::cast).toList();
    }

    public List<Metric> metrics() {
        return ofType(Metric.class);
    }

    /** The points named {@code name} that carry every tag given ({@code "key:value"}). */
    public List<Metric> metrics(String name, String... tags) {
        List<String> wanted = List.of(tags);
        return metrics().stream().filter(m -> m.name().equals(name) && m.tags().containsAll(wanted)).toList();
    }

    /** The one point named {@code name} carrying every tag given; an {@link AssertionError} if not exactly one. */
    public Metric metric(String name, String... tags) {
        List<Metric> found = metrics(name, tags);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + name + " with " + List.of(tags) + " but found "
                    + found.size() + (found.isEmpty() ? "; metrics emitted: " + metricNames() : ": " + found));
        }
        return found.get(0);
    }

    public boolean hasMetric(String name, String... tags) {
        return !metrics(name, tags).isEmpty();
    }

    public SortedSet<String> metricNames() {
        return metrics().stream().map(Metric::name).collect(Collectors.toCollection(TreeSet::new));
    }

    public List<Event> events() {
        return ofType(Event.class);
    }

    public List<ServiceCheck> serviceChecks() {
        return ofType(ServiceCheck.class);
    }

    public int size() {
        return signals.size();
    }

    public boolean isEmpty() {
        return signals.isEmpty();
    }

    public void clear() {
        signals.clear();
    }

    @Override
    public String toString() {
        return "CollectingEmitter" + signals;
    }
}
