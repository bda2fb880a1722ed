package io.pilotfish.bench;

import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * The testkit's {@link IntakeRecorder} as the trace intake for {@code bench/measure-apm.sh}: it counts, as each
 * request arrives, the spans and chunks of every {@code AgentPayload} accepted at {@code /api/v0.2/traces}
 * ({@link AgentPayloadSpans}: a protobuf walk, no decoding) and the distinct trace ids among them, split into
 * {@link ApmLoad}'s measured range, its warm-up range and others; and the {@code /api/v0.2/stats} payloads. The
 * recorder keeps only the last {@code --keep} requests (bodies of up to 3.2 MB each), so memory stays bounded over a
 * long run. When it is stopped (SIGTERM, after the agent has stopped and flushed) it writes {@code key=value} lines
 * to {@code --out}: the requests by path and status, the spans, chunks, traces (distinct and repeated), bytes as sent
 * and decompressed, and the spans of each second.
 *
 * <pre>java -cp bench/target/pilotfish-bench.jar io.pilotfish.bench.ApmIntake --key K --out FILE [--keep N]</pre>
 */
public final class ApmIntake {

    /** Trace ids from a range's first id up to this many are told apart (780,000 traces in 60 s at 130k spans/s). */
    static final int RANGE = 1 << 26;

    private ApmIntake() {
    }

    /** What has arrived; guarded by itself. */
    static final class Totals {
        final Map<String, Long> requests = new TreeMap<>();
        long tracePayloads;
        long tracerPayloads;
        long chunks;
        long spans;
        long wireBytes;
        long bytes;
        long badPayloads;
        String firstBad;
        final BitSet measured = new BitSet();
        final BitSet warmup = new BitSet();
        long measuredChunks;
        long measuredSpans;
        long warmupChunks;
        long otherChunks;
        long repeated;
        long statsPayloads;
        long statsBytes;
        final TreeMap<Long, Long> spansPerSecond = new TreeMap<>();
        long firstTraceMillis;
        long lastTraceMillis;
    }

    public static void main(String[] args) throws InterruptedException {
        String key = null;
        Path out = null;
        int keep = 8;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--key" -> key = args[i + 1];
                case "--out" -> out = Path.of(args[i + 1]);
                case "--keep" -> keep = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("usage: ApmIntake --key K --out FILE [--keep N]");
                    System.exit(2);
                }
            }
        }
        if (key == null || out == null || args.length % 2 != 0 || keep < 1) {
            System.err.println("usage: ApmIntake --key K --out FILE [--keep N]");
            System.exit(2);
        }
        Totals totals = new Totals();
        IntakeRecorder recorder = IntakeRecorder.builder().acceptKeys(key).maxRequests(keep).datadogLimits(false)
                .start();
        recorder.onRequest(request -> record(totals, request));
        Path report = out;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                recorder.close(); // no request is half-counted when the report is written
                Files.write(report, report(totals));
                System.out.println("intake report written to " + report);
            } catch (IOException | RuntimeException e) {
                System.out.println("intake report failed: " + e);
            } finally {
                stopped.countDown();
            }
        }));
        System.out.println("intake recorder listening on " + recorder.uri());
        stopped.await();
    }

    /** On the recorder's event loop, after the request is recorded. */
    static void record(Totals totals, RecordedRequest request) {
        String path = request.path();
        synchronized (totals) {
            totals.requests.merge(path + " " + request.status(), 1L, Long::sum);
        }
        if (!request.accepted()) {
            return;
        }
        if (path.equals("/api/v0.2/traces")) {
            byte[] body = request.body();
            long[] measured = new long[1];
            long[] measuredSpans = new long[1];
            long[] warm = new long[1];
            long[] other = new long[1];
            long[] repeated = new long[1];
            AgentPayloadSpans.Count count;
            synchronized (totals) {
                try {
                    count = AgentPayloadSpans.count(body, (id, spans) -> {
                        if (id >= ApmLoad.FIRST_TRACE_ID && id - ApmLoad.FIRST_TRACE_ID < RANGE) {
                            int bit = (int) (id - ApmLoad.FIRST_TRACE_ID);
                            if (totals.measured.get(bit)) {
                                repeated[0]++;
                            }
                            totals.measured.set(bit);
                            measured[0]++;
                            measuredSpans[0] += spans;
                        } else if (id >= ApmLoad.FIRST_WARMUP_TRACE_ID && id - ApmLoad.FIRST_WARMUP_TRACE_ID < RANGE) {
                            int bit = (int) (id - ApmLoad.FIRST_WARMUP_TRACE_ID);
                            if (totals.warmup.get(bit)) {
                                repeated[0]++;
                            }
                            totals.warmup.set(bit);
                            warm[0]++;
                        } else {
                            other[0]++;
                        }
                    });
                } catch (IllegalArgumentException e) {
                    totals.badPayloads++;
                    if (totals.firstBad == null) {
                        totals.firstBad = e.getMessage();
                    }
                    return;
                }
                long now = System.currentTimeMillis();
                totals.tracePayloads++;
                totals.tracerPayloads += count.tracerPayloads();
                totals.chunks += count.chunks();
                totals.spans += count.spans();
                totals.wireBytes += request.wireBytes();
                totals.bytes += body.length;
                totals.measuredChunks += measured[0];
                totals.measuredSpans += measuredSpans[0];
                totals.warmupChunks += warm[0];
                totals.otherChunks += other[0];
                totals.repeated += repeated[0];
                totals.spansPerSecond.merge(now / 1000, (long) count.spans(), Long::sum);
                if (totals.firstTraceMillis == 0) {
                    totals.firstTraceMillis = now;
                }
                totals.lastTraceMillis = now;
            }
        } else if (path.equals("/api/v0.2/stats")) {
            synchronized (totals) {
                totals.statsPayloads++;
                totals.statsBytes += request.wireBytes();
            }
        }
    }

    static List<String> report(Totals t) {
        synchronized (t) {
            List<String> out = new ArrayList<>();
            t.requests.forEach((what, count) -> out.add("requests " + what + "=" + count));
            out.add("trace_payloads=" + t.tracePayloads);
            out.add("tracer_payloads=" + t.tracerPayloads);
            out.add("chunks=" + t.chunks);
            out.add("spans=" + t.spans);
            out.add("wire_bytes=" + t.wireBytes);
            out.add("protobuf_bytes=" + t.bytes);
            out.add("bad_payloads=" + t.badPayloads);
            if (t.firstBad != null) {
                out.add("first_bad=" + t.firstBad);
            }
            out.add("measured_chunks=" + t.measuredChunks);
            out.add("measured_spans=" + t.measuredSpans);
            out.add("measured_distinct_traces=" + t.measured.cardinality());
            out.add("warmup_chunks=" + t.warmupChunks);
            out.add("warmup_distinct_traces=" + t.warmup.cardinality());
            out.add("other_chunks=" + t.otherChunks);
            out.add("repeated_chunks=" + t.repeated);
            out.add("stats_payloads=" + t.statsPayloads);
            out.add("stats_wire_bytes=" + t.statsBytes);
            out.add("first_trace_payload_epoch_ms=" + t.firstTraceMillis);
            out.add("last_trace_payload_epoch_ms=" + t.lastTraceMillis);
            StringBuilder perSecond = new StringBuilder();
            t.spansPerSecond.forEach((second, spans) -> perSecond.append(perSecond.isEmpty() ? "" : ",")
                    .append(second).append(':').append(spans));
            out.add("spans_per_second=" + perSecond);
            return out;
        }
    }
}
