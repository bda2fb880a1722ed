package io.pilotfish.collector.containerstats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.spi.signal.Metric;
import java.util.List;
import java.util.stream.Collectors;

/** Looks metric points up by name and tags. */
final class Points {

    private Points() {
    }

    /** Every point with this name carrying all these tags. */
    static List<Metric> all(List<Metric> metrics, String name, String... tags) {
        return metrics.stream()
                .filter(m -> m.name().equals(name))
                .filter(m -> m.tags().containsAll(List.of(tags)))
                .toList();
    }

    static boolean has(List<Metric> metrics, String name, String... tags) {
        return !all(metrics, name, tags).isEmpty();
    }

    /** The single point with this name and these tags; fails when there is none or more than one. */
    static Metric one(List<Metric> metrics, String name, String... tags) {
        List<Metric> found = all(metrics, name, tags);
        if (found.size() != 1) {
            fail("expected one " + name + " with " + List.of(tags) + " but found " + found.size() + "; names seen: "
                    + metrics.stream().map(Metric::name).distinct().sorted().collect(Collectors.joining(", ")));
        }
        return found.get(0);
    }

    static double value(List<Metric> metrics, String name, String... tags) {
        return one(metrics, name, tags).value();
    }

    static void assertValue(double expected, List<Metric> metrics, String name, String... tags) {
        assertEquals(expected, value(metrics, name, tags), Math.abs(expected) * 1e-9, name);
    }

    static String id(String dockerId) {
        return "container_id:" + dockerId;
    }
}
