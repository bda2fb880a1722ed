package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.signal.Metric;
import java.util.List;

/**
 * What one conversion produced.
 *
 * @param metrics   the points to emit
 * @param history   the baselines to pass to the next conversion
 * @param problems  containers that were skipped, one entry each
 */
public record StatsConversion(List<Metric> metrics, SampleHistory history, List<ContainerProblem> problems) {

    /** Why a container's entry gave no metrics. */
    public enum Reason {
        /** The entry, or a value inside it, has the wrong JSON type. */
        MALFORMED_CONTAINER("malformed_container"),
        /** The task metadata the payload was converted with does not list this container id. */
        UNKNOWN_CONTAINER("unknown_container");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        /** The value of the {@code reason:} tag on the {@code collector.errors} counter. */
        public String tag() {
            return tag;
        }
    }

    public record ContainerProblem(String dockerId, Reason reason, String message) {
    }
}
