package io.pilotfish.collector.containerstats;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The last stats sample of every container, kept between scrapes to turn counters into per-second rates.
 * Immutable: {@link StatsConverter#convert} returns the next history instead of changing this one.
 */
public final class SampleHistory {

    private static final SampleHistory EMPTY = new SampleHistory(Map.of());

    private final Map<String, ContainerSample> byContainer;

    SampleHistory(Map<String, ContainerSample> byContainer) {
        this.byContainer = byContainer;
    }

    public static SampleHistory empty() {
        return EMPTY;
    }

    /** Containers with a baseline. */
    public Set<String> containerIds() {
        return byContainer.keySet();
    }

    /** The stats {@code read} time of the baseline kept for a container. */
    public Optional<Instant> lastRead(String dockerId) {
        ContainerSample sample = byContainer.get(dockerId);
        return sample == null ? Optional.empty() : Optional.ofNullable(sample.read);
    }

    ContainerSample sample(String dockerId) {
        return byContainer.get(dockerId);
    }
}
