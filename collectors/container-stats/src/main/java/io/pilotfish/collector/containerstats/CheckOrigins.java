package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.signal.MetricOrigin;

/**
 * The origins the Datadog Agent gives the two metric sets, so Datadog classifies our series as the Agent's integration
 * metrics and not as custom ones. Codes from the Agent's serializer ({@code origin_mapping.go}): product 10 (Agent),
 * category 11 (integration metrics) for both check sources, service 52 for the ecs_fargate check and 180 for the
 * generic container check.
 */
public final class CheckOrigins {

    /** {@code ecs.fargate.*}: the Agent's {@code MetricSourceEcsFargate}. */
    public static final MetricOrigin ECS_FARGATE = new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 11, 52);

    /** {@code container.*}: the Agent's {@code MetricSourceContainer}. */
    public static final MetricOrigin CONTAINER = new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 11, 180);

    private CheckOrigins() {
    }
}
