package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;

/** The {@code container-stats} collector: Datadog's ECS container metrics from the task metadata endpoint. */
public final class ContainerStatsFactory implements CollectorFactory<ContainerStatsConfig> {

    public static final String TYPE = "container-stats";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ContainerStatsConfig configure(PluginConfig config) {
        boolean fargateMetrics = config.bool("fargate-metrics", ContainerStatsConfig.DEFAULT.fargateMetrics());
        boolean containerMetrics = config.bool("container-metrics", ContainerStatsConfig.DEFAULT.containerMetrics());
        boolean includeInternal = config.bool("include-internal", ContainerStatsConfig.DEFAULT.includeInternal());
        if (!fargateMetrics && !containerMetrics) {
            config.problem("container-metrics", "at least one of fargate-metrics and container-metrics must be "
                    + "true; to turn this collector off, set its enabled key to false instead");
        }
        return new ContainerStatsConfig(fargateMetrics, containerMetrics, includeInternal);
    }

    @Override
    public Collector create(ContainerStatsConfig config, PluginContext context) {
        return new ContainerStatsScraper(config, context);
    }
}
