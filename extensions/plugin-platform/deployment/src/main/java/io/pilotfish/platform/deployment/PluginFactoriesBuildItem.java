package io.pilotfish.platform.deployment;

import io.quarkus.builder.item.SimpleBuildItem;
import java.util.List;
import java.util.TreeSet;

/** The plugin factories of this build, found by {@link PluginPlatformProcessor}. */
public final class PluginFactoriesBuildItem extends SimpleBuildItem {

    private final PluginDiscovery.Found collectors;
    private final PluginDiscovery.Found sinks;

    PluginFactoriesBuildItem(PluginDiscovery.Found collectors, PluginDiscovery.Found sinks) {
        this.collectors = collectors;
        this.sinks = sinks;
    }

    /** Collector factory class names, sorted. */
    public List<String> collectorClasses() {
        return collectors.classes();
    }

    /** Sink factory class names, sorted. */
    public List<String> sinkClasses() {
        return sinks.classes();
    }

    /** Collector factories named in {@code META-INF/services/io.pilotfish.spi.CollectorFactory} files. */
    public List<String> listedCollectorClasses() {
        return collectors.listed();
    }

    /** Sink factories named in {@code META-INF/services/io.pilotfish.spi.SinkFactory} files. */
    public List<String> listedSinkClasses() {
        return sinks.listed();
    }

    /** Every factory class once (a class may implement both SPIs), sorted. */
    public List<String> allClasses() {
        TreeSet<String> all = new TreeSet<>(collectors.classes());
        all.addAll(sinks.classes());
        return List.copyOf(all);
    }
}
