package io.pilotfish.collector.forward;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.testkit.CollectorContractTest;
import java.util.Map;

/** The platform's collector contract, with every listener off so parallel runs never share a port. */
class ForwardContractTest extends CollectorContractTest<ForwardConfig> {

    @Override
    protected CollectorFactory<ForwardConfig> factory() {
        return new ForwardFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        return Map.of("port", "0", "socket", "");
    }
}
