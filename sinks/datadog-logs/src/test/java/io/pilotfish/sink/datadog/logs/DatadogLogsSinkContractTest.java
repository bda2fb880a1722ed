package io.pilotfish.sink.datadog.logs;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.HttpSinkContractTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The shared sink contract (testkit), against the testkit's intake recorder. */
class DatadogLogsSinkContractTest extends HttpSinkContractTest<DatadogLogsConfig> {

    private static final long TIMESTAMP_MS = 1_735_689_600_000L; // the test context's start, 2025-01-01T00:00:00Z

    // Constant objects: the contract exports them again after each answer, as the platform would on a retry.
    private static final List<Signal> SAMPLES = List.of(
            LogRecord.of("GET /health 200 3ms", TIMESTAMP_MS, "info", "web", "nginx",
                    TagSet.of("container_name:web")),
            new LogRecord("java.lang.IllegalStateException: boom\n\tat App.main(App.java:3)"
                    .getBytes(StandardCharsets.UTF_8), TIMESTAMP_MS + 1, "error", "app", "java", "",
                    TagSet.of("container_name:app", "env:test"), Map.of("logger", Map.of("name", "App"))));

    @Override
    protected SinkFactory<DatadogLogsConfig> factory() {
        return new DatadogLogsSinkFactory();
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
