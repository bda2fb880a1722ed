package io.pilotfish.agent.cli;

import io.pilotfish.agent.AgentLifecycle;
import io.pilotfish.agent.AgentRuntime;
import io.pilotfish.agent.config.ConfigKeys;
import io.pilotfish.core.config.Durations;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.platform.PluginRegistry;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedSeries;
import io.pilotfish.testkit.RecordedSketch;
import io.quarkus.runtime.Quarkus;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The real agent against an embedded Fargate task simulator and an embedded Datadog intake recorder, printing what
 * arrives at the intake. Nothing leaves the machine.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the agent against a simulated Fargate task and a local intake, printing what it ships.")
public class DemoCommand implements Callable<Integer> {

    /** Not a real key: the embedded intake accepts only this one. */
    static final String DEMO_API_KEY = "pilotfish-demo-key-0000";

    @Option(names = "--duration", description = "Stop after this long, e.g. 60s (default: until Ctrl-C).")
    String duration;

    @Option(names = "--every", defaultValue = "5s", description = "How often to print the summary (default 5s).")
    String every;

    @Inject
    PluginRegistry registry;

    @Inject
    AgentLifecycle lifecycle;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        Duration printEvery = parse("--every", every).orElse(Duration.ofSeconds(5));
        java.util.Optional<Duration> runFor = duration == null ? java.util.Optional.empty() : parse("--duration",
                duration);
        if (duration != null && runFor.isEmpty()) {
            return 2;
        }
        try (EcsMetadataSimulator task = EcsMetadataSimulator.startDemo();
             IntakeRecorder intake = IntakeRecorder.startDefault()) {
            intake.acceptKeys(DEMO_API_KEY);
            Map<String, String> wiring = new TreeMap<>();
            wiring.put("pilotfish.datadog.url", intake.uri().toString());
            wiring.put("pilotfish.datadog.api-key", DEMO_API_KEY);
            // The simulated task has no AWS account behind it.
            wiring.put("pilotfish.ssm.enabled", "false");
            // Faster than the sidecar's 10 s so the demo shows rates within seconds.
            wiring.put("pilotfish.collectors.container-stats.interval", "5s");
            wiring.put("pilotfish.collectors.ecs-metadata.interval", "5s");
            // A free port, so the demo runs beside a DogStatsD server already on 8125.
            int dogstatsdPort = freeUdpPort();
            wiring.put("pilotfish.collectors.dogstatsd.port", Integer.toString(dogstatsdPort));
            LoadedConfig config;
            try {
                config = AgentRuntime.load(ConfigKeys.read(wiring, "demo wiring"),
                        ConfigKeys.environment(System.getenv()), PluginCatalogs.of(registry));
            } catch (AgentRuntime.InvalidConfigException e) {
                System.err.println(e.getMessage());
                return RunCommand.EXIT_CONFIG;
            }
            out.println("Pilotfish demo: simulated Fargate task at " + task.v4Uri() + " (containers "
                    + task.containerNames() + "), intake recorder at " + intake.uri());
            out.println("The agent ships to the recorder; the summary below is what Datadog would receive.");
            AgentRuntime runtime = new AgentRuntime(config, task.environment());
            lifecycle.manage(runtime);
            runtime.start();
            long started = System.nanoTime();
            ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "demo-summary");
                thread.setDaemon(true);
                return thread;
            });
            printer.scheduleAtFixedRate(() -> print(intake, started), printEvery.toMillis(), printEvery.toMillis(),
                    TimeUnit.MILLISECONDS);
            DemoStatsdClient app = new DemoStatsdClient(dogstatsdPort, task.dockerId("app"));
            printer.scheduleAtFixedRate(app::send, 200, 200, TimeUnit.MILLISECONDS);
            out.println("The simulated app container sends DogStatsD to 127.0.0.1:" + dogstatsdPort
                    + " (a counter and a distribution, tagged with its container id).");
            if (runFor.isPresent()) {
                Thread.sleep(runFor.get().toMillis());
            } else {
                Quarkus.waitForExit();
            }
            printer.shutdownNow();
            long dropped = lifecycle.stop();
            out.println("Stopped; final flush done (" + dropped + " items dropped at shutdown).");
            print(intake, started);
            return 0;
        }
    }

    private java.util.Optional<Duration> parse(String option, String value) {
        java.util.Optional<Duration> parsed = Durations.parse(value);
        if (parsed.isEmpty()) {
            System.err.println(option + " \"" + value + "\": expected a duration such as 30s or 2m");
        }
        return parsed;
    }

    private void print(IntakeRecorder intake, long startedNanos) {
        List<RecordedSeries> series = intake.series();
        long seconds = (System.nanoTime() - startedNanos) / 1_000_000_000L;
        Map<String, List<RecordedSeries>> byName = new TreeMap<>();
        for (RecordedSeries s : series) {
            byName.computeIfAbsent(s.metric(), k -> new ArrayList<>()).add(s);
        }
        int points = series.stream().mapToInt(s -> s.points().size()).sum();
        StringBuilder text = new StringBuilder();
        text.append(String.format("%n[%3ds] intake: %d requests, %d metrics, %d points%n", seconds,
                intake.requestCount(), byName.size(), points));
        byName.forEach((name, list) -> {
            Map<String, Double> latest = new TreeMap<>();
            for (RecordedSeries s : list) {
                String who = s.tag("container_name").or(() -> s.tag("ecs_container_name")).or(() -> s.tag("sink")).or(() -> s.tag("collector"))
                        .orElse("task");
                latest.put(who, s.lastValue());
            }
            text.append(String.format("  %-44s %-5s %s%n", name, typeName(list.get(0).type()), latest.entrySet()
                    .stream().limit(4).map(e -> e.getKey() + "=" + format(e.getValue())).toList()));
        });
        Map<String, RecordedSketch> latestSketch = new TreeMap<>();
        intake.sketches().forEach(sketch -> latestSketch.put(sketch.metric(), sketch));
        latestSketch.forEach((name, sketch) -> {
            RecordedSketch.Point last = sketch.lastPoint();
            text.append(String.format("  %-44s %-5s count=%d p50=%s p99=%s max=%s%n", name, "dist", last.cnt(),
                    format(last.quantile(0.5)), format(last.quantile(0.99)), format(last.max())));
        });
        if (!series.isEmpty() && seconds < 12) {
            text.append("  tags of one series: ").append(series.get(0).tags()).append('\n');
        }
        out.print(text);
        out.flush();
    }

    private static int freeUdpPort() throws java.net.SocketException {
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0,
                java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static String typeName(int type) {
        return switch (type) {
            case RecordedSeries.GAUGE -> "gauge";
            case RecordedSeries.RATE -> "rate";
            case RecordedSeries.COUNT -> "count";
            default -> "?";
        };
    }

    private static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return String.valueOf((long) value);
        }
        return String.format("%.4g", value);
    }
}
