package io.pilotfish.platform.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.platform.PluginRegistry;
import io.pilotfish.platform.deployment.fixtures.DiscardSinkFactory;
import io.pilotfish.platform.deployment.fixtures.EchoCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.IndexOnlyCollectorFactory;
import io.pilotfish.spi.SinkFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry's startup checks on hand-made factory lists. */
class PluginRegistryChecksTest {

    @Test
    void ordersByTypeAndKeepsKindsApart() {
        SinkFactory<String> echoSink = sinkOfType("echo");
        PluginRegistry registry = new PluginRegistry(
                List.of(new IndexOnlyCollectorFactory(), new EchoCollectorFactory()),
                List.of(new DiscardSinkFactory(), echoSink));

        assertEquals(List.of("echo", "index-only"), registry.collectorTypes());
        assertEquals(List.of("discard", "echo"), registry.sinkTypes());
        assertEquals(List.of("echo", "index-only"), registry.collectors().stream().map(f -> f.type()).toList());
        assertSame(echoSink, registry.sink("echo").orElseThrow());
    }

    @Test
    void duplicateSinkTypeNamesBothClasses() {
        SinkFactory<String> other = sinkOfType("discard");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new PluginRegistry(List.of(), List.of(new DiscardSinkFactory(), other)));

        assertTrue(e.getMessage().startsWith("Two sink plugins declare type 'discard': "
                + DiscardSinkFactory.class.getName() + " and " + other.getClass().getName()), e.getMessage());
    }

    @Test
    void blankTypeIsRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new PluginRegistry(List.of(), List.of(sinkOfType(" "))));

        assertTrue(e.getMessage().contains("returns a blank type(): return the name users write in"
                + " pilotfish.sinks.<name>.type"), e.getMessage());
    }

    @Test
    void nullTypeIsRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new PluginRegistry(List.of(), List.of(sinkOfType(null))));

        assertTrue(e.getMessage().contains("returns a blank type()"), e.getMessage());
    }

    @Test
    void typeWithWhitespaceIsRejected() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new PluginRegistry(List.of(), List.of(sinkOfType("two words"))));

        assertTrue(e.getMessage().contains("returns type 'two words', which contains whitespace"), e.getMessage());
    }

    @Test
    void failingTypeMethodNamesTheClass() {
        SinkFactory<String> broken = new DiscardSinkFactory() {
            @Override
            public String type() {
                throw new UnsupportedOperationException("boom");
            }
        };

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new PluginRegistry(List.of(), List.of(broken)));

        assertTrue(e.getMessage().startsWith("The sink plugin " + broken.getClass().getName() + " failed in type()"),
                e.getMessage());
        assertTrue(e.getCause() instanceof UnsupportedOperationException);
    }

    private static SinkFactory<String> sinkOfType(String type) {
        return new DiscardSinkFactory() {
            @Override
            public String type() {
                return type;
            }
        };
    }
}
