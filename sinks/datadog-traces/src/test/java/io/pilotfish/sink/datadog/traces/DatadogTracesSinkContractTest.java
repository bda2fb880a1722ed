package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.testkit.HttpSinkContractTest;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The shared sink contract (testkit), against the testkit's intake recorder. */
class DatadogTracesSinkContractTest extends HttpSinkContractTest<DatadogTracesConfig> {

    // Constant objects: the contract exports them again after each answer, as the platform would on a retry.
    private static final List<Signal> SAMPLES = List.of(Traces.chunk(Traces.tracer("java"), 1, 3),
            Traces.chunk(Traces.tracer("go"), 2, 1));

    @Override
    protected SinkFactory<DatadogTracesConfig> factory() {
        return new DatadogTracesSinkFactory();
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
