package io.pilotfish.platform;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginFactory;
import io.pilotfish.spi.SinkFactory;
import io.quarkus.arc.All;
import io.quarkus.arc.InstanceHandle;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The collector and sink types this build contains, by type name. Factories are the CDI beans of the classes found
 * at build time. Built at startup, so a broken plugin set (two plugins claiming one type, a blank type) stops the
 * application before it runs, naming the classes involved.
 */
@Startup
@Singleton
public class PluginRegistry {

    private final SortedMap<String, CollectorFactory<?>> collectors;
    private final SortedMap<String, SinkFactory<?>> sinks;

    @Inject
    PluginRegistry(DiscoveredPlugins discovered,
            @All List<InstanceHandle<CollectorFactory<?>>> collectorBeans,
            @All List<InstanceHandle<SinkFactory<?>>> sinkBeans) {
        this(beansOf("collector", discovered.collectorClasses(), collectorBeans),
                beansOf("sink", discovered.sinkClasses(), sinkBeans));
    }

    /** For tests: a registry over the given factories, with the same checks as at startup. */
    public PluginRegistry(List<? extends CollectorFactory<?>> collectors, List<? extends SinkFactory<?>> sinks) {
        this.collectors = byType("collector", collectors);
        this.sinks = byType("sink", sinks);
    }

    /** All collector factories, ordered by type name. */
    public List<CollectorFactory<?>> collectors() {
        return List.copyOf(collectors.values());
    }

    /** All sink factories, ordered by type name. */
    public List<SinkFactory<?>> sinks() {
        return List.copyOf(sinks.values());
    }

    /** The collector factory for a {@code pilotfish.collectors.<name>.type} value. */
    public Optional<CollectorFactory<?>> collector(String type) {
        return Optional.ofNullable(collectors.get(type));
    }

    /** The sink factory for a {@code pilotfish.sinks.<name>.type} value. */
    public Optional<SinkFactory<?>> sink(String type) {
        return Optional.ofNullable(sinks.get(type));
    }

    /** Collector type names, sorted: what a user may write in {@code pilotfish.collectors.<name>.type}. */
    public List<String> collectorTypes() {
        return List.copyOf(collectors.keySet());
    }

    /** Sink type names, sorted: what a user may write in {@code pilotfish.sinks.<name>.type}. */
    public List<String> sinkTypes() {
        return List.copyOf(sinks.keySet());
    }

    /**
     * Picks the bean of each discovered class. Other beans of the SPI type (say a test double made by a producer)
     * are not plugins: only what the build discovered counts.
     */
    private static <F> List<F> beansOf(String kind, List<String> classNames, List<InstanceHandle<F>> beans) {
        Map<String, InstanceHandle<F>> byClass = new HashMap<>();
        for (InstanceHandle<F> bean : beans) {
            byClass.put(bean.getBean().getBeanClass().getName(), bean);
        }
        List<F> factories = new ArrayList<>(classNames.size());
        for (String className : classNames) {
            InstanceHandle<F> bean = byClass.get(className);
            if (bean == null) {
                // Only reachable if the extension's build steps and this registry disagree: a platform bug.
                throw new IllegalStateException("The " + kind + " plugin " + className
                        + " was discovered at build time but has no CDI bean; rebuild the application");
            }
            factories.add(bean.get());
        }
        return factories;
    }

    private static <F extends PluginFactory<?>> SortedMap<String, F> byType(String kind, List<? extends F> factories) {
        SortedMap<String, F> byType = new TreeMap<>();
        for (F factory : factories) {
            String type = typeOf(kind, factory);
            F previous = byType.putIfAbsent(type, factory);
            if (previous != null) {
                throw new IllegalStateException("Two " + kind + " plugins declare type '" + type + "': "
                        + previous.getClass().getName() + " and " + factory.getClass().getName()
                        + ". A type name must be unique among " + kind
                        + "s: rename one type() or leave one plugin out of the build.");
            }
        }
        return Collections.unmodifiableSortedMap(byType);
    }

    private static String typeOf(String kind, PluginFactory<?> factory) {
        String className = factory.getClass().getName();
        String type;
        try {
            type = factory.type();
        } catch (RuntimeException e) {
            throw new IllegalStateException("The " + kind + " plugin " + className + " failed in type(): " + e, e);
        }
        if (type == null || type.isBlank()) {
            throw new IllegalStateException("The " + kind + " plugin " + className
                    + " returns a blank type(): return the name users write in pilotfish." + kind + "s.<name>.type");
        }
        if (type.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalStateException("The " + kind + " plugin " + className + " returns type '" + type
                    + "', which contains whitespace: users could not write it in pilotfish." + kind + "s.<name>.type");
        }
        return type;
    }
}
