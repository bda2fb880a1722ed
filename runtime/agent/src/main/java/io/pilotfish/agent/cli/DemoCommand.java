package io.pilotfish.agent.cli;

import io.pilotfish.agent.AgentLifecycle;
import io.pilotfish.agent.AgentRuntime;
import io.pilotfish.agent.config.ConfigKeys;
import io.pilotfish.core.config.Durations;
import io.pilotfish.core.config.LoadedConfig;
import io.pilotfish.core.pipeline.DropReason;
import io.pilotfish.platform.PluginRegistry;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.IntakeRecorder;
import io.quarkus.runtime.Quarkus;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The real agent against an embedded Fargate task simulator and an embedded Datadog intake recorder, printing what
 * arrives at the intake ({@link DemoView}) every {@code --every} and once more after the shutdown flush. Nothing
 * leaves the machine. Everything the demo says goes to stdout; the agent's log goes wherever the log is configured.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the agent against a simulated Fargate task and a local intake, printing what it ships.")
public class DemoCommand implements Callable<Integer> {

    /** Not a real key: the embedded intake accepts only this one. */
    static final String DEMO_API_KEY = "pilotfish-demo-key-0000";
    /** The container the demo stops, so the views show how a stop is reported. */
    static final String STOPPED_CONTAINER = "worker";
    static final Duration STOP_AFTER = Duration.ofSeconds(15);
    /** 128 + SIGKILL under a memory limit: what the ecs-metadata collector reports as a likely out-of-memory kill. */
    static final int STOP_EXIT_CODE = 137;

    @Option(names = "--duration", description = "Stop after this long, e.g. 60s (default: until Ctrl-C).")
    String duration;

    @Option(names = "--every", defaultValue = "10s", description = "How often to print what the intake received "
            + "(default 10s).")
    String every;

    @Inject
    PluginRegistry registry;

    @Inject
    AgentLifecycle lifecycle;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        Optional<Duration> printEvery = positive("--every", every);
        Optional<Duration> runFor = duration == null ? Optional.empty() : positive("--duration", duration);
        if (printEvery.isEmpty() || duration != null && runFor.isEmpty()) {
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
            boolean stopsContainer = task.containerNames().contains(STOPPED_CONTAINER)
                    && runFor.map(d -> d.compareTo(STOP_AFTER) > 0).orElse(true);
            printHeader(task, intake, dogstatsdPort, stopsContainer, printEvery.get(), runFor);

            AgentRuntime runtime = new AgentRuntime(config, task.environment());
            ScheduledExecutorService demo = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "pilotfish-demo");
                thread.setDaemon(true);
                return thread;
            });
            long started = System.nanoTime();
            AtomicReference<DemoView.Counts> beforeFlush = new AtomicReference<>();
            CountDownLatch stopping = new CountDownLatch(1);
            // Both run on whichever thread stops the agent: this one, or Quarkus' shutdown thread on Ctrl-C (the
            // JVM waits for that thread, not for this one). Before the flush: no view or app packet from then on,
            // and what the intake held is kept to say what the flush added. After the flush: the final view.
            AutoCloseable stopTheDemo = () -> {
                stopping.countDown();
                demo.shutdownNow();
                demo.awaitTermination(10, TimeUnit.SECONDS);
                beforeFlush.set(DemoView.Content.of(intake).counts());
            };
            AutoCloseable printTheFinalView = () -> printFinalView(intake, runtime, started, beforeFlush.get());
            lifecycle.manage(runtime, List.of(stopTheDemo), List.of(printTheFinalView));
            runtime.start();

            try (DemoStatsdClient app = new DemoStatsdClient(dogstatsdPort, task.dockerId("app"))) {
                demo.scheduleAtFixedRate(app::send, DemoStatsdClient.SEND_EVERY_MILLIS,
                        DemoStatsdClient.SEND_EVERY_MILLIS, TimeUnit.MILLISECONDS);
                if (stopsContainer) {
                    demo.schedule(() -> task.stopContainer(STOPPED_CONTAINER, STOP_EXIT_CODE),
                            STOP_AFTER.toMillis(), TimeUnit.MILLISECONDS);
                }
                schedulePeriodicViews(demo, intake, runtime, started, printEvery.get(), runFor);
                if (runFor.isPresent()) {
                    stopping.await(runFor.get().toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    Quarkus.waitForExit();
                }
                // Flushes and prints the final view; after Ctrl-C, waits for Quarkus' thread to have done both.
                lifecycle.stop();
            }
            return 0;
        }
    }

    private void printHeader(EcsMetadataSimulator task, IntakeRecorder intake, int dogstatsdPort,
                             boolean stopsContainer, Duration printEvery, Optional<Duration> runFor) {
        out.println("Pilotfish demo: the real agent against a simulated Fargate task and a local Datadog intake "
                + "recorder. Nothing leaves this machine.");
        out.println("  Task: containers " + String.join(", ", task.containerNames()) + "; metadata endpoint "
                + task.v4Uri());
        out.println("  Intake recorder: " + intake.uri() + "; what it accepts is what Datadog would receive.");
        out.println("  The app container sends DogStatsD to 127.0.0.1:" + dogstatsdPort + ": "
                + DemoStatsdClient.DESCRIPTION + ".");
        if (stopsContainer) {
            out.println("  At " + STOP_AFTER.toSeconds() + " s the " + STOPPED_CONTAINER + " container is killed "
                    + "under its memory limit (exit code " + STOP_EXIT_CODE + "), to show how a stop is reported.");
        }
        out.println("  Every " + DemoView.number(printEvery.toMillis() / 1000.0) + " s, and once more after the "
                + "shutdown flush: everything the intake accepted, by origin, with the last value of each series "
                + "(whole numbers in full, others to 4 significant digits).");
        out.println(runFor.map(d -> "  Stops after " + DemoView.number(d.toMillis() / 1000.0) + " s or on Ctrl-C.")
                .orElse("  Stops on Ctrl-C."));
        out.flush();
    }

    /**
     * A view every period, except one that would come less than half a period before the final view: that one
     * would only repeat it. Counted in periods, not measured, so a late tick cannot change the decision.
     */
    private void schedulePeriodicViews(ScheduledExecutorService demo, IntakeRecorder intake, AgentRuntime runtime,
                                       long started, Duration printEvery, Optional<Duration> runFor) {
        AtomicInteger periods = new AtomicInteger();
        long everyMillis = printEvery.toMillis();
        demo.scheduleAtFixedRate(() -> {
            long dueAtMillis = periods.incrementAndGet() * everyMillis;
            if (runFor.isPresent() && dueAtMillis + everyMillis / 2 >= runFor.get().toMillis()) {
                return;
            }
            print(() -> DemoView.render("after " + seconds(started) + " s", List.of(),
                    DemoView.Content.of(intake), DemoView.AgentTotals.of(runtime.telemetry())));
        }, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
    }

    private void printFinalView(IntakeRecorder intake, AgentRuntime runtime, long started,
                                DemoView.Counts beforeFlush) {
        print(() -> {
            DemoView.Content after = DemoView.Content.of(intake);
            List<String> notes = new ArrayList<>();
            if (beforeFlush != null) {
                notes.add(DemoView.flushSummary(beforeFlush, after.counts()));
            }
            long droppedAtShutdown = runtime.telemetry().total("sink.dropped", DropReason.SHUTDOWN.tag());
            if (droppedAtShutdown > 0) {
                notes.add(droppedAtShutdown + " signals could not be sent before the shutdown deadline.");
            }
            return DemoView.render("final view after " + seconds(started) + " s, once the shutdown flush is done",
                    notes, after, DemoView.AgentTotals.of(runtime.telemetry()));
        });
    }

    /** Prints a view; a view that cannot be built says why instead of ending the periodic printing. */
    private void print(Supplier<String> view) {
        String text;
        try {
            text = view.get();
        } catch (RuntimeException e) {
            text = "\n(the view could not be built: " + e + ")\n";
        }
        out.print(text);
        out.flush();
    }

    private static long seconds(long startedNanos) {
        return Math.round((System.nanoTime() - startedNanos) / 1e9);
    }

    private Optional<Duration> positive(String option, String value) {
        Optional<Duration> parsed = Durations.parse(value).filter(d -> !d.isNegative() && !d.isZero());
        if (parsed.isEmpty()) {
            System.err.println(option + " \"" + value + "\": expected a duration above zero such as 30s or 2m");
        }
        return parsed;
    }

    private static int freeUdpPort() throws java.net.SocketException {
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0,
                java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
