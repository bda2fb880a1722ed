package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.testkit.HttpSinkContractTest;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The shared sink contract (testkit), against the testkit's intake recorder. */
class DatadogApmStatsSinkContractTest extends HttpSinkContractTest<DatadogApmStatsConfig> {

    // Constant objects: the contract exports them again after each answer, as the platform would on a retry.
    private static final List<Signal> SAMPLES = List.of(Traces.stats("java", 12, 2, false),
            Traces.stats("python", 3, 1, true));

    @Override
    protected SinkFactory<DatadogApmStatsConfig> factory() {
        return new DatadogApmStatsSinkFactory();
    }

    @Override
    protected Map<String, String> configFor(URI intake) {
        return Map.of("url", intake.toString());
    }

    @Override
    protected List<Signal> sampleSignals() {
        return SAMPLES;
    }
}
