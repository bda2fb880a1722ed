package io.pilotfish.collector.forward;

import io.pilotfish.bench.ForwardLoad;
import io.pilotfish.bench.NoTelemetry;
import io.pilotfish.collector.forward.firelens.FireLensRoutes;
import io.pilotfish.processing.logs.LogProcessor;
import io.pilotfish.processing.logs.LogRules;
import io.pilotfish.processing.logs.MultiLineSettings;
import io.pilotfish.spi.signal.LogRecord;
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
 * The forward receiver's work per line, without sockets: one PackedForward frame of 500 FireLens-shaped records
 * (200-byte {@code log}, {@code source}, {@code container_id}, {@code container_name}), exactly what
 * {@code bench/measure-logs.sh} sends, decoded into {@code LogRecord}s with their tags ({@code decode}), and then
 * through the log chain with its defaults, stack-trace joining on ({@code decodeAndProcess}). Reported per line.
 * In this package because the decoder is the collector's own (package-private) class.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ForwardDecodeBenchmark {

    static final int RECORDS = 500;

    private byte[] frame;
    private ForwardDecoder decoder;
    private LogProcessor processor;
    private Blackhole sink;

    @Setup
    public void setUp(Blackhole blackhole) {
        frame = ForwardLoad.sampleFrame(RECORDS, 200);
        RecordMapper mapper = new RecordMapper(ForwardConfig.DEFAULT_MAX_LINE_BYTES, FireLensRoutes.none());
        decoder = new ForwardDecoder(ForwardConfig.DEFAULT_MAX_FRAME_BYTES,
                ForwardConfig.DEFAULT_MAX_DECOMPRESSED_BYTES, mapper, () -> 1_700_000_000_000L);
        sink = blackhole;
        processor = new LogProcessor(LogRules.NONE, ForwardProcessing.MAX_PENDING_BYTES, new NoTelemetry(),
                record -> sink.consume(record));
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public Object decode(Blackhole bh) throws ForwardException {
        return decoder.decode(frame, 0, frame.length, bh::consume);
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public Object decodeAndProcess() throws ForwardException {
        MultiLineSettings defaults = MultiLineSettings.defaults();
        return decoder.decode(frame, 0, frame.length, new ForwardDecoder.RecordConsumer() {
            @Override
            public void accept(LogRecord record) {
                sink.consume(record);
            }

            @Override
            public void accept(RecordMapper.Mapped mapped) {
                processor.accept(mapped.stream(), mapped.record(), LogRules.NONE, defaults);
            }
        });
    }
}
