package io.pilotfish.sink.datadog.metrics;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.HttpSinkContractTest;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The shared sink contract (testkit), against the testkit's intake recorder. */
class DatadogMetricsSinkContractTest extends HttpSinkContractTest<DatadogMetricsConfig> {

    private static final long TIMESTAMP = 1_735_689_600L; // the test context's start, 2025-01-01T00:00:00Z

    @Override
    protected SinkFactory<DatadogMetricsConfig> factory() {
        return new DatadogMetricsSinkFactory();
    }

    @Override
    protected Map<String, String> configFor(URI intake) {
        return Map.of("url", intake.toString());
    }

    @Override
    protected List<Signal> sampleSignals() {
        return List.of(
                Metric.gauge("ecs.fargate.cpu.percent", 12.5, TIMESTAMP, TagSet.of("container_name:app")),
                Metric.rate("ecs.fargate.io.bytes", 2048, TIMESTAMP, 10, TagSet.of("container_name:app")));
    }
}
