package io.pilotfish.bench;

import io.pilotfish.collector.apm.decode.DecodedTraces;
import io.pilotfish.collector.apm.decode.TraceDecodeException;
import io.pilotfish.collector.apm.decode.TraceDecoder;
import io.pilotfish.collector.apm.filter.TraceFilters;
import io.pilotfish.collector.apm.normalize.ChunkResult;
import io.pilotfish.collector.apm.receive.TraceProcessor;
import io.pilotfish.collector.apm.normalize.NormalizationStats;
import io.pilotfish.collector.apm.normalize.SpanTruncator;
import io.pilotfish.collector.apm.normalize.TraceNormalizer;
import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig;
import io.pilotfish.collector.apm.obfuscate.TraceObfuscator;
import io.pilotfish.collector.apm.sample.SamplingConfig;
import io.pilotfish.collector.apm.sample.TraceSampler;
import io.pilotfish.collector.apm.stats.Concentrator;
import io.pilotfish.collector.apm.stats.StatsClock;
import io.pilotfish.collector.apm.stats.StatsConfig;
import io.pilotfish.sink.datadog.traces.AgentPayloadEncoderAccess;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
 * The APM receiver's work on one tracer payload, on one thread: a v0.4 msgpack body of {@value #TRACES} traces of 10
 * spans ({@link ApmPayloads}: a {@code servlet.request} root, Spring, two SQL queries, two Redis commands, an HTTP
 * client call, a Kafka produce, internal spans; one trace in 50 an error with a stack) decoded, normalised and encoded
 * as the {@code datadog-traces} sink's protobuf {@code AgentPayload}. The score is spans per second
 * ({@link OperationsPerInvocation} = {@value #SPANS}). Issue 13's target: at least 1,000,000 spans/s on one core.
 * <ul>
 *   <li>{@code decode}: {@link TraceDecoder#decodeMsgpackTraces} and {@link DecodedTraces#toChunks}, with one decoder
 *       kept across payloads as each decoder thread keeps one (its string table is warm);</li>
 *   <li>{@code decodeNormalize}: plus {@link TraceNormalizer#normalize} of every chunk, top-level computed by the
 *       agent (no {@code Datadog-Client-Computed-Top-Level});</li>
 *   <li>{@code decodeNormalizeEncode}: plus the {@code AgentPayload} of the kept chunks, uncompressed;
 *       {@code ...AndGzip}: and its gzip body at the sink's level (best speed);</li>
 *   <li>{@code fullPipeline}: the receiver's whole {@code TraceProcessor} path in its order: normalise, the (empty)
 *       filters, obfuscation (default settings: SQL and Redis resources, {@code sql.query}, {@code http.url} query
 *       strings) and truncation of every span, stats for the concentrator (the tracer did not compute them), priority
 *       sampling (every root has {@code _sampling_priority_v1} 1, so all are kept), then the protobuf and gzip. The
 *       concentrator is flushed as the receiver flushes it, here every 2,000 payloads.</li>
 * </ul>
 * The setup refuses to run unless every trace survives each step and the encoded payload holds every span.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TracePipelineBenchmark {

    static final int TRACES = 50;
    static final int SPANS = TRACES * ApmPayloads.SPANS_PER_TRACE;
    private static final int FLUSH_EVERY = 2_000;

    private byte[] body;
    private TracerInfo tracer;
    private TraceDecoder decoder;
    private TraceNormalizer normalizer;
    private AgentPayloadEncoderAccess encoder;
    private TraceFilters filters;
    private TraceObfuscator obfuscator;
    private SpanTruncator truncator;
    private Concentrator concentrator;
    private TraceSampler sampler;
    private TraceProcessor processor;
    private int payloads;
    private static final TraceProcessor.PayloadContext REQUEST = new TraceProcessor.PayloadContext("java", "",
            List.of(), false, false, 0);

    @Setup
    public void setUp() throws TraceDecodeException {
        ApmPayloads.Payload payload = ApmPayloads.build(TRACES, 13);
        long now = Instant.now().toEpochMilli() * 1_000_000L;
        payload.stamp(1L << 32, now - payload.spanWindowNanos());
        body = payload.bytes();
        tracer = new TracerInfo("", "java", "21.0.5", "1.40.0", "", Map.of(), "", "", "");
        decoder = new TraceDecoder(16L * 1024 * 1024);
        normalizer = new TraceNormalizer();
        encoder = new AgentPayloadEncoderAccess();
        filters = TraceFilters.none();
        obfuscator = new TraceObfuscator(ObfuscationConfig.defaults());
        truncator = new SpanTruncator();
        concentrator = new Concentrator(StatsConfig.defaults("none", "bench-host"), StatsClock.system(),
                new SplittableRandom(1));
        sampler = new TraceSampler(SamplingConfig.defaults("none"));
        processor = new TraceProcessor(normalizer, filters, obfuscator, truncator, concentrator, sampler, "none",
                "bench-host");

        List<TraceChunk> chunks = decodeOnce();
        List<TraceChunk> normal = normalizeAll(chunks);
        List<TraceChunk> full = fullOnce();
        byte[] protobuf = encoder.payload(full);
        AgentPayloadSpans.Count count = AgentPayloadSpans.count(protobuf, (id, n) -> { });
        if (chunks.size() != TRACES || normal.size() != TRACES || full.size() != TRACES || count.spans() != SPANS) {
            throw new IllegalStateException("the payload did not survive the pipeline: " + chunks.size()
                    + " chunks decoded, " + normal.size() + " normalised, " + full.size() + " sampled and kept, "
                    + count.spans() + " spans encoded, of " + TRACES + " traces and " + SPANS + " spans");
        }
        System.out.printf("%n%d traces, %d spans (%d error traces) in %d bytes of msgpack (%.0f per span); "
                        + "AgentPayload %d bytes (%.0f per span), gzip %d bytes%n", payload.traces(), payload.spans(),
                payload.errorTraces(), body.length, (double) body.length / SPANS, protobuf.length,
                (double) protobuf.length / SPANS, encoder.encodeAndGzip(full));
    }

    private List<TraceChunk> decodeOnce() throws TraceDecodeException {
        return decoder.decodeMsgpackTraces(body, 0, body.length).toChunks(tracer);
    }

    private List<TraceChunk> normalizeAll(List<TraceChunk> chunks) {
        NormalizationStats stats = new NormalizationStats();
        List<TraceChunk> kept = new ArrayList<>(chunks.size());
        for (TraceChunk chunk : chunks) {
            if (normalizer.normalize(chunk, "java", false, stats) instanceof ChunkResult.Kept normal) {
                kept.add(normal.chunk());
            }
        }
        return kept;
    }

    /** The receiver's own {@link TraceProcessor} on one payload, from a tracer that computed no stats. */
    private List<TraceChunk> fullOnce() throws TraceDecodeException {
        return processor.process(decodeOnce(), tracer, REQUEST).kept();
    }

    @Benchmark
    @OperationsPerInvocation(SPANS)
    public List<TraceChunk> decode() throws TraceDecodeException {
        return decodeOnce();
    }

    @Benchmark
    @OperationsPerInvocation(SPANS)
    public List<TraceChunk> decodeNormalize() throws TraceDecodeException {
        return normalizeAll(decodeOnce());
    }

    @Benchmark
    @OperationsPerInvocation(SPANS)
    public int decodeNormalizeEncode() throws TraceDecodeException {
        return encoder.encode(normalizeAll(decodeOnce()));
    }

    @Benchmark
    @OperationsPerInvocation(SPANS)
    public int decodeNormalizeEncodeAndGzip() throws TraceDecodeException {
        return encoder.encodeAndGzip(normalizeAll(decodeOnce()));
    }

    @Benchmark
    @OperationsPerInvocation(SPANS)
    public int fullPipeline(Blackhole hole) throws TraceDecodeException {
        int length = encoder.encodeAndGzip(fullOnce());
        if (++payloads == FLUSH_EVERY) {
            payloads = 0;
            hole.consume(concentrator.flush(false));
        }
        return length;
    }
}
