package io.pilotfish.core.plugin;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.SinkFactory;
import java.util.List;
import java.util.Optional;

/** The plugin types compiled into this agent. */
public interface PluginCatalog {

    List<CollectorFactory<?>> collectors();

    List<SinkFactory<?>> sinks();

    default Optional<CollectorFactory<?>> collector(String type) {
        return collectors().stream().filter(f -> f.type().equals(type)).findFirst();
    }

    default Optional<SinkFactory<?>> sink(String type) {
        return sinks().stream().filter(f -> f.type().equals(type)).findFirst();
    }

    default List<String> collectorTypes() {
        return collectors().stream().map(CollectorFactory::type).sorted().toList();
    }

    default List<String> sinkTypes() {
        return sinks().stream().map(SinkFactory::type).sorted().toList();
    }

    static PluginCatalog of(List<CollectorFactory<?>> collectors, List<SinkFactory<?>> sinks) {
        List<CollectorFactory<?>> c = List.copyOf(collectors);
        List<SinkFactory<?>> s = List.copyOf(sinks);
        return new PluginCatalog() {
            @Override
            public List<CollectorFactory<?>> collectors() {
                return c;
            }

            @Override
            public List<SinkFactory<?>> sinks() {
                return s;
            }
        };
    }

    /** Plugins found through {@link java.util.ServiceLoader}: for tests and embedding without Quarkus. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static PluginCatalog fromServiceLoader() {
        List collectors = java.util.ServiceLoader.load(CollectorFactory.class).stream()
                .map(java.util.ServiceLoader.Provider::get).toList();
        List sinks = java.util.ServiceLoader.load(SinkFactory.class).stream()
                .map(java.util.ServiceLoader.Provider::get).toList();
        return of(collectors, sinks);
    }
}
