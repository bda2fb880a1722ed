package io.pilotfish.collector.ecsmetadata;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;

/**
 * The {@code ecs-metadata} collector: task and container lifecycle (states, exits, restarts, likely OOM kills) from
 * the ECS task metadata endpoint, as metrics and events.
 */
public final class EcsMetadataFactory implements CollectorFactory<EcsMetadataConfig> {

    public static final String TYPE = "ecs-metadata";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public EcsMetadataConfig configure(PluginConfig config) {
        boolean events = config.bool("events", EcsMetadataConfig.DEFAULT.events());
        boolean includeInternal = config.bool("include-internal", EcsMetadataConfig.DEFAULT.includeInternal());
        return new EcsMetadataConfig(events, includeInternal);
    }

    @Override
    public Collector create(EcsMetadataConfig config, PluginContext context) {
        return new EcsMetadataScraper(config, context);
    }
}
