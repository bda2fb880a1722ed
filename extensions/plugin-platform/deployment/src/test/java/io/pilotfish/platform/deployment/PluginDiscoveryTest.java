package io.pilotfish.platform.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.platform.deployment.fixtures.BaseCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.DiscardSinkFactory;
import io.pilotfish.platform.deployment.fixtures.EchoCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.IndexOnlyCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.NoDefaultConstructorCollectorFactory;
import io.pilotfish.platform.deployment.fixtures.NotAFactory;
import io.pilotfish.platform.deployment.fixtures.OtherJarCollectorFactory;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginFactory;
import io.pilotfish.spi.SinkFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jboss.jandex.Index;
import org.junit.jupiter.api.Test;

/** The discovery rules on plain Jandex indexes; the Quarkus tests cover the wiring around them. */
class PluginDiscoveryTest {

    private final List<String> problems = new ArrayList<>();

    /** The given classes plus the SPI interfaces, which the build's computing index always resolves. */
    private static Index indexOf(Class<?>... classes) throws IOException {
        List<Class<?>> all = new ArrayList<>(List.of(classes));
        all.addAll(List.of(PluginFactory.class, CollectorFactory.class, SinkFactory.class));
        return Index.of(all.toArray(Class<?>[]::new));
    }

    @Test
    void listedAndIndexedFactoriesAreBothPlugins() throws IOException {
        Index index = indexOf(EchoCollectorFactory.class, BaseCollectorFactory.class, IndexOnlyCollectorFactory.class);

        PluginDiscovery.Found found = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of(EchoCollectorFactory.class.getName()), problems);

        assertEquals(List.of(), problems);
        assertEquals(List.of(EchoCollectorFactory.class.getName(), IndexOnlyCollectorFactory.class.getName()),
                found.classes());
        assertEquals(List.of(EchoCollectorFactory.class.getName()), found.listed());
        assertEquals(List.of(IndexOnlyCollectorFactory.class.getName()), found.indexOnly());
    }

    @Test
    void listedFactoryOutsideTheIndexIsResolvedThroughTheLookup() throws IOException {
        Index index = indexOf(EchoCollectorFactory.class);
        Index lookup = indexOf(EchoCollectorFactory.class, OtherJarCollectorFactory.class);

        PluginDiscovery.Found found = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, lookup,
                Set.of(OtherJarCollectorFactory.class.getName()), problems);

        assertEquals(List.of(), problems);
        assertEquals(List.of(EchoCollectorFactory.class.getName(), OtherJarCollectorFactory.class.getName()),
                found.classes());
    }

    @Test
    void inheritedImplementationCountsForAListedFactory() throws IOException {
        Index index = indexOf(BaseCollectorFactory.class, IndexOnlyCollectorFactory.class);

        PluginDiscovery.Found found = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of(IndexOnlyCollectorFactory.class.getName()), problems);

        assertEquals(List.of(), problems);
        assertEquals(List.of(IndexOnlyCollectorFactory.class.getName()), found.listed());
    }

    @Test
    void listedClassThatDoesNotExistIsAProblem() throws IOException {
        Index index = indexOf(EchoCollectorFactory.class);

        PluginDiscovery.Found found = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of("com.example.Typo"), problems);

        assertEquals(List.of("com.example.Typo (listed in META-INF/services/io.pilotfish.spi.CollectorFactory) is"
                + " not on the class path: fix the name in that file or add the jar that contains the class"), problems);
        assertEquals(List.of(EchoCollectorFactory.class.getName()), found.classes());
    }

    @Test
    void listedClassOfTheWrongSpiIsAProblem() throws IOException {
        Index index = indexOf(NotAFactory.class, DiscardSinkFactory.class);

        PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of(NotAFactory.class.getName(), DiscardSinkFactory.class.getName()), problems);

        assertEquals(2, problems.size(), problems::toString);
        assertEquals(DiscardSinkFactory.class.getName() + " (listed in META-INF/services/io.pilotfish.spi.CollectorFactory)"
                + " does not implement io.pilotfish.spi.CollectorFactory: remove it from that file or implement the"
                + " interface", problems.get(0));
        assertTrue(problems.get(1).startsWith(NotAFactory.class.getName() + " (listed in "), problems::toString);
        assertTrue(problems.get(1).contains("does not implement io.pilotfish.spi.CollectorFactory"), problems::toString);
    }

    @Test
    void unreadableSupertypeIsNamed() throws IOException {
        Index index = indexOf(IndexOnlyCollectorFactory.class);

        PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of(IndexOnlyCollectorFactory.class.getName()), problems);

        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("does not implement io.pilotfish.spi.CollectorFactory (its supertypes ["
                + BaseCollectorFactory.class.getName() + "] are not on the class path)"), problems::toString);
    }

    @Test
    void listedAbstractClassIsAProblemButAnIndexedOneIsSkipped() throws IOException {
        Index index = indexOf(BaseCollectorFactory.class);

        PluginDiscovery.Found skipped = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index, Set.of(),
                problems);
        assertEquals(List.of(), problems);
        assertEquals(List.of(), skipped.classes());

        PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index, Set.of(BaseCollectorFactory.class.getName()),
                problems);
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("is abstract: list the concrete factory class instead"),
                problems::toString);
    }

    @Test
    void factoryWithoutPublicNoArgConstructorIsAProblemWhereverItWasFound() throws IOException {
        Index index = indexOf(NoDefaultConstructorCollectorFactory.class, PrivateConstructorFactory.class,
                BaseCollectorFactory.class);

        PluginDiscovery.Found found = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of(NoDefaultConstructorCollectorFactory.class.getName()), problems);

        assertEquals(List.of(), found.classes());
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(NoDefaultConstructorCollectorFactory.class.getName()
                + " (listed in META-INF/services/io.pilotfish.spi.CollectorFactory) has no public no-argument"
                + " constructor"), problems::toString);
        assertTrue(problems.get(1).startsWith(PrivateConstructorFactory.class.getName()
                + " (found in the Jandex index, not listed in META-INF/services/io.pilotfish.spi.CollectorFactory)"
                + " has no public no-argument constructor"), problems::toString);
    }

    @Test
    void innerAndNonPublicClassesAreProblems() throws IOException {
        Index index = indexOf(InnerFactory.class, PackagePrivateFactory.class, BaseCollectorFactory.class);

        PluginDiscovery.Found found = PluginDiscovery.discover(PluginDiscovery.COLLECTOR, index, index,
                Set.of(InnerFactory.class.getName(), PackagePrivateFactory.class.getName()), problems);

        assertEquals(List.of(), found.classes());
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(InnerFactory.class.getName()), problems::toString);
        assertTrue(problems.get(0).contains("make it a top-level class or a static nested class"), problems::toString);
        assertTrue(problems.get(1).startsWith(PackagePrivateFactory.class.getName()), problems::toString);
        assertTrue(problems.get(1).contains("is not public"), problems::toString);
    }

    @Test
    void reportListsEveryProblem() {
        String report = PluginDiscovery.report(List.of("first thing", "second thing"));

        assertEquals("Pilotfish plugin discovery failed: 2 problems\n  - first thing\n  - second thing", report);
    }

    /** Not static: needs an enclosing instance, so neither CDI nor ServiceLoader can create it. */
    public class InnerFactory extends BaseCollectorFactory {
        @Override
        public String type() {
            return "inner";
        }
    }

    /** Package-private: ServiceLoader refuses it. */
    static class PackagePrivateFactory extends BaseCollectorFactory {
        public PackagePrivateFactory() {
        }

        @Override
        public String type() {
            return "package-private";
        }
    }

    /** Only reachable through the index: its constructor is private. */
    public static class PrivateConstructorFactory extends BaseCollectorFactory {
        private PrivateConstructorFactory() {
        }

        @Override
        public String type() {
            return "private-constructor";
        }
    }
}
