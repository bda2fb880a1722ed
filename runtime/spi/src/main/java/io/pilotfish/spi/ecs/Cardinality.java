package io.pilotfish.spi.ecs;

/** Tag cardinality levels, as the Datadog Agent names them ({@code DD_CHECKS_TAG_CARDINALITY}). */
public enum Cardinality {
    /** Tags shared by many series: cluster, family, image, container name in the task definition. */
    LOW,
    /** Adds the task ARN. */
    ORCHESTRATOR,
    /** Adds the container id and runtime name. */
    HIGH
}
