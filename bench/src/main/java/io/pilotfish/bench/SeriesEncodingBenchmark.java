package io.pilotfish.bench;

import io.pilotfish.collector.containerstats.ContainerStatsConfig;
import io.pilotfish.collector.containerstats.SampleHistory;
import io.pilotfish.collector.containerstats.StatsConversion;
import io.pilotfish.collector.containerstats.StatsConverter;
import io.pilotfish.collector.containerstats.StatsParser;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.sink.datadog.metrics.SeriesEncoderAccess;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One {@code POST /api/v2/series} body from a batch of about 300 points: two steady-state container-stats scrapes
 * of the 3-container Fargate task (2 x 142 points; two scrapes share a batch when the intake was slow) plus one
 * report of the agent's own telemetry, with {@code DD_ENV}/{@code DD_TAGS}-style global tags. Every variant includes
 * the grouping into series, as the sink does it per export.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SeriesEncodingBenchmark {

    static final TagSet GLOBAL_TAGS = TagSet.of("env:prod", "service:shop", "team:checkout", "tier:1");

    private List<Signal> batch;
    private SeriesEncoderAccess deflate;
    private SeriesEncoderAccess gzip;

    @Setup
    public void setUp() {
        batch = Collections.unmodifiableList(batch());
        deflate = SeriesEncoderAccess.of("deflate", GLOBAL_TAGS);
        gzip = SeriesEncoderAccess.of("gzip", GLOBAL_TAGS);
        SeriesEncoderAccess.Body body = deflate.encode(batch);
        System.out.printf("%nbatch: %d points in %d series; %d bytes of JSON, %d deflated, %d gzipped%n",
                batch.size(), SeriesEncoderAccess.group(batch), body.uncompressedLength(), body.length(),
                gzip.encode(batch).length());
    }

    static List<Signal> batch() {
        TaskSnapshot snapshot = Fixtures.snapshot();
        StatsConverter converter = new StatsConverter(ContainerStatsConfig.DEFAULT);
        List<Signal> out = new ArrayList<>();
        SampleHistory history = SampleHistory.empty();
        for (int sample = 0; sample < 3; sample++) {
            StatsConversion conversion = converter.convert(StatsParser.parse(Fixtures.stats(sample)), snapshot,
                    history, Fixtures.sampleTime(sample));
            history = conversion.history();
            if (sample > 0) {
                out.addAll(StatsConversionBenchmark.checkSteadyState(conversion).metrics());
            }
        }
        out.addAll(selfTelemetry(snapshot));
        return out;
    }

    /** The figures the agent reports about itself with the default plugins, tagged like the task. */
    private static List<Metric> selfTelemetry(TaskSnapshot snapshot) {
        TelemetryRegistry registry = new TelemetryRegistry();
        for (String collector : List.of("ecs-metadata", "container-stats", "self-telemetry")) {
            SelfTelemetry scoped = registry.scoped(TagSet.of("collector:" + collector,
                    "collector_type:" + collector));
            scoped.counter("collector.signals").add(142);
            scoped.counter("collector.errors", "reason:scrape_failed");
            scoped.counter("collector.scrapes").add(6);
            scoped.counter("collector.metrics").add(852);
        }
        SelfTelemetry sink = registry.scoped(TagSet.of("sink:datadog-metrics", "sink_type:datadog-metrics"));
        for (String name : List.of("sink.received", "sink.sent", "sink.retried", "sink.batches.split",
                "sink.bytes.sent")) {
            sink.counter(name).add(1_000);
        }
        for (String reason : List.of("queue_full", "rejected", "too_large", "expired", "shutdown")) {
            sink.counter("sink.dropped", "reason:" + reason);
        }
        for (String status : List.of("2xx", "3xx", "4xx", "5xx", "error")) {
            sink.counter("sink.requests", "status_class:" + status).add(3);
        }
        for (String reason : List.of("invalid_value", "invalid_name", "unsupported_signal")) {
            sink.counter("sink.points.dropped", "reason:" + reason);
        }
        sink.gauge("sink.queue.bytes", () -> 48_213);
        sink.gauge("sink.queue.items", () -> 142);
        return registry.report(Fixtures.sampleTime(2).getEpochSecond(), 10, snapshot.taskTags(Cardinality.LOW));
    }

    /** Grouping into series alone, which every variant below includes. */
    @Benchmark
    public int group() {
        return SeriesEncoderAccess.group(batch);
    }

    /** Group + JSON, written to a sink that only counts (the sink streams JSON into the compressor, never a buffer). */
    @Benchmark
    public void json(Blackhole blackhole) {
        deflate.writeJson(batch, new DiscardingStream(blackhole));
    }

    /** Group + JSON + zlib deflate: the sink's default. */
    @Benchmark
    public SeriesEncoderAccess.Body jsonDeflate() {
        return deflate.encode(batch);
    }

    /** Group + JSON + gzip. */
    @Benchmark
    public SeriesEncoderAccess.Body jsonGzip() {
        return gzip.encode(batch);
    }

    private static final class DiscardingStream extends OutputStream {
        private final Blackhole blackhole;

        DiscardingStream(Blackhole blackhole) {
            this.blackhole = blackhole;
        }

        @Override
        public void write(int b) {
            blackhole.consume(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            blackhole.consume(b);
            blackhole.consume(len);
        }
    }
}
