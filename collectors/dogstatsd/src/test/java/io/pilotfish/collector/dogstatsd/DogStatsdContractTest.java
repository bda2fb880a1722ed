package io.pilotfish.collector.dogstatsd;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.testkit.CollectorContractTest;
import java.util.Map;

/** The platform's collector contract, with every listener off so parallel runs never share a port. */
class DogStatsdContractTest extends CollectorContractTest<DogStatsdConfig> {

    @Override
    protected CollectorFactory<DogStatsdConfig> factory() {
        return new DogStatsdFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        return Map.of("port", "0");
    }
}
