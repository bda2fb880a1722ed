package io.pilotfish.platform.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.platform.DiscoveredPlugins;
import io.pilotfish.platform.PluginRegistry;
import io.pilotfish.platform.deployment.fixtures.BaseCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.DiscardSinkFactory;
import io.pilotfish.platform.deployment.fixtures.EchoCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.IndexOnlyCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.PlainJarSinkFactory;
import io.pilotfish.platform.deployment.fixtures.OtherJarCollectorFactory;
import io.pilotfish.spi.signal.SignalKind;
import io.quarkus.arc.Arc;
import io.quarkus.test.QuarkusUnitTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One application holding the ways a plugin can arrive: listed in the application's services file, found only in
 * the index, listed by the application but living in another jar, and a plain jar that holds just the class and its
 * services file. QuarkusUnitTest indexes its extra jars like application code, so the "listed but not indexed" path
 * is covered by {@link PluginDiscoveryTest}.
 */
class PluginRegistryTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar
                    .addClasses(EchoCollectorFactory.class, BaseCollectorFactory.class, IndexOnlyCollectorFactory.class,
                            DiscardSinkFactory.class, ServicesFiles.class)
                    .addAsResource(ServicesFiles.listing(EchoCollectorFactory.class, OtherJarCollectorFactory.class),
                            ServicesFiles.COLLECTORS)
                    .addAsResource(ServicesFiles.listing(DiscardSinkFactory.class), ServicesFiles.SINKS))
            .withAdditionalDependency(jar -> jar.addClass(OtherJarCollectorFactory.class))
            .withAdditionalDependency(jar -> jar
                    .addClass(PlainJarSinkFactory.class)
                    .addAsResource(ServicesFiles.listing(PlainJarSinkFactory.class), ServicesFiles.SINKS));

    @Inject
    PluginRegistry registry;

    @Inject
    DiscoveredPlugins discovered;

    @Test
    void listsEveryPluginByTypeAndSkipsAbstractHelpers() {
        assertEquals(List.of("echo", "index-only", "other-jar"), registry.collectorTypes());
        assertEquals(List.of("discard", "plain-jar"), registry.sinkTypes());
        assertEquals(3, registry.collectors().size());
        assertEquals(2, registry.sinks().size());
    }

    @Test
    void findsFactoriesByType() {
        assertInstanceOf(EchoCollectorFactory.class, registry.collector("echo").orElseThrow());
        assertInstanceOf(IndexOnlyCollectorFactory.class, registry.collector("index-only").orElseThrow());
        assertInstanceOf(OtherJarCollectorFactory.class, registry.collector("other-jar").orElseThrow());
        assertInstanceOf(DiscardSinkFactory.class, registry.sink("discard").orElseThrow());
        assertEquals(Set.of(SignalKind.LOG), registry.sink("plain-jar").orElseThrow().signals(null));
    }

    @Test
    void unknownTypesAreEmptyAndKindsAreSeparate() {
        assertTrue(registry.collector("nope").isEmpty());
        assertTrue(registry.sink("nope").isEmpty());
        assertTrue(registry.sink("echo").isEmpty(), "a collector type is not a sink type");
        assertTrue(registry.collector("discard").isEmpty(), "a sink type is not a collector type");
    }

    @Test
    void factoriesAreTheSingletonBeans() {
        assertSame(Arc.container().instance(EchoCollectorFactory.class).get(), registry.collector("echo").orElseThrow());
        assertSame(Arc.container().instance(PlainJarSinkFactory.class).get(), registry.sink("plain-jar").orElseThrow());
        assertSame(registry.collector("echo").orElseThrow(), registry.collector("echo").orElseThrow());
    }

    @Test
    void recorderHandsTheSortedClassNamesToRuntime() {
        assertEquals(List.of(EchoCollectorFactory.class.getName(), IndexOnlyCollectorFactory.class.getName(),
                OtherJarCollectorFactory.class.getName()), discovered.collectorClasses());
        assertEquals(List.of(DiscardSinkFactory.class.getName(), PlainJarSinkFactory.class.getName()),
                discovered.sinkClasses());
    }

    @Test
    void serviceLoaderSeesTheListedFactories() {
        List<String> listed = ServiceLoader.load(io.pilotfish.spi.SinkFactory.class).stream()
                .map(provider -> provider.type().getName()).sorted().toList();
        assertEquals(List.of(DiscardSinkFactory.class.getName(), PlainJarSinkFactory.class.getName()), listed);
    }
}
