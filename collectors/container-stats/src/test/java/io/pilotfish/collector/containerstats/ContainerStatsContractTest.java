package io.pilotfish.collector.containerstats;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.testkit.CollectorContractTest;
import java.util.Map;
import java.util.Set;

/** The collector contract of the testkit, run against container-stats. */
class ContainerStatsContractTest extends CollectorContractTest<ContainerStatsConfig> {

    @Override
    protected CollectorFactory<ContainerStatsConfig> factory() {
        return new ContainerStatsFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        return Map.of("fargate-metrics", "true", "container-metrics", "true", "include-internal", "false");
    }

    /**
     * Gauges from the first scrape; rates (CPU, network) and the page-fault count once the second has a previous
     * sample to compare.
     */
    @Override
    protected Set<String> metricsWithHealthyMetadata() {
        return Set.of("ecs.fargate.mem.usage", "ecs.fargate.cpu.percent", "ecs.fargate.cpu.task.limit",
                "container.memory.usage", "container.cpu.usage", "container.net.rcvd", "container.memory.page_faults");
    }
}
