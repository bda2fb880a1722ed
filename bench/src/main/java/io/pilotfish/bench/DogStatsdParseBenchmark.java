package io.pilotfish.bench;

import io.pilotfish.collector.dogstatsd.DogStatsdParser;
import io.pilotfish.collector.dogstatsd.MetricSample;
import io.pilotfish.collector.dogstatsd.Origin;
import io.pilotfish.collector.dogstatsd.ParseError;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Parsing DogStatsD packets as a busy service sends them: 8 KiB-class packets of 64 lines, a mix of counts,
 * gauges, timings, histograms, distributions and sets, 3 to 5 tags from a small set of tag lists (clients repeat
 * them), some with sample rates and container ids. Reported per line. {@code parseAndAggregate} also aggregates
 * every sample (distributions into sketches) into 10-second buckets and flushes a bucket every 256 packets (16,384
 * lines), as the collector does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DogStatsdParseBenchmark {

    static final int LINES = 64;

    private byte[] packet;
    private DogStatsdParser parser;
    private int packets;
    private DogStatsdPipeline pipeline;

    @Setup
    public void setUp() {
        String[] types = {"c", "g", "ms", "h", "d", "c", "c", "s"};
        String[] tagLists = {"#env:prod,service:checkout,version:1.4.2",
                "#env:prod,service:checkout,version:1.4.2,endpoint:/api/cart,method:post",
                "#env:prod,service:search,version:2.0.0,shard:7"};
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            String type = types[i % types.length];
            String value = type.equals("s") ? "user-" + (i * 7919 % 1000) : Double.toString((i * 37 % 500) / 4.0);
            text.append("app.request.").append(type.equals("s") ? "users" : "latency.p" + (i % 12)).append(':')
                    .append(value).append('|').append(type);
            if (i % 5 == 0) {
                text.append("|@0.5");
            }
            text.append('|').append(tagLists[i % tagLists.length]);
            if (i % 4 == 0) {
                text.append("|c:ci-4f1e2d3c4b5a69788796a5b4c3d2e1f0");
            }
            text.append('\n');
        }
        packet = text.toString().getBytes(StandardCharsets.UTF_8);
        parser = new DogStatsdParser(DogStatsdParser.Limits.DEFAULTS, () -> 1_700_000_000L);
        pipeline = new DogStatsdPipeline();
        System.out.printf("%npacket: %d lines, %d bytes%n", LINES, packet.length);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void parse(Blackhole hole) {
        parser.parse(packet, 0, packet.length, new DogStatsdParser.Handler() {
            @Override
            public void metric(MetricSample sample) {
                hole.consume(sample);
            }

            @Override
            public void event(Event event, Origin origin) {
                hole.consume(event);
            }

            @Override
            public void serviceCheck(ServiceCheck check, Origin origin) {
                hole.consume(check);
            }

            @Override
            public void error(ParseError reason, String message) {
                throw new IllegalStateException(reason + ": " + message);
            }
        });
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void parseAndAggregate(Blackhole hole) {
        pipeline.parse(packet);
        if (++packets % 256 == 0) {
            pipeline.nextBucket(hole::consume);
        }
    }
}
