package io.pilotfish.collector.filetail;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.testkit.CollectorContractTest;
import java.util.Map;

/** The collector contract of the testkit, run against file-tail following a directory that does not exist. */
class FileTailContractTest extends CollectorContractTest<FileTailConfig> {

    @Override
    protected CollectorFactory<FileTailConfig> factory() {
        return new FileTailFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        return Map.of("paths", "/nonexistent/pilotfish-contract/*.log", "service", "app", "source", "java");
    }
}
