package io.pilotfish.sink.datadog.events;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.HttpSinkContractTest;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The shared sink contract (testkit), against the testkit's intake recorder. */
class DatadogEventsSinkContractTest extends HttpSinkContractTest<DatadogEventsConfig> {

    private static final long TIMESTAMP = 1_735_689_600L; // the test context's start, 2025-01-01T00:00:00Z

    // Constant objects: the contract exports them again after each answer, as the platform would on a retry.
    private static final List<Signal> SAMPLES = List.of(
            new Event("Container app was OOM-killed", "memory limit reached", TIMESTAMP, Event.AlertType.ERROR,
                    Event.Priority.NORMAL, "ecs", "", TagSet.of("container_name:app"), ""),
            new ServiceCheck("app.can_connect", ServiceCheck.Status.OK, TIMESTAMP, TagSet.of("container_name:app"),
                    "", ""),
            new ServiceCheck("app.healthy", ServiceCheck.Status.CRITICAL, TIMESTAMP,
                    TagSet.of("container_name:app"), "health check failed 3 times", ""));

    @Override
    protected SinkFactory<DatadogEventsConfig> factory() {
        return new DatadogEventsSinkFactory();
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
