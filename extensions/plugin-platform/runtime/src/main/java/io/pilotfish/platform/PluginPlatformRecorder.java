package io.pilotfish.platform;

import io.quarkus.runtime.annotations.Recorder;
import java.util.List;
import java.util.function.Supplier;

/** Carries the build-time discovery result into the running application. */
@Recorder
public class PluginPlatformRecorder {

    public Supplier<DiscoveredPlugins> discoveredPlugins(List<String> collectorClasses, List<String> sinkClasses) {
        DiscoveredPlugins discovered = new DiscoveredPlugins(collectorClasses, sinkClasses);
        return () -> discovered;
    }
}
