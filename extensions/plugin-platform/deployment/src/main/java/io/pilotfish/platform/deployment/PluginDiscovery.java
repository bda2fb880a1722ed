package io.pilotfish.platform.deployment;

import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.SinkFactory;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.jandex.ClassInfo;
import org.jboss.jandex.DotName;
import org.jboss.jandex.IndexView;
import org.jboss.jandex.MethodInfo;

/**
 * Decides which classes are plugin factories of one SPI, and checks that each can be created by CDI and by
 * {@link java.util.ServiceLoader}.
 *
 * <p>The contract is the services file: every class listed in {@code META-INF/services/<SPI>} is a plugin, also
 * when its jar was not indexed (the class is then read on demand), and a listed class that is missing, abstract or
 * not an implementation of the SPI fails the build. The Jandex index is the fallback: a concrete implementation in
 * the index that no services file lists is a plugin too (so a factory written inside the application module needs
 * no services file), and the build warns about it. Abstract classes and interfaces found in the index are skipped.
 * Either way a factory must be a public, top-level or static nested class with a public no-argument constructor.
 */
final class PluginDiscovery {

    /** One plugin SPI: a readable kind for messages and the interface name. */
    record Spi(String kind, DotName name) {

        String servicesFile() {
            return "META-INF/services/" + name;
        }
    }

    static final Spi COLLECTOR = new Spi("collector", DotName.createSimple(CollectorFactory.class.getName()));
    static final Spi SINK = new Spi("sink", DotName.createSimple(SinkFactory.class.getName()));

    private static final DotName OBJECT = DotName.createSimple(Object.class.getName());

    /**
     * The factories of one SPI, each list sorted by class name.
     *
     * @param classes   every factory class
     * @param listed    those named in a services file
     * @param indexOnly those found only in the index
     */
    record Found(List<String> classes, List<String> listed, List<String> indexOnly) {
    }

    private PluginDiscovery() {
    }

    /**
     * @param index    the application index: its implementations of the SPI are plugins unless abstract
     * @param lookup   resolves any class on the build class path, indexed or not (Quarkus' computing index)
     * @param listed   the class names listed in the services files of this SPI, from every jar
     * @param problems receives one line per factory that breaks the contract; nothing is returned for those
     */
    static Found discover(Spi spi, IndexView index, IndexView lookup, Set<String> listed, List<String> problems) {
        Set<String> listedOk = new TreeSet<>();
        for (String className : new TreeSet<>(listed)) {
            ClassInfo factory = lookup.getClassByName(DotName.createSimple(className));
            Set<DotName> unresolved = new TreeSet<>();
            String origin = "listed in " + spi.servicesFile();
            if (factory == null) {
                problems.add(className + " (" + origin + ") is not on the class path: fix the name in that file"
                        + " or add the jar that contains the class");
            } else if (!implementsInterface(lookup, factory, spi.name(), unresolved)) {
                problems.add(className + " (" + origin + ") does not implement " + spi.name()
                        + (unresolved.isEmpty() ? "" : " (its supertypes " + unresolved + " are not on the class path)")
                        + ": remove it from that file or implement the interface");
            } else if (factory.isInterface() || Modifier.isAbstract(factory.flags())) {
                problems.add(className + " (" + origin + ") is " + (factory.isInterface() ? "an interface" : "abstract")
                        + ": list the concrete factory class instead");
            } else if (isCreatable(factory, origin, problems)) {
                listedOk.add(className);
            }
        }

        Set<String> indexOnly = new TreeSet<>();
        for (ClassInfo factory : index.getAllKnownImplementors(spi.name())) {
            String className = factory.name().toString();
            if (listed.contains(className) || factory.isInterface() || Modifier.isAbstract(factory.flags())) {
                continue;
            }
            String origin = "found in the Jandex index, not listed in " + spi.servicesFile();
            if (isCreatable(factory, origin, problems)) {
                indexOnly.add(className);
            }
        }

        Set<String> all = new TreeSet<>(listedOk);
        all.addAll(indexOnly);
        return new Found(List.copyOf(all), List.copyOf(listedOk), List.copyOf(indexOnly));
    }

    /** One message for the whole build, listing every problem so they can all be fixed in one go. */
    static String report(List<String> problems) {
        StringBuilder message = new StringBuilder("Pilotfish plugin discovery failed: ")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        for (String problem : problems) {
            message.append("\n  - ").append(problem);
        }
        return message.toString();
    }

    /** What CDI and ServiceLoader both need to instantiate a factory on their own. */
    private static boolean isCreatable(ClassInfo factory, String origin, List<String> problems) {
        String className = factory.name().toString();
        boolean nestedNonStatic = switch (factory.nestingType()) {
            case TOP_LEVEL -> false;
            case INNER -> !Modifier.isStatic(factory.flags());
            case LOCAL, ANONYMOUS -> true;
        };
        if (nestedNonStatic) {
            problems.add(className + " (" + origin + ") is an inner, local or anonymous class: make it a top-level"
                    + " class or a static nested class");
            return false;
        }
        if (!Modifier.isPublic(factory.flags())) {
            problems.add(className + " (" + origin + ") is not public: plugin factories must be public classes");
            return false;
        }
        if (!hasPublicNoArgConstructor(factory)) {
            problems.add(className + " (" + origin + ") has no public no-argument constructor: add one (public "
                    + factory.simpleName() + "() {}); plugin factories are created by CDI and by ServiceLoader,"
                    + " which both need it");
            return false;
        }
        return true;
    }

    private static boolean hasPublicNoArgConstructor(ClassInfo factory) {
        for (MethodInfo constructor : factory.constructors()) {
            if (constructor.parametersCount() == 0 && Modifier.isPublic(constructor.flags())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Walks superclasses and superinterfaces. A supertype that cannot be read is a dead end, recorded in
     * {@code unresolved} so the message can say why.
     */
    private static boolean implementsInterface(IndexView lookup, ClassInfo type, DotName target,
            Set<DotName> unresolved) {
        Deque<DotName> pending = new ArrayDeque<>();
        Set<DotName> seen = new HashSet<>();
        pending.add(type.name());
        while (!pending.isEmpty()) {
            DotName name = pending.poll();
            if (!seen.add(name)) {
                continue;
            }
            if (name.equals(target)) {
                return true;
            }
            ClassInfo info = name.equals(type.name()) ? type : lookup.getClassByName(name);
            if (info == null) {
                if (!name.equals(OBJECT)) {
                    unresolved.add(name);
                }
                continue;
            }
            pending.addAll(info.interfaceNames());
            if (info.superName() != null) {
                pending.add(info.superName());
            }
        }
        return false;
    }
}
