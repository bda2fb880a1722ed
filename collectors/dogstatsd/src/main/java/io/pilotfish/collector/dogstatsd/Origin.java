package io.pilotfish.collector.dogstatsd;

import java.util.Objects;

/**
 * Where a message says it comes from: the client's container id ({@code c:}, with the {@code ci-} prefix removed),
 * its external data ({@code e:}) and the tag cardinality it asks for ({@code card:}). Empty strings when absent.
 */
public record Origin(String containerId, String externalData, TagCardinality cardinality) {

    public static final Origin NONE = new Origin("", "", TagCardinality.DEFAULT);

    /** {@code card:} values; DEFAULT when the client did not say, so the agent's setting applies. */
    public enum TagCardinality { DEFAULT, NONE, LOW, ORCHESTRATOR, HIGH }

    public Origin {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(externalData, "externalData");
        Objects.requireNonNull(cardinality, "cardinality");
    }

    public boolean isEmpty() {
        return containerId.isEmpty() && externalData.isEmpty() && cardinality == TagCardinality.DEFAULT;
    }
}
