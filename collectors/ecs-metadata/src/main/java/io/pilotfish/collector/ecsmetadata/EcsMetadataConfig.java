package io.pilotfish.collector.ecsmetadata;

/**
 * Validated settings of one {@code ecs-metadata} instance.
 *
 * @param events           send Datadog events for task and container lifecycle changes (metrics are sent either way)
 * @param includeInternal  also report internal containers (the ECS pause container, {@code Type} other than NORMAL)
 */
public record EcsMetadataConfig(boolean events, boolean includeInternal) {

    public static final EcsMetadataConfig DEFAULT = new EcsMetadataConfig(true, false);
}
