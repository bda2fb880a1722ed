package io.pilotfish.platform.deployment;

import io.pilotfish.platform.DiscoveredPlugins;
import io.pilotfish.platform.PluginPlatformRecorder;
import io.pilotfish.platform.PluginRegistry;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.arc.deployment.SyntheticBeanBuildItem;
import io.quarkus.arc.processor.DotNames;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.deployment.builditem.AdditionalApplicationArchiveMarkerBuildItem;
import io.quarkus.deployment.builditem.CombinedIndexBuildItem;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ReflectiveClassBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ServiceProviderBuildItem;
import io.quarkus.deployment.util.ServiceUtil;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Finds the collector and sink plugins at build time (see {@link PluginDiscovery} for the rules), makes each
 * factory an unremovable singleton bean, registers it for native image, and hands the list to
 * {@link PluginRegistry}.
 */
class PluginPlatformProcessor {

    static final String FEATURE = "pilotfish-plugins";

    private static final Logger LOG = Logger.getLogger(PluginPlatformProcessor.class);

    @BuildStep
    FeatureBuildItem feature() {
        return new FeatureBuildItem(FEATURE);
    }

    /** A jar whose only marker is its services file is indexed like application code (no beans.xml or Jandex). */
    @BuildStep
    void indexPluginJars(BuildProducer<AdditionalApplicationArchiveMarkerBuildItem> markers) {
        markers.produce(new AdditionalApplicationArchiveMarkerBuildItem(PluginDiscovery.COLLECTOR.servicesFile()));
        markers.produce(new AdditionalApplicationArchiveMarkerBuildItem(PluginDiscovery.SINK.servicesFile()));
    }

    @BuildStep
    PluginFactoriesBuildItem discover(CombinedIndexBuildItem combinedIndex) {
        ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        List<String> problems = new ArrayList<>();
        PluginDiscovery.Found collectors = PluginDiscovery.discover(PluginDiscovery.COLLECTOR,
                combinedIndex.getIndex(), combinedIndex.getComputingIndex(),
                listedIn(classLoader, PluginDiscovery.COLLECTOR), problems);
        PluginDiscovery.Found sinks = PluginDiscovery.discover(PluginDiscovery.SINK,
                combinedIndex.getIndex(), combinedIndex.getComputingIndex(),
                listedIn(classLoader, PluginDiscovery.SINK), problems);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(PluginDiscovery.report(problems));
        }
        warnIndexOnly(PluginDiscovery.COLLECTOR, collectors);
        warnIndexOnly(PluginDiscovery.SINK, sinks);
        LOG.debugf("Pilotfish plugins: collectors %s, sinks %s", collectors.classes(), sinks.classes());
        return new PluginFactoriesBuildItem(collectors, sinks);
    }

    @BuildStep
    void registerBeans(PluginFactoriesBuildItem plugins, BuildProducer<AdditionalBeanBuildItem> beans) {
        beans.produce(AdditionalBeanBuildItem.unremovableOf(PluginRegistry.class));
        List<String> factories = plugins.allClasses();
        if (!factories.isEmpty()) {
            // Factories carry no CDI annotation: a plugin jar depends on the SPI only.
            beans.produce(AdditionalBeanBuildItem.builder()
                    .addBeanClasses(factories)
                    .setUnremovable()
                    .setDefaultScope(DotNames.SINGLETON)
                    .build());
        }
    }

    /**
     * Quarkus turns GraalVM's automatic ServiceLoader support off, so the services files and the factory
     * constructors must be registered explicitly, or plugins would vanish from a native image.
     */
    @BuildStep
    void registerForNativeImage(PluginFactoriesBuildItem plugins,
            BuildProducer<ServiceProviderBuildItem> serviceProviders,
            BuildProducer<ReflectiveClassBuildItem> reflection) {
        if (!plugins.listedCollectorClasses().isEmpty()) {
            serviceProviders.produce(new ServiceProviderBuildItem(PluginDiscovery.COLLECTOR.name().toString(),
                    plugins.listedCollectorClasses()));
        }
        if (!plugins.listedSinkClasses().isEmpty()) {
            serviceProviders.produce(new ServiceProviderBuildItem(PluginDiscovery.SINK.name().toString(),
                    plugins.listedSinkClasses()));
        }
        List<String> factories = plugins.allClasses();
        if (!factories.isEmpty()) {
            reflection.produce(ReflectiveClassBuildItem.builder(factories.toArray(String[]::new))
                    .constructors()
                    .reason("Pilotfish plugin factory")
                    .build());
        }
    }

    @BuildStep
    @Record(ExecutionTime.STATIC_INIT)
    SyntheticBeanBuildItem discoveredPlugins(PluginFactoriesBuildItem plugins, PluginPlatformRecorder recorder) {
        // Mutable copies: the bytecode recorder rebuilds collections through their no-argument constructors.
        return SyntheticBeanBuildItem.configure(DiscoveredPlugins.class)
                .scope(Singleton.class)
                .unremovable()
                .supplier(recorder.discoveredPlugins(new ArrayList<>(plugins.collectorClasses()),
                        new ArrayList<>(plugins.sinkClasses())))
                .done();
    }

    private static Set<String> listedIn(ClassLoader classLoader, PluginDiscovery.Spi spi) {
        try {
            return ServiceUtil.classNamesNamedIn(classLoader, spi.servicesFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + spi.servicesFile() + " from the class path", e);
        }
    }

    private static void warnIndexOnly(PluginDiscovery.Spi spi, PluginDiscovery.Found found) {
        for (String className : found.indexOnly()) {
            LOG.warnf("Plugin factory %s is not listed in %s; it is registered because the Jandex index has it."
                    + " List it in that file, the plugin contract, so ServiceLoader finds it too.",
                    className, spi.servicesFile());
        }
    }
}
