package io.pilotfish.testkit;

import io.pilotfish.spi.CollectorFactory;
import java.util.Map;
import java.util.Set;

/** The collector contract passes on a collector that keeps it. */
class SampleCollectorContractTest extends CollectorContractTest<SampleCollectorFactory.Config> {

    @Override
    protected CollectorFactory<SampleCollectorFactory.Config> factory() {
        return new SampleCollectorFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        return Map.of("metric-prefix", "sample");
    }

    @Override
    protected Set<String> metricsWithHealthyMetadata() {
        return Set.of("sample.containers");
    }
}
