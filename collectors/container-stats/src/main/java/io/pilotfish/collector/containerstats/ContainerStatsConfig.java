package io.pilotfish.collector.containerstats;

/**
 * Validated settings of one {@code container-stats} instance.
 *
 * @param fargateMetrics    send the {@code ecs.fargate.*} set and {@code fargate_check} of Datadog's ecs_fargate check
 * @param containerMetrics  send Datadog's generic {@code container.*} set
 * @param includeInternal   also report internal containers (the ECS pause container, {@code Type} other than NORMAL)
 */
public record ContainerStatsConfig(boolean fargateMetrics, boolean containerMetrics, boolean includeInternal) {

    public static final ContainerStatsConfig DEFAULT = new ContainerStatsConfig(true, true, false);
}
