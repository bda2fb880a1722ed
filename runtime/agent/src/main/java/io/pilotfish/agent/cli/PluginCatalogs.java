package io.pilotfish.agent.cli;

import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.platform.PluginRegistry;

/** The plugins the extension found at build time, as the core sees them. */
final class PluginCatalogs {

    private PluginCatalogs() {
    }

    static PluginCatalog of(PluginRegistry registry) {
        return PluginCatalog.of(registry.collectors(), registry.sinks());
    }
}
