package io.pilotfish.sink.console;

import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.SinkContractTest;
import java.util.List;
import java.util.Map;

/** The sink contract of the testkit, run against console (no intake, so not the HTTP part). */
class ConsoleSinkContractTest extends SinkContractTest<ConsoleConfig> {

    private static final long NOW = 1_700_000_000L;

    @Override
    protected SinkFactory<ConsoleConfig> factory() {
        return new ConsoleSinkFactory();
    }

    @Override
    protected Map<String, String> validConfig() {
        return Map.of("format", "json");
    }

    @Override
    protected List<Signal> sampleSignals() {
        return List.of(
                Metric.gauge("contract.test.gauge", 1.5, NOW, TagSet.of("container_name:app")),
                new Event("Contract test event", "printed by the console sink", NOW, Event.AlertType.INFO,
                        Event.Priority.LOW, "pilotfish", "", TagSet.of("container_name:app"), ""),
                new ServiceCheck("contract.test.check", ServiceCheck.Status.OK, NOW, TagSet.EMPTY, "", ""),
                new Sketch("contract.test.distribution", NOW, TagSet.of("container_name:app"), "", 3, 1, 10, 12,
                        new int[] {1338, 1487}, new int[] {2, 1}));
    }
}
