package io.pilotfish.testkit;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** The HTTP sink contract (and the general sink contract it extends) passes on a sink that keeps it. */
class SampleHttpSinkContractTest extends HttpSinkContractTest<SampleHttpSinkFactory.Config> {

    @Override
    protected SinkFactory<SampleHttpSinkFactory.Config> factory() {
        return new SampleHttpSinkFactory();
    }

    @Override
    protected Map<String, String> configFor(URI intake) {
        return Map.of("url", intake.toString());
    }

    @Override
    protected List<Signal> sampleSignals() {
        return List.of(Metric.gauge("sample.gauge", 1, 1_700_000_000L, TagSet.of("env:test")),
                Metric.count("sample.count", 3, 1_700_000_000L, 10, TagSet.EMPTY));
    }
}
