package io.pilotfish.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.sink.datadog.events.DatadogEventsSinkFactory;
import io.pilotfish.sink.datadog.metrics.DatadogMetricsSinkFactory;
import io.pilotfish.sink.datadog.sketches.DatadogSketchesSinkFactory;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.ScriptedResponse;
import io.pilotfish.testkit.TestPluginContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's view, built from what a real intake recorder holds after the real Datadog sinks sent it signals shaped
 * like the demo task's: the tags, headings, numbers and counts a reader sees.
 */
class DemoViewTest {

    private static final String KEY = "demo-view-test-key";
    private static final long NOW = 1_796_000_000L;
    private static final MetricOrigin ECS_FARGATE = new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 11, 52);
    private static final MetricOrigin CONTAINER_CHECK = new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 11, 180);
    private static final String TASK_ARN = "task_arn:arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef";

    /** What every signal of the task carries (the task tags at low cardinality). */
    private static final List<String> TASK = List.of("cluster_name:demo", "region:us-east-1", "task_family:shop",
            "task_version:7");
    private static final List<String> APP = List.of("ecs_container_name:app", "image_tag:1.4.2",
            "short_image:shop-app");
    private static final List<String> WORKER = List.of("ecs_container_name:worker", "image_tag:1.4.2",
            "short_image:shop-worker");

    /** A value token such as 2.500e+08; hex ids inside tags (7d12...4e19) are no values. */
    private static final Pattern SCIENTIFIC_VALUE = Pattern.compile(
            "(?m)(^|[ =])-?\\d+(\\.\\d+)?[eE][+-]?\\d+(,|\\s|$)");

    private IntakeRecorder intake;
    private TestPluginContext context;
    private final Map<SignalKind, Sink> sinks = new EnumMap<>(SignalKind.class);

    @BeforeEach
    void startIntakeAndSinks() {
        intake = IntakeRecorder.builder().acceptKeys(KEY).start();
        context = TestPluginContext.builder().ddUrl(intake.uri()).apiKey(KEY).quietLog().build();
        Sink metrics = sink(new DatadogMetricsSinkFactory());
        Sink events = sink(new DatadogEventsSinkFactory());
        sinks.put(SignalKind.METRIC, metrics);
        sinks.put(SignalKind.SKETCH, sink(new DatadogSketchesSinkFactory()));
        sinks.put(SignalKind.EVENT, events);
        sinks.put(SignalKind.SERVICE_CHECK, events);
    }

    @AfterEach
    void stop() {
        sinks.values().forEach(Sink::close);
        context.close();
        intake.close();
    }

    private <C> Sink sink(SinkFactory<C> factory) {
        C config = factory.configure(MapPluginConfig.of(factory.type(), Map.of()));
        return factory.create(config, context);
    }

    // ---------------------------------------------------------------- the whole view

    @Test
    void theViewGroupsSignalsByOriginAndFactorsTheirTags() throws Exception {
        deliver(
                fargate("ecs.fargate.cpu.percent", 25, container(APP, "container_name:app", TASK_ARN)),
                fargate("ecs.fargate.cpu.percent", 10, container(WORKER, "container_name:worker", TASK_ARN)),
                fargate("ecs.fargate.net.bytes_rcvd", 120000, container(APP, "container_name:app", TASK_ARN,
                        "interface:eth1")),
                fargate("ecs.fargate.mem.task.limit", 2147483648.0, task(TASK_ARN)),
                containerCheck("container.io.read.operations", 0.869431, container(APP, "container_name:app",
                        "runtime:ecsfargate", TASK_ARN)),
                dogstatsd("shop.checkout.orders", MetricType.RATE, 2.2, container(APP, "payment:card")),
                distribution("shop.checkout.latency", container(APP, "payment:card"), 40, 100, 180),
                new ServiceCheck("shop.payments.can_connect", ServiceCheck.Status.OK, NOW,
                        TagSet.of(container(APP, "provider:demo-pay")), "", ""),
                lifecycle("Task shop:7 started", NOW - 5, Event.AlertType.INFO, Event.Priority.NORMAL,
                        task(TASK_ARN, "event_type:task_started")),
                lifecycle("Container worker killed by SIGKILL (exit code 137), likely out of memory", NOW,
                        Event.AlertType.ERROR, Event.Priority.NORMAL, container(WORKER, "container_name:worker",
                                TASK_ARN, "event_type:container_stopped", "exit_code:137", "oom_kill:likely")),
                new Metric("datadog.agent.running", MetricType.GAUGE, 1, NOW, TagSet.of("version:0.1.0"), 0, "", "",
                        new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 0, 0)),
                new ServiceCheck("datadog.agent.up", ServiceCheck.Status.OK, NOW, TagSet.of(TASK), "", ""),
                new ServiceCheck("fargate_check", ServiceCheck.Status.OK, NOW, TagSet.EMPTY, "", ""));

        String view = DemoView.render("after 10 s", List.of(), DemoView.Content.of(intake),
                new DemoView.AgentTotals(13, 0, 0));

        assertEquals("""

                == after 10 s: the intake accepted 5 requests ==========================================================================
                Tags Datadog indexes: {task} is on every signal of the task, {<container>} on every signal of that container.
                  {task}    cluster_name:demo region:us-east-1 task_family:shop task_version:7
                  {app}     {task} + ecs_container_name:app image_tag:1.4.2 short_image:shop-app
                  {worker}  {task} + container_name:worker ecs_container_name:worker image_tag:1.4.2 short_image:shop-worker
                            task_arn:arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef

                ecs.fargate.* - what Datadog's ecs_fargate check sends, and its fargate_check service check
                  tags  app:         {app} + container_name:app task_arn:arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef
                        worker:      {worker}
                        task:        {task} + task_arn:arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef
                        no ECS tags: (no tags)
                  metric                      type    app     worker  task
                  ecs.fargate.cpu.percent     gauge   25      10
                  ecs.fargate.mem.task.limit  gauge                   2147483648
                  ecs.fargate.net.bytes_rcvd  gauge   120000                      + interface:eth1
                  service check               last status, runs received
                  fargate_check  no ECS tags  OK, 1 run

                container.* - what the Agent's container check sends for the same containers
                  tags  app: {app} + container_name:app runtime:ecsfargate
                             task_arn:arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef
                  metric                        type    app
                  container.io.read.operations  gauge   0.8694

                DogStatsD from the app container - custom metrics, events and service checks, tagged by origin detection
                  tags  app: {app}
                  metric                type    app
                  shop.checkout.orders  rate    2.2  + payment:card
                  distributions, last 10-second bucket of each:
                  shop.checkout.latency  app  count 3, p50 99.96, p99 177.4, max 180  + payment:card
                  service check                   last status, runs received
                  shop.payments.can_connect  app  OK, 1 run  + provider:demo-pay

                ECS task lifecycle - events of the ecs-metadata collector
                  tags  worker: {worker} + event_type:container_stopped exit_code:137 oom_kill:likely
                        task:   {task} + event_type:task_started task_arn:arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef
                  events (alert type, priority when low):
                  info   task    Task shop:7 started
                  error  worker  Container worker killed by SIGKILL (exit code 137), likely out of memory

                Agent liveness - datadog.agent.running and datadog.agent.up, which Datadog's Agent pages and monitors read
                  tags  task:        {task}
                        no ECS tags: version:0.1.0
                  metric                 type    no ECS tags
                  datadog.agent.running  gauge   1
                  service check           last status, runs received
                  datadog.agent.up  task  OK, 1 run

                Agent totals: 13 signals sent, 0 retried, 0 dropped (the agent's own pilotfish.* figures stay in the agent).
                """, view);
    }

    @Test
    void everyTagOfAFargateSeriesIsInTheSetsItsLinesName() throws Exception {
        List<String> cpuTags = container(APP, "container_name:app", "docker_name:app", TASK_ARN);
        deliver(fargate("ecs.fargate.cpu.percent", 25, cpuTags),
                dogstatsd("shop.checkout.orders", MetricType.RATE, 1, container(APP, "payment:card")),
                new ServiceCheck("datadog.agent.up", ServiceCheck.Status.OK, NOW, TagSet.of(TASK), "", ""));

        String view = render();

        // What the reader puts together for app's ecs.fargate.cpu.percent: {task}, {app}, and the heading's app line.
        List<String> shown = new ArrayList<>();
        shown.addAll(entry(view, "  {task}"));
        shown.addAll(entry(view, "  {app}"));
        shown.addAll(entry(view.substring(view.indexOf("\necs.fargate.*")), "  tags  app:"));
        shown.removeAll(List.of("{task}", "{app}", "+", "{task}", "app:", "tags"));
        assertEquals(cpuTags.stream().sorted().toList(), shown.stream().sorted().toList(), view);
        assertTrue(view.contains("  ecs.fargate.cpu.percent  gauge   25\n"), view);
    }

    // ---------------------------------------------------------------- what stays out, and what goes under "other"

    @Test
    void selfTelemetryIsCountedInTheSummaryLineAndNotShown() throws Exception {
        deliver(Metric.count("pilotfish.sink.sent", 40, NOW, 10, TagSet.of(task("sink:datadog-metrics"))),
                Metric.gauge("pilotfish.sink.queue.bytes", 512, NOW, TagSet.of(task("sink:datadog-metrics"))),
                fargate("ecs.fargate.cpu.percent", 25, container(APP, TASK_ARN)));

        String view = DemoView.render("after 10 s", List.of(), DemoView.Content.of(intake),
                new DemoView.AgentTotals(1234, 5, 2));

        assertFalse(view.contains("pilotfish.sink"), view);
        assertTrue(view.contains("\nAgent totals: 1234 signals sent, 5 retried, 2 dropped; 2 pilotfish.* "
                + "self-telemetry series also reached the intake"), view);
        assertTrue(view.contains("ecs.fargate.cpu.percent"), view);
    }

    @Test
    void aSeriesNoHeadingExplainsIsShownUnderOtherWithItsTagsAndOrigin() throws Exception {
        deliver(fargate("ecs.fargate.cpu.percent", 25, container(APP)),
                new ServiceCheck("datadog.agent.up", ServiceCheck.Status.OK, NOW, TagSet.of(TASK), "", ""),
                new Metric("acme.widgets", MetricType.GAUGE, 3, NOW, TagSet.of(container(APP, "team:shop")), 0, "",
                        "", new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 11, 999)),
                Metric.gauge("acme.untagged", 1.5, NOW, TagSet.of("team:shop")));

        String view = render();

        String other = view.substring(view.indexOf("\nother - not placed under any heading above"));
        assertTrue(other.contains("  acme.widgets   gauge   3 ") && other.contains("metadata.origin 10/11/999"), other);
        assertTrue(other.contains("  acme.untagged  gauge") && other.contains("metadata.origin none"), other);
        assertTrue(other.contains("app:         {app} + team:shop"), other);
        assertTrue(other.contains("no ECS tags: team:shop"), other);
    }

    @Test
    void eventsAndServiceChecksAreShownWithStatusMessageAndRepeats() throws Exception {
        Event deployed = new Event("shop-app 1.4.2 deployed", "", NOW, Event.AlertType.SUCCESS,
                Event.Priority.NORMAL, "", "", TagSet.of(container(APP, "version:1.4.2")), "");
        deliver(deployed, deployed, deployed,
                lifecycle("Container app started", NOW, Event.AlertType.INFO, Event.Priority.LOW,
                        container(APP, "container_name:app", "event_type:container_started")),
                new ServiceCheck("fargate_check", ServiceCheck.Status.OK, NOW - 10, TagSet.EMPTY, "", ""),
                new ServiceCheck("fargate_check", ServiceCheck.Status.WARNING, NOW, TagSet.EMPTY,
                        "GET /task/stats failed", ""),
                new ServiceCheck("shop.payments.can_connect", ServiceCheck.Status.CRITICAL, NOW,
                        TagSet.of(container(APP)), "connection refused", ""));

        String view = render();

        String fargate = section(view, "ecs.fargate.*");
        assertTrue(fargate.contains("fargate_check  no ECS tags  WARNING \"GET /task/stats failed\", 2 runs"), fargate);
        String dogstatsd = section(view, "DogStatsD from the app container");
        assertTrue(dogstatsd.contains("shop.payments.can_connect  app  CRITICAL \"connection refused\", 1 run"),
                dogstatsd);
        assertTrue(dogstatsd.contains("success  app  shop-app 1.4.2 deployed (x3)"), dogstatsd);
        String lifecycle = section(view, "ECS task lifecycle");
        assertTrue(lifecycle.contains("info, low  app  Container app started"), lifecycle);
    }

    @Test
    void onlyTheNewestEventsAreListedAndTheRestCounted() throws Exception {
        List<Signal> events = new ArrayList<>();
        for (int i = 1; i <= DemoView.MAX_EVENT_LINES + 3; i++) {
            events.add(new Event("order batch " + i, "", NOW + i, Event.AlertType.INFO, Event.Priority.NORMAL, "", "",
                    TagSet.of(container(APP)), ""));
        }
        deliver(events.toArray(Signal[]::new));

        String view = render();

        assertTrue(view.contains("  ... 3 earlier events not shown\n"), view);
        assertFalse(view.contains("order batch 3\n"), view);
        assertTrue(view.contains("order batch 4\n") && view.contains("order batch 15\n"), view);
    }

    @Test
    void refusedRequestsAreCountedAndTheirSeriesNotShown() throws Exception {
        intake.respondNext(ScriptedResponse.status(503));
        ExportResult refused = export(List.of(fargate("ecs.fargate.cpu.percent", 99, container(APP))));
        assertInstanceOf(ExportResult.Retryable.class, refused);
        deliver(fargate("ecs.fargate.mem.usage", 1024, container(APP)));

        String view = render();

        assertTrue(view.contains("the intake accepted 1 request and refused 1 "), view);
        assertFalse(view.contains("ecs.fargate.cpu.percent"), view);
        assertTrue(view.contains("ecs.fargate.mem.usage"), view);
    }

    @Test
    void anEmptyIntakeSaysSo() {
        String view = render();
        assertTrue(view.contains("the intake accepted 0 requests") && view.contains("Nothing has reached the intake"),
                view);
    }

    // ---------------------------------------------------------------- numbers and counts

    @Test
    void numbersAreWholeInFullAndOtherwiseFourSignificantDigits() {
        assertEquals("1073741824", DemoView.number(1073741824));
        assertEquals("25", DemoView.number(25.0));
        assertEquals("0", DemoView.number(-0.0));
        assertEquals("-3", DemoView.number(-3));
        assertEquals("100000000000000000000", DemoView.number(1e20));
        assertEquals("0.8694", DemoView.number(0.869431));
        assertEquals("19.56", DemoView.number(19.5612));
        assertEquals("305.9", DemoView.number(305.94));
        assertEquals("120", DemoView.number(119.9999));
        assertEquals("2.2", DemoView.number(2.2));
        assertEquals("0.00001235", DemoView.number(0.0000123456));
        assertEquals("250000000", DemoView.number(250000000.25), "never rounded into the integer part");
        assertEquals("NaN", DemoView.number(Double.NaN));
        assertEquals("-Inf", DemoView.number(Double.NEGATIVE_INFINITY));
    }

    @Test
    void noNumberInTheViewIsInScientificNotation() throws Exception {
        deliver(fargate("ecs.fargate.cpu.usage", 2.5e8, container(APP)),
                fargate("ecs.fargate.io.ops.read", 0.000012345, container(APP)),
                fargate("ecs.fargate.mem.limit", 1.2e12 + 0.5, container(APP)),
                distribution("shop.checkout.latency", container(APP), 0.5, 2e6));

        String view = render();

        assertTrue(SCIENTIFIC_VALUE.matcher("  x  gauge  2.500e+08\n").find(), "the pattern finds the old %.4g form");
        assertFalse(SCIENTIFIC_VALUE.matcher(view).find(), view);
        assertTrue(view.contains(" 250000000 ") || view.contains(" 250000000\n"), view);
        assertTrue(view.contains(" 1200000000000 ") || view.contains(" 1200000000000\n"), view);
    }

    @Test
    void theFlushLineSaysWhatTheShutdownFlushAdded() {
        DemoView.Counts before = new DemoView.Counts(10, 200, 3, 5, 4);
        assertEquals("The shutdown flush added 3 requests: 101 metric points, 1 distribution point, "
                        + "2 service check runs.",
                DemoView.flushSummary(before, new DemoView.Counts(13, 301, 4, 5, 6)));
        assertEquals("The shutdown flush added 1 request: 1 event.",
                DemoView.flushSummary(before, new DemoView.Counts(11, 200, 3, 6, 4)));
        assertEquals("The shutdown flush added nothing: everything had been delivered already.",
                DemoView.flushSummary(before, before));
    }

    @Test
    void countsAreReadFromTheAcceptedRequests() throws Exception {
        deliver(fargate("ecs.fargate.cpu.percent", 25, container(APP)),
                fargate("ecs.fargate.cpu.percent", 10, container(WORKER)),
                distribution("shop.checkout.latency", container(APP), 10, 20),
                lifecycle("Task shop:7 started", NOW, Event.AlertType.INFO, Event.Priority.NORMAL, task()),
                new ServiceCheck("fargate_check", ServiceCheck.Status.OK, NOW, TagSet.EMPTY, "", ""));

        assertEquals(new DemoView.Counts(4, 2, 1, 1, 1), DemoView.Content.of(intake).counts());
    }

    // ---------------------------------------------------------------- the recorder's event and check decoding

    @Test
    void anAcceptedEventBodyThatIsNotAnEventIsReportedNotSkipped() throws Exception {
        HttpRequest garbage = HttpRequest.newBuilder(URI.create(intake.uri() + IntakeRecorder.EVENTS_PATH))
                .header("DD-API-KEY", KEY).POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"no title\"}"))
                .build();
        try (HttpClient client = HttpClient.newHttpClient()) {
            assertEquals(202, client.send(garbage, HttpResponse.BodyHandlers.discarding()).statusCode());
        }

        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, intake::events);
        assertTrue(error.getMessage().contains("request #1 event.title"), error.getMessage());
    }

    // ---------------------------------------------------------------- helpers

    private String render() {
        return DemoView.render("after 10 s", List.of(), DemoView.Content.of(intake),
                new DemoView.AgentTotals(0, 0, 0));
    }

    /** Sends each signal through the sink that takes its kind, one batch per sink, and expects them accepted. */
    private void deliver(Signal... signals) throws Exception {
        Map<Sink, List<Signal>> batches = new java.util.LinkedHashMap<>();
        for (Signal signal : signals) {
            batches.computeIfAbsent(sinks.get(signal.kind()), s -> new ArrayList<>()).add(signal);
        }
        for (Map.Entry<Sink, List<Signal>> batch : batches.entrySet()) {
            ExportResult result = batch.getKey().export(batch.getValue()).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertInstanceOf(ExportResult.Success.class, result, () -> "export of " + batch.getValue());
        }
    }

    private ExportResult export(List<Signal> batch) throws Exception {
        return sinks.get(batch.get(0).kind()).export(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static List<String> task(String... more) {
        return Stream.concat(TASK.stream(), Arrays.stream(more)).toList();
    }

    private static List<String> container(List<String> container, String... more) {
        return Stream.of(TASK, container, List.of(more)).flatMap(List::stream).toList();
    }

    private static Metric fargate(String name, double value, List<String> tags) {
        return new Metric(name, MetricType.GAUGE, value, NOW, TagSet.of(tags), 0, "", "", ECS_FARGATE);
    }

    private static Metric containerCheck(String name, double value, List<String> tags) {
        return new Metric(name, MetricType.GAUGE, value, NOW, TagSet.of(tags), 0, "", "", CONTAINER_CHECK);
    }

    private static Metric dogstatsd(String name, MetricType type, double value, List<String> tags) {
        return new Metric(name, type, value, NOW, TagSet.of(tags), 10, "", "", MetricOrigin.DOGSTATSD);
    }

    private static Event lifecycle(String title, long happened, Event.AlertType alert, Event.Priority priority,
                                   List<String> tags) {
        return new Event(title, "", happened, alert, priority, "ecs", "ecs-task:0123456789abcdef", TagSet.of(tags), "");
    }

    /** A 10-second bucket holding these values, binned as the Agent bins them. */
    private static Sketch distribution(String name, List<String> tags, double... values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int[] keys = new int[sorted.length];
        int[] counts = new int[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            keys[i] = (int) Math.floor(Math.log(sorted[i]) / Math.log(Sketch.GAMMA)) + Sketch.BIAS;
            counts[i] = 1;
        }
        return new Sketch(name, NOW - NOW % 10, TagSet.of(tags), "", sorted.length, sorted[0],
                sorted[sorted.length - 1], Arrays.stream(sorted).sum(), keys, counts);
    }

    /** The heading's section: from its title line to the next blank line. */
    private static String section(String view, String titleStart) {
        int from = view.indexOf("\n" + titleStart);
        assertTrue(from >= 0, () -> "no section " + titleStart + " in\n" + view);
        int to = view.indexOf("\n\n", from + 1);
        return view.substring(from + 1, to < 0 ? view.length() : to);
    }

    /** The words of a labelled entry and its wrapped continuation lines (deeper-indented, with no label). */
    private static List<String> entry(String view, String labelStart) {
        String[] lines = view.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(labelStart)) {
                List<String> words = new ArrayList<>(List.of(lines[i].substring(labelStart.length()).trim()
                        .split(" +")));
                int indent = lines[i].length() - lines[i].substring(labelStart.length()).stripLeading().length();
                for (int j = i + 1; j < lines.length && lines[j].length() > indent
                        && lines[j].substring(0, indent).isBlank(); j++) {
                    words.addAll(List.of(lines[j].trim().split(" +")));
                }
                return words;
            }
        }
        throw new AssertionError("no line starting with '" + labelStart + "' in\n" + view);
    }
}
