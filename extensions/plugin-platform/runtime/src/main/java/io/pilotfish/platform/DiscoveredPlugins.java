package io.pilotfish.platform;

import java.util.List;

/**
 * The plugin factory classes the build found, as sorted class names. Produced at build time and handed to the
 * runtime as a bean; {@link PluginRegistry} turns it into factory instances.
 *
 * @param collectorClasses implementations of {@link io.pilotfish.spi.CollectorFactory}
 * @param sinkClasses      implementations of {@link io.pilotfish.spi.SinkFactory}
 */
public record DiscoveredPlugins(List<String> collectorClasses, List<String> sinkClasses) {

    public DiscoveredPlugins {
        collectorClasses = List.copyOf(collectorClasses);
        sinkClasses = List.copyOf(sinkClasses);
    }
}
