package io.pilotfish.sink.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.TestPluginContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsoleSinkTest {

    private static final long NOW = 1_700_000_000L;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ConsoleSinkFactory factory = new ConsoleSinkFactory();
    private final TestPluginContext context = TestPluginContext.builder().instanceName("console")
            .globalTags("env:test").build();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    @AfterEach
    void close() {
        context.close();
    }

    private List<String> export(String format, List<? extends Signal> batch) throws Exception {
        MapPluginConfig config = MapPluginConfig.of("console", format == null ? Map.of() : Map.of("format", format));
        ConsoleConfig typed = factory.configure(config);
        assertEquals(List.of(), config.problems());
        ConsoleSink sink = new ConsoleSink(typed, context, new PrintStream(printed, true, StandardCharsets.UTF_8));
        printed.reset();
        ExportResult result = sink.export(new ArrayList<>(batch)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertInstanceOf(ExportResult.Success.class, result);
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.isEmpty() || out.endsWith("\n"), "every line is terminated");
        return out.lines().toList();
    }

    private static final List<Signal> SAMPLE = List.of(
            Metric.gauge("ecs.fargate.cpu.percent", 0.87, NOW, TagSet.of("cluster_name:x", "task_family:web")),
            new Metric("container.io.read", MetricType.RATE, 2048, NOW, TagSet.of("container_name:app"), 10, "byte",
                    "i-0abc"),
            new Event("Container app stopped", "exit code 137\nOOM killed", NOW, Event.AlertType.ERROR,
                    Event.Priority.NORMAL, "ecs", "task-1", TagSet.of("container_name:app"), ""),
            new ServiceCheck("ecs.fargate.task.up", ServiceCheck.Status.CRITICAL, NOW, TagSet.of("cluster_name:x"),
                    "task \"web\" is down", ""));

    @Test
    void textIsOneReadableLinePerSignal() throws Exception {
        List<String> lines = export(null, SAMPLE);

        assertEquals(List.of(
                "METRIC ecs.fargate.cpu.percent gauge 0.87 @1700000000 [cluster_name:x,env:test,task_family:web]",
                "METRIC container.io.read rate 2048 @1700000000 [container_name:app,env:test] interval=10s "
                        + "host=i-0abc unit=byte",
                "EVENT error \"Container app stopped\" @1700000000 [container_name:app,env:test] priority=normal "
                        + "source=ecs aggregation_key=task-1 text=\"exit code 137\\nOOM killed\"",
                "SERVICE_CHECK ecs.fargate.task.up CRITICAL @1700000000 [cluster_name:x,env:test] "
                        + "message=\"task \\\"web\\\" is down\""), lines);
    }

    @Test
    void textShowsOddValuesAndKeepsControlCharactersOnOneLine() throws Exception {
        List<String> lines = export("text", List.of(
                Metric.gauge("bad\nname", Double.NaN, NOW, TagSet.EMPTY),
                Metric.count("c", -3, NOW, 0, TagSet.of("k:v"))));

        assertEquals(List.of("METRIC bad\\nname gauge NaN @1700000000 [env:test]",
                "METRIC c count -3 @1700000000 [env:test,k:v]"), lines);
    }

    @Test
    void jsonUsesTheIntakeFieldNames() throws Exception {
        List<String> lines = export("json", SAMPLE);
        assertEquals(4, lines.size());

        JsonNode gauge = MAPPER.readTree(lines.get(0));
        assertEquals("metric", gauge.get("signal").asText());
        assertEquals("ecs.fargate.cpu.percent", gauge.get("metric").asText());
        assertEquals(3, gauge.get("type").asInt());
        assertFalse(gauge.has("interval"));
        assertEquals(NOW, gauge.get("points").get(0).get("timestamp").asLong());
        assertEquals(0.87, gauge.get("points").get(0).get("value").asDouble());
        assertFalse(gauge.has("resources"));
        assertEquals("[\"cluster_name:x\",\"env:test\",\"task_family:web\"]", gauge.get("tags").toString());

        JsonNode rate = MAPPER.readTree(lines.get(1));
        assertEquals(2, rate.get("type").asInt());
        assertEquals(10, rate.get("interval").asLong());
        assertEquals("{\"type\":\"host\",\"name\":\"i-0abc\"}", rate.get("resources").get(0).toString());
        assertEquals("byte", rate.get("unit").asText());

        JsonNode event = MAPPER.readTree(lines.get(2));
        assertEquals("event", event.get("signal").asText());
        assertEquals("Container app stopped", event.get("title").asText());
        assertEquals("exit code 137\nOOM killed", event.get("text").asText());
        assertEquals(NOW, event.get("date_happened").asLong());
        assertEquals("error", event.get("alert_type").asText());
        assertEquals("normal", event.get("priority").asText());
        assertEquals("task-1", event.get("aggregation_key").asText());
        assertEquals("ecs", event.get("source_type_name").asText());
        assertFalse(event.has("host"));

        JsonNode check = MAPPER.readTree(lines.get(3));
        assertEquals("service_check", check.get("signal").asText());
        assertEquals("ecs.fargate.task.up", check.get("check").asText());
        assertEquals(2, check.get("status").asInt());
        assertEquals(NOW, check.get("timestamp").asLong());
        assertEquals("task \"web\" is down", check.get("message").asText());
        assertEquals("[\"cluster_name:x\",\"env:test\"]", check.get("tags").toString());
    }

    @Test
    void jsonStaysValidForNaN() throws Exception {
        List<String> lines = export("json", List.of(Metric.gauge("m", Double.NaN, NOW, TagSet.EMPTY)));
        assertEquals("NaN", MAPPER.readTree(lines.get(0)).get("points").get(0).get("value").asText());
    }

    /** Six values 12, 15, 15, 20, 250, 1200 in the Agent's bins (keys 1338 + roundHalfEven(ln v / ln 1.015625)). */
    private static final Sketch LATENCY = new Sketch("app.request.latency", NOW, TagSet.of("route:/checkout"), "",
            6, 12, 1200, 1512, new int[] {1498, 1513, 1531, 1694, 1795}, new int[] {1, 2, 1, 1, 1});

    @Test
    void textSummarisesASketchOnOneLine() throws Exception {
        Sketch onHost = new Sketch("app.size", NOW, TagSet.EMPTY, "i-0abc", 1, -2.5, -2.5, -2.5, new int[] {-1397},
                new int[] {1});

        List<String> lines = export("text", List.of(LATENCY, onHost));

        assertEquals(List.of(
                "SKETCH app.request.latency @1700000000 [env:test,route:/checkout] count=6 min=12 max=1200 avg=252 "
                        + "p50=" + TextFormatter.estimate(LATENCY.quantile(0.5)) + " p99="
                        + TextFormatter.estimate(LATENCY.quantile(0.99)),
                "SKETCH app.size @1700000000 [env:test] count=1 min=-2.5 max=-2.5 avg=-2.5 p50=-2.5 p99=-2.5 "
                        + "host=i-0abc"), lines);
        double p50 = LATENCY.quantile(0.5);
        assertTrue(Math.abs(p50 - 15) / 15 < 0.02, "the estimate is near the true median: " + p50);
    }

    @Test
    void estimatesShowSixSignificantDigits() {
        assertEquals("15.1167", TextFormatter.estimate(15.116734876));
        assertEquals("252", TextFormatter.estimate(252.00000000001));
        assertEquals("1.23457E-4", TextFormatter.estimate(0.0001234567), "as Java prints small doubles");
        assertEquals("NaN", TextFormatter.estimate(Double.NaN));
    }

    @Test
    void jsonWritesASketchWithTheIntakesFieldNames() throws Exception {
        JsonNode sketch = MAPPER.readTree(export("json", List.of(LATENCY)).get(0));

        assertEquals("sketch", sketch.get("signal").asText());
        assertEquals("app.request.latency", sketch.get("metric").asText());
        assertFalse(sketch.has("host"));
        assertEquals("[\"env:test\",\"route:/checkout\"]", sketch.get("tags").toString());
        assertEquals(NOW, sketch.get("ts").asLong());
        assertEquals(6, sketch.get("cnt").asLong());
        assertEquals(12.0, sketch.get("min").asDouble());
        assertEquals(1200.0, sketch.get("max").asDouble());
        assertEquals(252.0, sketch.get("avg").asDouble());
        assertEquals(1512.0, sketch.get("sum").asDouble());
        assertEquals(LATENCY.quantile(0.5), sketch.get("p50").asDouble());
        assertEquals(LATENCY.quantile(0.99), sketch.get("p99").asDouble());
        assertEquals("[1498,1513,1531,1694,1795]", sketch.get("k").toString());
        assertEquals("[1,2,1,1,1]", sketch.get("n").toString());
    }

    @Test
    void globalTagsAreReadForEveryBatch() throws Exception {
        export("text", List.of());
        context.setGlobalTags("env:prod");
        List<String> lines = export("text", List.of(Metric.gauge("m", 1, NOW, TagSet.EMPTY)));
        assertEquals(List.of("METRIC m gauge 1 @1700000000 [env:prod]"), lines);
    }

    @Test
    void anEmptyBatchPrintsNothing() throws Exception {
        assertEquals(List.of(), export("json", List.of()));
    }

    @Test
    void badFormatAndUnknownKeysAreProblems() {
        MapPluginConfig config = MapPluginConfig.of("console", Map.of("format", "yaml", "colour", "true"));
        ConsoleConfig typed = factory.configure(config);

        List<ConfigProblem> problems = config.problems();
        assertEquals(2, problems.size(), problems.toString());
        assertEquals("pilotfish.plugins.console.format", problems.get(0).key());
        assertTrue(problems.get(0).expected().contains("text") && problems.get(0).expected().contains("json"));
        assertEquals("pilotfish.plugins.console.colour", problems.get(1).key());
        assertEquals(ConsoleConfig.DEFAULTS, typed);
    }

    @Test
    void takesMetricsEventsServiceChecksAndSketchesAndIsDiscoverable() {
        assertEquals("console", factory.type());
        assertEquals(Set.of(SignalKind.METRIC, SignalKind.EVENT, SignalKind.SERVICE_CHECK, SignalKind.SKETCH),
                factory.signals(ConsoleConfig.DEFAULTS));
        assertTrue(ServiceLoader.load(SinkFactory.class).stream()
                .anyMatch(p -> p.type() == ConsoleSinkFactory.class));
    }
}
