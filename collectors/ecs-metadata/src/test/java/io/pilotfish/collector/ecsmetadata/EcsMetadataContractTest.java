package io.pilotfish.collector.ecsmetadata;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.testkit.CollectorContractTest;
import java.util.Map;
import java.util.Set;

/** The collector contract of the testkit, run against ecs-metadata. */
class EcsMetadataContractTest extends CollectorContractTest<EcsMetadataConfig> {

    @Override
    protected CollectorFactory<EcsMetadataConfig> factory() {
        return new EcsMetadataFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        // Everything on, so the contract checks every kind of signal the collector can send.
        return Map.of("events", "true", "metrics", "true", "include-internal", "false");
    }

    @Override
    protected Set<String> metricsWithHealthyMetadata() {
        return Set.of("ecs.task.containers", "ecs.container.running", "ecs.container.uptime");
    }
}
