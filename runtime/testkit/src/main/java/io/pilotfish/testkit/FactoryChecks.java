package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.PluginFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The checks every plugin factory passes, shared by the collector and sink contracts. */
final class FactoryChecks {

    /** What a plugin's stage gets before the test calls it hung; a guard against hanging, not a timing check. */
    static final long STAGE_GUARD_SECONDS = 30;

    private static final Pattern TYPE_NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    static final String UNKNOWN_KEY = "contract-test-no-such-key";
    /** Values that are wrong for most keys: a plugin may accept some, but none may make configure throw. */
    static final List<String> ODD_VALUES = List.of("", " ", "%%not-a-value%%", "-1", "99999999999999999999999",
            "true,false", "\u0000");

    private FactoryChecks() {
    }

    static String prefix(String instanceName) {
        // MapPluginConfig.of names keys like this; the platform uses pilotfish.collectors.<name>. and so on.
        return "pilotfish.plugins." + instanceName + ".";
    }

    static void typeIsLowercaseWithDashes(PluginFactory<?> factory) {
        String type = factory.type();
        assertNotNull(type, "type() returned null");
        assertTrue(TYPE_NAME.matcher(type).matches(), "type() must be lowercase words joined by dashes, such as "
                + "container-stats; was \"" + type + "\"");
    }

    /**
     * The factory's class is listed in the services file of its own module (the same class-path root), and the
     * service loader finds it, and no other factory claims the same type.
     */
    static void listedInServicesFile(Class<?> service, PluginFactory<?> factory) {
        Class<?> type = factory.getClass();
        String resource = "META-INF/services/" + service.getName();
        ClassLoader loader = type.getClassLoader();
        List<URL> listing = new ArrayList<>();
        try {
            for (URL url : Collections.list(loader.getResources(resource))) {
                if (servicesLines(url).contains(type.getName())) {
                    listing.add(url);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(listing.isEmpty(), "no " + resource + " on the class path lists " + type.getName()
                + "; add that line to src/main/resources/" + resource);
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source != null && source.getLocation() != null) {
            String root = source.getLocation().toExternalForm();
            assertTrue(listing.stream().map(URL::toExternalForm)
                            .anyMatch(url -> url.startsWith(root) || url.startsWith("jar:" + root + "!/")),
                    type.getName() + " is listed only in " + listing + ", not in the services file of its own module ("
                            + root + ")");
        }
        List<PluginFactory<?>> loaded = new ArrayList<>();
        for (Object provider : ServiceLoader.load(service, loader)) {
            if (provider instanceof PluginFactory<?> listed) {
                loaded.add(listed);
            }
        }
        assertTrue(loaded.stream().anyMatch(type::isInstance), "ServiceLoader did not load " + type.getName());
        List<String> sameType = loaded.stream().filter(f -> factory.type().equals(f.type()))
                .map(f -> f.getClass().getName()).toList();
        assertEquals(List.of(type.getName()), sameType, "more than one " + service.getSimpleName()
                + " claims type \"" + factory.type() + "\"");
    }

    private static Set<String> servicesLines(URL url) throws IOException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(url.openStream(),
                StandardCharsets.UTF_8))) {
            return in.lines().map(line -> line.replaceFirst("#.*", "").trim()).filter(line -> !line.isEmpty())
                    .collect(Collectors.toSet());
        }
    }

    /** Configures, failing the test (with the cause) if configure throws instead of reporting problems. */
    static <C> C configure(PluginFactory<C> factory, MapPluginConfig config, String what) {
        try {
            return factory.configure(config);
        } catch (RuntimeException e) {
            return fail("configure threw on " + what + " instead of reporting problems through "
                    + "PluginConfig.problem: " + e, e);
        }
    }

    /** The valid config configures with no problem at all, every key read. */
    static <C> C validConfigHasNoProblems(PluginFactory<C> factory, Map<String, String> valid) {
        MapPluginConfig config = MapPluginConfig.of(factory.type(), valid);
        C typed = configure(factory, config, "the valid config " + valid);
        assertEquals(List.of(), config.problems(), "validConfig() must configure cleanly");
        assertNotNull(typed, "configure returned null for a valid config");
        return typed;
    }

    /** Problems name one of the plugin's keys and say what is expected. */
    static void problemsNameKeys(String instanceName, List<ConfigProblem> problems) {
        String prefix = prefix(instanceName);
        for (ConfigProblem problem : problems) {
            assertTrue(problem.key().startsWith(prefix) && problem.key().length() > prefix.length(),
                    "a problem must name the key it is about: " + problem);
            assertFalse(problem.expected() == null || problem.expected().isBlank(),
                    "a problem must say what is expected: " + problem);
        }
    }

    static void emptyConfigConfiguresOrNamesKeys(PluginFactory<?> factory) {
        MapPluginConfig config = MapPluginConfig.of(factory.type(), Map.of());
        Object typed = configure(factory, config, "an empty config");
        List<ConfigProblem> problems = config.problems();
        if (problems.isEmpty()) {
            assertNotNull(typed, "configure returned null for an empty config without reporting a problem");
        }
        problemsNameKeys(factory.type(), problems);
    }

    /** Each key of the valid config, set to each odd value: configure never throws; problems name keys. */
    static void oddValuesNeverThrow(PluginFactory<?> factory, Map<String, String> valid) {
        for (String key : valid.keySet()) {
            for (String odd : ODD_VALUES) {
                Map<String, String> values = new HashMap<>(valid);
                values.put(key, odd);
                MapPluginConfig config = MapPluginConfig.of(factory.type(), values);
                configure(factory, config, key + "=\"" + odd + "\"");
                problemsNameKeys(factory.type(), config.problems());
            }
        }
    }

    static void unknownKeyIsReported(PluginFactory<?> factory, Map<String, String> valid) {
        Map<String, String> values = new LinkedHashMap<>(valid);
        values.put(UNKNOWN_KEY, "1");
        MapPluginConfig config = MapPluginConfig.of(factory.type(), values);
        configure(factory, config, "a config with an unknown key");
        assertEquals(List.of(prefix(factory.type()) + UNKNOWN_KEY),
                config.problems().stream().map(ConfigProblem::key).toList(),
                "the unknown key, and only it, must be reported: " + config.problems());
    }

    /** The platform's keys stay unread by the plugin, so they come back as unknown from the plugin's view alone. */
    static void platformKeysAreLeftAlone(PluginFactory<?> factory, Map<String, String> valid,
                                         Map<String, String> platformKeys) {
        Map<String, String> values = new LinkedHashMap<>(valid);
        values.putAll(platformKeys);
        MapPluginConfig config = MapPluginConfig.of(factory.type(), values);
        configure(factory, config, "a config with the platform's keys");
        Set<String> expected = new TreeSet<>();
        platformKeys.keySet().forEach(key -> expected.add(prefix(factory.type()) + key));
        Set<String> reported = config.problems().stream().filter(p -> p.expected().startsWith("unknown key"))
                .map(ConfigProblem::key).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, reported, "keys " + platformKeys.keySet() + " belong to the platform; the plugin "
                + "must not read them (a key read by the plugin is not reported as unknown here)");
    }

    /** Configure only reads its input: the same input gives an equal config and the same problems. */
    static void configureIsRepeatable(PluginFactory<?> factory, Map<String, String> valid) {
        MapPluginConfig first = MapPluginConfig.of(factory.type(), valid);
        MapPluginConfig second = MapPluginConfig.of(factory.type(), valid);
        Object a = configure(factory, first, "the valid config");
        Object b = configure(factory, second, "the valid config, again");
        assertEquals(first.problems(), second.problems());
        if (a != null && overridesEquals(a.getClass())) {
            assertEquals(a, b, "configuring the same keys twice gave different configs");
        }
    }

    private static boolean overridesEquals(Class<?> type) {
        try {
            return type.getMethod("equals", Object.class).getDeclaringClass() != Object.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * Calls a plugin method returning a stage and waits for it: the call must not throw, must return a stage, and
     * the stage must complete normally. Returns its value.
     */
    static <T> T completesNormally(Supplier<? extends CompletionStage<T>> call, String what) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            return fail(what + " threw instead of returning a stage: " + e, e);
        }
        assertNotNull(stage, what + " returned null instead of a stage");
        try {
            return stage.toCompletableFuture().get(STAGE_GUARD_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return fail(what + " completed exceptionally; it must handle the failure and complete normally: "
                    + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            return fail(what + " did not complete within " + STAGE_GUARD_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while waiting for " + what);
        }
    }

    /** A loopback port nothing listens on: bound, read, released. */
    static int closedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
