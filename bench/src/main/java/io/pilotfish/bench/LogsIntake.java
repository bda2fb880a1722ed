package io.pilotfish.bench;

import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The testkit's {@link IntakeRecorder} as the logs intake for a forward load ({@link ForwardLoad}): for every accepted
 * {@code /api/v2/logs} body it counts the logs and, from each message's {@code c<connection> n<sequence>} prefix, the
 * distinct lines of each connection and the repeats. It keeps only the last few requests. On SIGTERM it writes
 * {@code key=value} lines to {@code --out}: requests, logs, distinct lines, repeats, bytes as sent and decompressed.
 *
 * <pre>java -cp bench/target/pilotfish-bench.jar io.pilotfish.bench.LogsIntake --key K --out FILE</pre>
 */
public final class LogsIntake {

    private static final byte[] MESSAGE = "{\"message\":\"c".getBytes(StandardCharsets.US_ASCII);

    private LogsIntake() {
    }

    static final class Totals {
        long requests;
        long logs;
        long repeats;
        long wireBytes;
        long bytes;
        long unparsed;
        final Map<Integer, BitSet> seen = new HashMap<>();
    }

    public static void main(String[] args) throws InterruptedException {
        String key = null;
        Path out = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--key" -> key = args[i + 1];
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("usage: LogsIntake --key K --out FILE");
            }
        }
        if (key == null || out == null) {
            throw new IllegalArgumentException("usage: LogsIntake --key K --out FILE");
        }
        Totals totals = new Totals();
        IntakeRecorder recorder = IntakeRecorder.builder().acceptKeys(key).maxRequests(4).datadogLimits(false)
                .start();
        recorder.onRequest(request -> record(totals, request));
        Path report = out;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                recorder.close();
                long distinct;
                synchronized (totals) {
                    distinct = totals.seen.values().stream().mapToLong(BitSet::cardinality).sum();
                    Files.writeString(report, "requests=" + totals.requests + "\nlogs=" + totals.logs
                            + "\ndistinct_lines=" + distinct + "\nrepeats=" + totals.repeats + "\nunparsed="
                            + totals.unparsed + "\nwire_bytes=" + totals.wireBytes + "\nbytes=" + totals.bytes + "\n");
                }
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

    static void record(Totals totals, RecordedRequest request) {
        if (!request.path().equals("/api/v2/logs")) {
            return;
        }
        if (!request.accepted()) { // a body the recorder could not decode, among others
            synchronized (totals) {
                totals.unparsed++;
            }
            return;
        }
        // The recorder hands the body over decoded (gzip, deflate or zstd); the wire size is what was sent.
        byte[] body = request.body();
        synchronized (totals) {
            totals.requests++;
            totals.wireBytes += request.wireBytes();
            totals.bytes += body.length;
            // Each log starts {"message":"c<connection> n<sequence> ... (the sink writes message first).
            for (int i = indexOf(body, 0); i >= 0; i = indexOf(body, i + MESSAGE.length)) {
                int at = i + MESSAGE.length;
                int connection = 0;
                while (body[at] >= '0' && body[at] <= '9') {
                    connection = connection * 10 + (body[at++] - '0');
                }
                at += 2; // " n"
                long sequence = 0;
                while (body[at] >= '0' && body[at] <= '9') {
                    sequence = sequence * 10 + (body[at++] - '0');
                }
                BitSet bits = totals.seen.computeIfAbsent(connection, c -> new BitSet());
                if (bits.get((int) sequence)) {
                    totals.repeats++;
                }
                bits.set((int) sequence);
                totals.logs++;
            }
        }
    }

    private static int indexOf(byte[] body, int from) {
        outer:
        for (int i = from; i <= body.length - MESSAGE.length; i++) {
            for (int j = 0; j < MESSAGE.length; j++) {
                if (body[i + j] != MESSAGE[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
