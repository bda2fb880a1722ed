package io.pilotfish.bench;

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
 * The worker's share of {@code measure-dogstatsd.sh}, on one core: parsing and aggregating the packets that
 * {@link DogStatsdLoad} sends (its ring of 4,096 packets of about 32 lines, 2,000 contexts), one packet per
 * operation. A bucket is flushed every {@value #PACKETS_PER_BUCKET} packets (10 s at 500,000 lines/s), so the
 * histograms grow as they do in the agent. The score is packets per second; the setup prints the lines per packet to
 * turn it into lines per second. Unlike {@link DogStatsdParseBenchmark} (one packet, 36 contexts) the tag cache and
 * the context map see the load's variety.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DogStatsdMixBenchmark {

    static final int PACKETS_PER_BUCKET = 155_705;

    private byte[][] packets;
    private int index;
    private int inBucket;
    private DogStatsdPipeline pipeline;

    @Setup
    public void setUp() {
        List<DogStatsdLoad.Packet> ring = DogStatsdLoad.buildRing(4096, 1432, 42, DogStatsdLoad.CHECK);
        packets = ring.stream().map(DogStatsdLoad.Packet::bytes).toArray(byte[][]::new);
        long lines = ring.stream().mapToLong(DogStatsdLoad.Packet::lines).sum();
        pipeline = new DogStatsdPipeline();
        System.out.printf("%n%d packets, %.2f lines per packet%n", packets.length, (double) lines / packets.length);
    }

    @Benchmark
    public void parseAndAggregate(Blackhole hole) {
        byte[] packet = packets[index];
        index = (index + 1) & (packets.length - 1);
        pipeline.parse(packet);
        if (++inBucket == PACKETS_PER_BUCKET) {
            inBucket = 0;
            pipeline.nextBucket(hole::consume);
        }
    }
}
