package io.pilotfish.collector.ecsmetadata;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;

/**
 * The {@code ecs-metadata} collector: task and container lifecycle (states, exits, restarts, likely OOM kills) from
 * the ECS task metadata endpoint, as Datadog events, and as metrics when asked for.
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
        boolean metrics = config.bool("metrics", EcsMetadataConfig.DEFAULT.metrics());
        boolean includeInternal = config.bool("include-internal", EcsMetadataConfig.DEFAULT.includeInternal());
        if (!events && !metrics) {
            // Before metrics were opt-in, events=false still sent metrics; say so rather than go quiet.
            config.problem("events", "true, or metrics=true: with both off this collector sends nothing (to turn it"
                    + " off, set enabled=false)");
        }
        return new EcsMetadataConfig(events, metrics, includeInternal);
    }

    @Override
    public Collector create(EcsMetadataConfig config, PluginContext context) {
        return new EcsMetadataScraper(config, context);
    }
}
