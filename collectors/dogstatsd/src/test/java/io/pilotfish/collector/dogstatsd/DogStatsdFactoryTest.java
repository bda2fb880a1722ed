package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class DogStatsdFactoryTest {

    private final DogStatsdFactory factory = new DogStatsdFactory();

    private static String problems(MapPluginConfig config) {
        return config.problems().toString();
    }

    @Test
    void defaultsAreTheDatadogAgentsButForALargerReceiveBuffer() {
        MapPluginConfig config = MapPluginConfig.of("dogstatsd", Map.of());
        DogStatsdConfig defaults = factory.configure(config);
        assertTrue(config.problems().isEmpty(), problems(config));
        assertEquals(new DogStatsdConfig("127.0.0.1", 8125, Optional.empty(), Optional.empty(), 8192, 4_194_304, 1024,
                Cardinality.LOW, true, Aggregator.Settings.DEFAULTS, TagSet.EMPTY), defaults);
    }

    @Test
    void everyKeyIsReadAndListsTakeSpacesAsTheEnvironmentWritesThem() {
        MapPluginConfig config = MapPluginConfig.of("dogstatsd", Map.ofEntries(
                Map.entry("port", "18125"), Map.entry("non-local-traffic", "true"),
                Map.entry("socket", "unix:///var/run/datadog/dsd.socket"),
                Map.entry("stream-socket", "/var/run/datadog/dsd.stream"), Map.entry("buffer-size", "65536"),
                Map.entry("so-rcvbuf", "8388608"), Map.entry("queue-size", "4096"),
                Map.entry("tag-cardinality", "orchestrator"), Map.entry("origin-detection", "false"),
                Map.entry("histogram-aggregates", "max MIN sum"), Map.entry("histogram-percentiles", "0.5 0.99"),
                Map.entry("context-limit", "500"), Map.entry("expiry-seconds", "60"),
                Map.entry("tags", "team:checkout tier:web")));
        DogStatsdConfig read = factory.configure(config);
        assertTrue(config.problems().isEmpty(), problems(config));
        assertEquals(new DogStatsdConfig("0.0.0.0", 18125, Optional.of(Path.of("/var/run/datadog/dsd.socket")),
                Optional.of(Path.of("/var/run/datadog/dsd.stream")), 65536, 8388608, 4096, Cardinality.ORCHESTRATOR,
                false, new Aggregator.Settings(List.of("max", "min", "sum"), List.of(50, 99), 500, 60),
                TagSet.of("team:checkout", "tier:web")), read);
    }

    @Test
    void portZeroTurnsUdpOffAndAnEmptyAggregateListIsAllowed() {
        MapPluginConfig config = MapPluginConfig.of("dogstatsd", Map.of("port", "0", "histogram-aggregates", "",
                "histogram-percentiles", ""));
        DogStatsdConfig read = factory.configure(config);
        assertTrue(config.problems().isEmpty(), problems(config));
        assertEquals(0, read.port());
        assertTrue(read.aggregation().percentiles().isEmpty());
        assertEquals(false, read.listens());
    }

    @Test
    void badValuesAreProblemsNamingTheirKeys() {
        MapPluginConfig config = MapPluginConfig.of("dogstatsd", Map.of("port", "70000", "buffer-size", "100",
                "histogram-aggregates", "max p99", "histogram-percentiles", "95", "socket", "relative/dsd.socket",
                "stream-socket", "/" + "x".repeat(120), "tag-cardinality", "extreme", "non-local-traffic", "yes"));
        factory.configure(config);
        String all = problems(config);
        for (String key : List.of("port", "buffer-size", "histogram-aggregates", "histogram-percentiles", "socket",
                "stream-socket", "tag-cardinality", "non-local-traffic")) {
            assertTrue(all.contains(key), key + " not named in " + all);
        }
        assertTrue(all.contains("p99"), all);
        assertTrue(all.contains("0.95"), "the percentile problem shows the expected form: " + all);
        assertEquals(8, config.problems().size(), all);
    }

    @Test
    void oneFileCannotBeBothSockets() {
        MapPluginConfig config = MapPluginConfig.of("dogstatsd", Map.of("socket", "/tmp/dsd.socket",
                "stream-socket", "/tmp/dsd.socket"));
        factory.configure(config);
        assertEquals(1, config.problems().size(), problems(config));
        assertTrue(problems(config).contains("stream-socket"), problems(config));
    }

    @Test
    void anUnknownKeyIsReported() {
        MapPluginConfig config = MapPluginConfig.of("dogstatsd", Map.of("prot", "8125"));
        factory.configure(config);
        assertEquals(1, config.problems().size(), problems(config));
        assertTrue(problems(config).contains("prot"), problems(config));
    }

    @Test
    void theFactoryIsRegisteredAndMakesAReceiver() {
        CollectorFactory<?> found = ServiceLoader.load(CollectorFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.type().equals("dogstatsd")).findFirst().orElseThrow();
        assertInstanceOf(DogStatsdFactory.class, found);
        try (TestPluginContext context = TestPluginContext.create()) {
            DogStatsdConfig config = factory.configure(MapPluginConfig.of("dogstatsd", Map.of("port", "0")));
            assertInstanceOf(Receiver.class, factory.create(config, context));
        }
    }
}
