package io.pilotfish.sink.datadog.sketches;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.HttpSinkContractTest;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The shared sink contract (testkit), against the testkit's intake recorder. */
class DatadogSketchesSinkContractTest extends HttpSinkContractTest<DatadogSketchesConfig> {

    private static final long TIMESTAMP = 1_735_689_600L; // the test context's start, 2025-01-01T00:00:00Z

    @Override
    protected SinkFactory<DatadogSketchesConfig> factory() {
        return new DatadogSketchesSinkFactory();
    }

    @Override
    protected Map<String, String> configFor(URI intake) {
        return Map.of("url", intake.toString());
    }

    @Override
    protected List<Signal> sampleSignals() {
        return List.of(
                Sketches.of("app.request.latency", TIMESTAMP, TagSet.of("container_name:app"), "", 12, 15, 250),
                Sketches.of("app.payload.size", TIMESTAMP, TagSet.of("container_name:app"), "", 512, 2048));
    }
}
