package io.pilotfish.collector.ecsmetadata;

/**
 * Validated settings of one {@code ecs-metadata} instance.
 *
 * @param events           send Datadog events for task and container lifecycle changes
 * @param metrics          also send the {@code ecs.task.containers} and {@code ecs.container.*} metrics; off by
 *                         default because the Datadog Agent sends none of them, so Datadog bills each of their series
 *                         (several per task) as a custom metric
 * @param includeInternal  also report internal containers (the ECS pause container, {@code Type} other than NORMAL)
 */
public record EcsMetadataConfig(boolean events, boolean metrics, boolean includeInternal) {

    public static final EcsMetadataConfig DEFAULT = new EcsMetadataConfig(true, false, false);
}
