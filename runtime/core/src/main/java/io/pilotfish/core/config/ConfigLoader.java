package io.pilotfish.core.config;

import io.pilotfish.core.pipeline.SinkRunner;
import io.pilotfish.core.plugin.PluginCatalog;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.PluginFactory;
import io.pilotfish.spi.SinkFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns the flat {@code pilotfish.*} keys into validated agent settings and plugin instances. Validation is pure (no
 * I/O) and lists every problem once, each naming the key, the value, its source and what is expected.
 *
 * <pre>
 * pilotfish.collectors.&lt;name&gt;.type      plugin type (defaults to the instance name)
 * pilotfish.collectors.&lt;name&gt;.enabled   true/false, default true
 * pilotfish.collectors.&lt;name&gt;.interval  scrape interval, default 10s
 * pilotfish.sinks.&lt;name&gt;.type / .enabled / queue.* / batch.* / retry.* / request-timeout / disk-buffer.*
 * </pre>
 */
public final class ConfigLoader {

    public static final String PREFIX = "pilotfish.";
    public static final String ENV_PREFIX = "PILOTFISH_";
    private static final String COLLECTORS = PREFIX + "collectors.";
    private static final String SINKS = PREFIX + "sinks.";
    private static final Pattern INSTANCE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final PluginCatalog catalog;
    private final long heapBytes;

    public ConfigLoader(PluginCatalog catalog) {
        this(catalog, Runtime.getRuntime().maxMemory());
    }

    /** @param heapBytes the heap every budget must fit in together (the agent's {@code -Xmx}) */
    public ConfigLoader(PluginCatalog catalog, long heapBytes) {
        this.catalog = catalog;
        this.heapBytes = heapBytes;
    }

    /** @param values every {@code pilotfish.*} key with its value and source; other keys are ignored */
    public LoadedConfig load(Map<String, ConfigValue> values) {
        return load(values, Map.of());
    }

    /**
     * @param values      every {@code pilotfish.*} key with its value and source; other keys are ignored
     * @param environment {@code PILOTFISH_*} variables by name. {@code PILOTFISH_COLLECTORS_<NAME>_<KEY>} and
     *                    {@code PILOTFISH_SINKS_<NAME>_<KEY>} address an instance known from the other sources (or
     *                    created by {@code ..._<NAME>_TYPE}); everything else is an agent-wide key. The key part is
     *                    matched against the keys each plugin reads, as {@code QUEUE_MAX_BYTES} may mean
     *                    {@code queue.max-bytes} or {@code queue-max.bytes}.
     */
    public LoadedConfig load(Map<String, ConfigValue> values, Map<String, ConfigValue> environment) {
        Map<String, ConfigValue> global = new TreeMap<>();
        Map<String, Map<String, ConfigValue>> collectorKeys = new TreeMap<>();
        Map<String, Map<String, ConfigValue>> sinkKeys = new TreeMap<>();
        Map<String, MapPluginConfig.EnvEntry> globalEnv = new TreeMap<>();
        Map<String, Map<String, MapPluginConfig.EnvEntry>> collectorEnv = new TreeMap<>();
        Map<String, Map<String, MapPluginConfig.EnvEntry>> sinkEnv = new TreeMap<>();
        List<ConfigProblem> problems = new ArrayList<>();
        values.forEach((key, value) -> {
            if (key.startsWith(COLLECTORS)) {
                group(key, COLLECTORS, value, collectorKeys, problems);
            } else if (key.startsWith(SINKS)) {
                group(key, SINKS, value, sinkKeys, problems);
            } else if (key.startsWith(PREFIX)) {
                global.put(key.substring(PREFIX.length()), value);
            }
        });

        // Variables ending in _TYPE go first: they may create the instances the others address.
        List<Map.Entry<String, ConfigValue>> variables = new ArrayList<>(environment.entrySet());
        variables.sort(java.util.Comparator.comparing((Map.Entry<String, ConfigValue> e) -> !e.getKey().endsWith(
                "_TYPE")).thenComparing(Map.Entry::getKey));
        variables.forEach(entry -> {
            String variable = entry.getKey();
            ConfigValue value = entry.getValue();
            String rest = variable.substring(ENV_PREFIX.length());
            if (rest.startsWith("COLLECTORS_")) {
                routeEnv(variable, value, rest.substring("COLLECTORS_".length()), collectorKeys, collectorEnv,
                        COLLECTORS, problems);
            } else if (rest.startsWith("SINKS_")) {
                routeEnv(variable, value, rest.substring("SINKS_".length()), sinkKeys, sinkEnv, SINKS, problems);
            } else if (!rest.isEmpty()) {
                globalEnv.put(rest, new MapPluginConfig.EnvEntry(variable, value));
            }
        });

        MapPluginConfig globalView = new MapPluginConfig("agent", PREFIX, global, globalEnv);
        AgentConfig agent = AgentConfig.read(globalView);
        problems.addAll(globalView.problems());

        List<CollectorSpec> collectors = new ArrayList<>();
        List<MapPluginConfig> views = new ArrayList<>();
        views.add(globalView);
        collectorKeys.forEach((name, keys) -> loadCollector(name, keys, collectorEnv.getOrDefault(name, Map.of()),
                problems, views).ifPresent(collectors::add));
        List<SinkSpec> loadedSinks = new ArrayList<>();
        Map<String, MapPluginConfig> sinkViews = new TreeMap<>();
        sinkKeys.forEach((name, keys) -> loadSink(name, keys, sinkEnv.getOrDefault(name, Map.of()), problems, views,
                sinkViews).ifPresent(loadedSinks::add));
        List<SinkSpec> sinks = problems.isEmpty() ? planMemory(collectors, loadedSinks, sinkViews, problems)
                : loadedSinks;
        return new LoadedConfig(agent, List.copyOf(collectors), List.copyOf(sinks), List.copyOf(problems),
                effective(views));
    }

    /** Every key read anywhere, with its effective value and source, for {@code pilotfish config}. */
    private static Map<String, MapPluginConfig.Effective> effective(List<MapPluginConfig> views) {
        Map<String, MapPluginConfig.Effective> out = new TreeMap<>();
        for (MapPluginConfig view : views) {
            view.effective().forEach((key, value) -> out.put(view.prefix() + key, value));
        }
        return out;
    }

    /**
     * Finds the instance a {@code PILOTFISH_COLLECTORS_*} / {@code PILOTFISH_SINKS_*} variable addresses: the
     * longest known instance name whose environment form starts the rest, or a new instance when the variable ends
     * in {@code _TYPE}.
     */
    private static void routeEnv(String variable, ConfigValue value, String rest,
                                 Map<String, Map<String, ConfigValue>> knownKeys,
                                 Map<String, Map<String, MapPluginConfig.EnvEntry>> into, String prefix,
                                 List<ConfigProblem> problems) {
        String match = null;
        for (String name : knownKeys.keySet()) {
            String form = MapPluginConfig.envKey(name) + "_";
            if (rest.startsWith(form) && rest.length() > form.length()
                    && (match == null || name.length() > match.length())) {
                match = name;
            }
        }
        String keyPart;
        if (match != null) {
            keyPart = rest.substring(MapPluginConfig.envKey(match).length() + 1);
        } else if (rest.endsWith("_TYPE") && rest.length() > "_TYPE".length()) {
            match = rest.substring(0, rest.length() - "_TYPE".length()).toLowerCase(java.util.Locale.ROOT)
                    .replace('_', '-');
            keyPart = "TYPE";
            knownKeys.computeIfAbsent(match, n -> new TreeMap<>());
        } else {
            problems.add(new ConfigProblem(variable, shown(variable, value), value.source(), "no " + prefix
                    + "<instance> matches; name an instance that exists, or create one with "
                    + variable.substring(0, variable.length() - rest.length()) + "<NAME>_TYPE"));
            return;
        }
        into.computeIfAbsent(match, n -> new TreeMap<>()).put(keyPart, new MapPluginConfig.EnvEntry(variable,
                value));
    }

    private static void group(String key, String prefix, ConfigValue value,
                              Map<String, Map<String, ConfigValue>> into, List<ConfigProblem> problems) {
        String rest = key.substring(prefix.length());
        int dot = rest.indexOf('.');
        if (dot <= 0 || dot == rest.length() - 1) {
            problems.add(new ConfigProblem(key, shown(key, value), value.source(),
                    "expected " + prefix + "<instance name>.<key>"));
            return;
        }
        String name = rest.substring(0, dot);
        if (!INSTANCE_NAME.matcher(name).matches()) {
            problems.add(new ConfigProblem(key, shown(key, value), value.source(),
                    "instance name '" + name + "' must be lowercase letters, digits, '-' or '_'"));
            return;
        }
        into.computeIfAbsent(name, n -> new TreeMap<>()).put(rest.substring(dot + 1), value);
    }

    /** A misplaced key's value for its problem: hidden when secret or when the key looks like it holds one. */
    private static String shown(String key, ConfigValue value) {
        return value.secret() ? "****" : MapPluginConfig.shown(key, value.value());
    }

    private Optional<CollectorSpec> loadCollector(String name, Map<String, ConfigValue> keys,
                                                  Map<String, MapPluginConfig.EnvEntry> env,
                                                  List<ConfigProblem> problems, List<MapPluginConfig> views) {
        MapPluginConfig view = new MapPluginConfig(name, COLLECTORS + name + ".", keys, env);
        views.add(view);
        String type = view.string("type", name);
        boolean enabled = view.bool("enabled", true);
        Duration interval = view.duration("interval", DEFAULT_INTERVAL);
        if (interval.toMillis() < 100) {
            view.problem("interval", "must be at least 100ms");
        }
        Optional<CollectorFactory<?>> factory = catalog.collector(type);
        if (factory.isEmpty()) {
            problems.addAll(view.problems().stream().filter(p -> !p.expected().startsWith("unknown key")).toList());
            ConfigValue typeValue = keys.get("type");
            problems.add(new ConfigProblem(COLLECTORS + name + ".type", type,
                    typeValue == null ? "instance name" : typeValue.source(),
                    "no collector of this type in this agent; available: " + String.join(", ",
                            catalog.collectorTypes()) + ". A plugin must be on the agent's build classpath"));
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        CollectorFactory<Object> typed = (CollectorFactory<Object>) factory.get();
        Object config = configure(typed, view);
        problems.addAll(view.problems());
        if (!enabled || !view.problems().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new CollectorSpec(name, typed, config, interval));
    }

    /**
     * Checks that every budget fits the heap together and gives each sink without a queue budget of its own its share
     * of what is left (and a batch that fits in it).
     */
    private List<SinkSpec> planMemory(List<CollectorSpec> collectors, List<SinkSpec> sinks,
                                      Map<String, MapPluginConfig> sinkViews, List<ConfigProblem> problems) {
        MemoryPlan plan = new MemoryPlan(heapBytes);
        for (CollectorSpec collector : collectors) {
            long bytes;
            try {
                bytes = collector.factory().memoryBytes(collector.config());
            } catch (RuntimeException e) {
                bytes = 0; // a plugin that cannot say is not held against the others
            }
            if (bytes > 0) {
                plan.collector(COLLECTORS + collector.name(), bytes);
            }
        }
        for (SinkSpec sink : sinks) {
            long bytes;
            try {
                bytes = sink.factory().memoryBytes(sink.config());
            } catch (RuntimeException e) {
                bytes = 0;
            }
            if (bytes > 0) {
                // What a sink keeps beside its queue (encoding buffers, caches) is reserved like a collector's.
                plan.collector(SINKS + sink.name(), bytes);
            }
            if (sink.options().exportsInFlight() > 1) {
                // Each export beyond the first holds a batch's encoded body (and, while it is made, its JSON) outside
                // the queue.
                plan.collector(SINKS + sink.name() + ".exports-in-flight", (sink.options().exportsInFlight() - 1)
                        * sink.factory().batchLimits(sink.config()).maxBytes());
            }
            if (sink.options().diskBuffer().enabled()) {
                // The disk buffer's fixed scratch: records being written, records read back ahead of sending.
                plan.collector(SINKS + sink.name() + ".disk-buffer", SinkRunner.diskScratchBytes());
            }
        }
        String largestKey = null;
        long largest = -1;
        for (SinkSpec sink : sinks) {
            MapPluginConfig view = sinkViews.get(sink.name());
            if (setByUser(view, "queue.max-bytes")) {
                String key = SINKS + sink.name() + ".queue.max-bytes";
                plan.fixedSink(key, sink.options().queueMaxBytes());
                if (sink.options().queueMaxBytes() > largest) {
                    largest = sink.options().queueMaxBytes();
                    largestKey = sink.name();
                }
            } else {
                plan.sharedSink(SINKS + sink.name());
            }
        }
        if (!plan.fits()) {
            String fix = ". Lower these budgets, or give the agent a larger heap (PILOTFISH_JAVA_OPTS=-Xmx...; the "
                    + "launcher's default is -Xmx128m with APM on, -Xmx48m with DD_APM_ENABLED=false, 48m more with "
                    + "logs and 4m more for each logs send above 2)";
            if (largestKey != null) {
                MapPluginConfig.Effective set = sinkViews.get(largestKey).effective().get("queue.max-bytes");
                problems.add(new ConfigProblem(SINKS + largestKey + ".queue.max-bytes", set.value(), set.source(),
                        plan.describe() + fix));
            } else {
                problems.add(new ConfigProblem(PREFIX + "heap", MemoryPlan.mib(heapBytes), "-Xmx",
                        plan.describe() + fix));
            }
            return sinks;
        }
        long share = plan.sharedQueueBytes();
        List<SinkSpec> planned = new ArrayList<>(sinks.size());
        for (SinkSpec sink : sinks) {
            MapPluginConfig view = sinkViews.get(sink.name());
            if (setByUser(view, "queue.max-bytes")) {
                planned.add(sink);
                continue;
            }
            SinkOptions options = sink.options();
            BatchLimits batch = options.batch();
            if (!setByUser(view, "batch.max-bytes")) {
                batch = new BatchLimits(batch.maxItems(), Math.min(sink.factory().batchLimits(sink.config()).maxBytes(),
                        Math.max(1024, share / 2)));
            }
            view.derived("queue.max-bytes", String.valueOf(share), "a share of the heap");
            planned.add(new SinkSpec(sink.name(), sink.factory(), sink.config(), sink.signals(),
                    options.withQueue(share, batch)));
        }
        return planned;
    }

    private static boolean setByUser(MapPluginConfig view, String key) {
        MapPluginConfig.Effective effective = view == null ? null : view.effective().get(key);
        return effective != null && !"default".equals(effective.source());
    }

    private Optional<SinkSpec> loadSink(String name, Map<String, ConfigValue> keys,
                                        Map<String, MapPluginConfig.EnvEntry> env, List<ConfigProblem> problems,
                                        List<MapPluginConfig> views, Map<String, MapPluginConfig> sinkViews) {
        MapPluginConfig view = new MapPluginConfig(name, SINKS + name + ".", keys, env);
        views.add(view);
        sinkViews.put(name, view);
        String type = view.string("type", name);
        boolean enabled = view.bool("enabled", true);
        Optional<SinkFactory<?>> factory = catalog.sink(type);
        if (factory.isEmpty()) {
            ConfigValue typeValue = keys.get("type");
            problems.add(new ConfigProblem(SINKS + name + ".type", type,
                    typeValue == null ? "instance name" : typeValue.source(),
                    "no sink of this type in this agent; available: " + String.join(", ", catalog.sinkTypes())
                            + ". A plugin must be on the agent's build classpath"));
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        SinkFactory<Object> typed = (SinkFactory<Object>) factory.get();
        Object config = configure(typed, view);
        SinkOptions options = SinkOptions.read(view, typed.batchLimits(config), typed.exportsInFlight(config));
        problems.addAll(view.problems());
        if (!enabled || !view.problems().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SinkSpec(name, typed, config, typed.signals(config), options));
    }

    private static Object configure(PluginFactory<Object> factory, MapPluginConfig view) {
        try {
            return factory.configure(view);
        } catch (RuntimeException e) {
            // A plugin that throws instead of reporting still gets a readable error, not a crash.
            view.problem("type", "plugin " + factory.type() + " rejected its configuration: " + e.getMessage());
            return null;
        }
    }
}
