package io.pilotfish.bench;

import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import io.pilotfish.testkit.RecordedSketch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * The testkit's {@link IntakeRecorder} for {@code bench/measure-dogstatsd.sh}: records what the agent ships and, when
 * it is stopped (SIGTERM, after the agent has stopped and flushed), writes what the benchmark needs to {@code --out}
 * as {@code key=value} lines:
 * <ul>
 *   <li>totals of the agent's DogStatsD self-telemetry: {@code pilotfish.dogstatsd.messages} and {@code .packets}
 *   (COUNT deltas, summed), {@code .dropped} by reason, {@code .parse_errors}, the last {@code .kernel_drops} gauge,
 *   and the most the {@code .queue.packets} gauge showed;</li>
 *   <li>the check counter end to end: the sum of value x interval over the {@code bench.check} RATE points (a count
 *   is sent as a rate over its 10 s bucket), and the same for {@code bench.warmup};</li>
 *   <li>the distributions' sample count (sum of the sketches' {@code cnt}) and the timers' {@code .count};</li>
 *   <li>the sink's own counters ({@code pilotfish.sink.*}), and the requests by path and status;</li>
 *   <li>a timeline: one line per self-telemetry report with the messages, packets, drops and gauges of that
 *   interval.</li>
 * </ul>
 *
 * <pre>java -cp bench/target/pilotfish-bench.jar io.pilotfish.bench.DogStatsdIntake --key K --out FILE</pre>
 */
public final class DogStatsdIntake {

    private DogStatsdIntake() {
    }

    public static void main(String[] args) throws InterruptedException {
        String key = null;
        Path out = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--key" -> key = args[i + 1];
                case "--out" -> out = Path.of(args[i + 1]);
                default -> {
                    System.err.println("usage: DogStatsdIntake --key K --out FILE");
                    System.exit(2);
                }
            }
        }
        if (key == null || out == null || args.length % 2 != 0) {
            System.err.println("usage: DogStatsdIntake --key K --out FILE");
            System.exit(2);
        }
        IntakeRecorder recorder = IntakeRecorder.builder().acceptKeys(key).start();
        recorder.onRequest(request -> System.out.println(request));
        Path report = out;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                List<String> lines = report(recorder);
                Files.write(report, lines);
                System.out.println("intake report written to " + report);
            } catch (IOException | RuntimeException e) {
                System.out.println("intake report failed: " + e);
            } finally {
                recorder.close();
                stopped.countDown();
            }
        }));
        System.out.println("intake recorder listening on " + recorder.uri());
        stopped.await();
    }

    static List<String> report(IntakeRecorder recorder) {
        List<String> out = new ArrayList<>();
        Map<String, Long> requests = new TreeMap<>();
        for (RecordedRequest request : recorder.requests()) {
            requests.merge(request.path() + " " + request.status(), 1L, Long::sum);
        }
        requests.forEach((what, count) -> out.add("requests " + what + "=" + count));

        out.add("messages=" + countTotal(recorder, "pilotfish.dogstatsd.messages"));
        out.add("packets=" + countTotal(recorder, "pilotfish.dogstatsd.packets"));
        out.add("points=" + countTotal(recorder, "pilotfish.dogstatsd.points"));
        Map<String, Long> dropped = byTag(recorder, "pilotfish.dogstatsd.dropped", "reason");
        out.add("dropped=" + dropped.values().stream().mapToLong(Long::longValue).sum());
        dropped.forEach((reason, count) -> out.add("dropped_" + reason + "=" + count));
        out.add("parse_errors=" + countTotal(recorder, "pilotfish.dogstatsd.parse_errors"));
        // Cumulative since the listener opened; the last report comes after it closed (0), so the highest value.
        out.add("kernel_drops=" + (long) maxGauge(recorder, "pilotfish.dogstatsd.kernel_drops"));
        out.add("queue_packets_max=" + (long) maxGauge(recorder, "pilotfish.dogstatsd.queue.packets"));
        out.add("contexts_max=" + (long) maxGauge(recorder, "pilotfish.dogstatsd.contexts"));
        out.add("check_total=" + fmt(rateTotal(recorder, DogStatsdLoad.CHECK)));
        out.add("warmup_total=" + fmt(rateTotal(recorder, DogStatsdLoad.WARMUP)));
        out.add("timer_count_total=" + fmt(rateTotal(recorder, "app.latency.count")));
        long sketchCount = 0;
        for (RecordedSketch sketch : recorder.sketches("app.payload.bytes")) {
            for (RecordedSketch.Point point : sketch.points()) {
                sketchCount += point.cnt();
            }
        }
        out.add("distribution_count_total=" + sketchCount);
        out.add("series_names=" + recorder.seriesNames().size());
        for (String sink : List.of("received", "sent", "dropped", "retried")) {
            Map<String, Long> bySink = byTag(recorder, "pilotfish.sink." + sink, "sink");
            bySink.forEach((name, count) -> out.add("sink_" + sink + "_" + name + "=" + count));
        }

        // The timeline: one line per self-telemetry report.
        TreeMap<Long, Map<String, Double>> timeline = new TreeMap<>();
        for (RecordedSeries series : recorder.series()) {
            String name = series.metric();
            String column = switch (name) {
                case "pilotfish.dogstatsd.messages" -> "messages";
                case "pilotfish.dogstatsd.packets" -> "packets";
                case "pilotfish.dogstatsd.dropped" -> "dropped_" + series.tag("reason").orElse("?");
                case "pilotfish.dogstatsd.kernel_drops" -> "kernel_drops";
                case "pilotfish.dogstatsd.queue.packets" -> "queue_packets";
                case "pilotfish.dogstatsd.queue.bytes" -> "queue_bytes";
                case "pilotfish.dogstatsd.read_pauses" -> "read_pauses";
                case "pilotfish.dogstatsd.contexts" -> "contexts";
                case "pilotfish.dogstatsd.points" -> "points";
                default -> null;
            };
            if (column == null) {
                continue;
            }
            for (RecordedSeries.Point point : series.points()) {
                timeline.computeIfAbsent(point.timestamp(), t -> new TreeMap<>()).merge(column, point.value(),
                        Double::sum);
            }
        }
        timeline.forEach((timestamp, columns) -> {
            StringBuilder line = new StringBuilder("timeline ").append(timestamp);
            columns.forEach((column, value) -> line.append(' ').append(column).append('=').append(fmt(value)));
            out.add(line.toString());
        });
        return out;
    }

    private static long countTotal(IntakeRecorder recorder, String metric) {
        double sum = 0;
        for (RecordedSeries series : recorder.series(metric)) {
            for (RecordedSeries.Point point : series.points()) {
                sum += point.value();
            }
        }
        return Math.round(sum);
    }

    private static Map<String, Long> byTag(IntakeRecorder recorder, String metric, String tag) {
        Map<String, Long> out = new TreeMap<>();
        for (RecordedSeries series : recorder.series(metric)) {
            Optional<String> value = series.tag(tag);
            double sum = series.points().stream().mapToDouble(RecordedSeries.Point::value).sum();
            out.merge(value.orElse("none"), Math.round(sum), Long::sum);
        }
        return out;
    }

    private static double maxGauge(IntakeRecorder recorder, String metric) {
        double max = 0;
        for (RecordedSeries series : recorder.series(metric)) {
            for (RecordedSeries.Point point : series.points()) {
                max = Math.max(max, point.value());
            }
        }
        return max;
    }

    /** A count sent as RATE points over intervals: the sum of value x interval (COUNT points as they are). */
    private static double rateTotal(IntakeRecorder recorder, String metric) {
        double sum = 0;
        for (RecordedSeries series : recorder.series(metric)) {
            long interval = series.type() == RecordedSeries.RATE ? Math.max(1, series.interval()) : 1;
            for (RecordedSeries.Point point : series.points()) {
                sum += point.value() * interval;
            }
        }
        return sum;
    }

    private static String fmt(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.3f", value);
    }
}
