package io.pilotfish.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A tracer-like APM load: v0.4 msgpack payloads ({@code PUT /v0.4/traces}) at {@code --rate} spans per second for
 * {@code --duration} seconds, over {@code --connections} HTTP/1.1 keep-alive connections to {@code host:port}. Used by
 * {@code bench/measure-apm.sh}.
 *
 * <p>Each connection is one thread that flushes a payload every {@code --interval-ms} (100 ms), as a tracer's writer
 * flushes what its application produced meanwhile: {@code rate x interval / connections} spans in traces of 10
 * ({@link ApmPayloads}, 1,300 spans and about 770 KB per payload at the defaults). Connection {@code c} starts at
 * {@code c / connections} of an interval so the payloads arrive evenly. The schedule is fixed: a flush that is late
 * (the agent answered slowly) is made at once, so a slow agent is sent to in bursts and the rate holds on average, as
 * a tracer's buffer would fill meanwhile. Each payload is prebuilt per connection and only its trace ids and span
 * starts are rewritten before it is sent ({@link ApmPayloads.Payload#stamp}): every trace id is unique, and counted
 * up from {@value #FIRST_TRACE_ID} (the warm-up's from {@value #FIRST_WARMUP_TRACE_ID}), so that the intake can tell
 * how many distinct traces arrived. Every root has {@code _sampling_priority_v1} 1, which the agent always keeps.
 *
 * <p>Headers as dd-trace-java sends them: {@code Content-Type: application/msgpack}, {@code Datadog-Meta-Lang: java},
 * its version, interpreter and tracer version, {@code X-Datadog-Trace-Count}; no
 * {@code Datadog-Client-Computed-Stats} (the agent computes the stats) unless {@code --client-stats}. A connection
 * the agent closes (it closes after a 429) is opened again for the next payload.
 *
 * <p>At the end it prints {@code key=value} lines (and writes them to {@code --out}): spans, traces and payloads sent,
 * answers by status (200, 429, other, I/O failures) with their spans, the rate achieved, spans per second, answer
 * latencies, its own CPU time.
 */
public final class ApmLoad {

    static final long FIRST_TRACE_ID = 1L << 32;
    static final long FIRST_WARMUP_TRACE_ID = 1L << 40;
    private static final byte[] CRLF2 = {'\r', '\n', '\r', '\n'};

    private ApmLoad() {
    }

    record Options(String host, int port, long rate, int duration, int warmup, int connections, int intervalMs,
                   boolean clientStats, long seed, Path out) {

        static Options parse(String[] args) {
            String host = "127.0.0.1";
            int port = -1;
            long rate = 130_000;
            int duration = 60;
            int warmup = 0;
            int connections = 10;
            int intervalMs = 100;
            boolean clientStats = false;
            long seed = 7;
            Path out = null;
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (name.equals("--client-stats")) {
                    clientStats = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                String value = args[++i];
                switch (name) {
                    case "--host" -> host = value;
                    case "--port" -> port = Integer.parseInt(value);
                    case "--rate" -> rate = Long.parseLong(value);
                    case "--duration" -> duration = Integer.parseInt(value);
                    case "--warmup" -> warmup = Integer.parseInt(value);
                    case "--connections" -> connections = Integer.parseInt(value);
                    case "--interval-ms" -> intervalMs = Integer.parseInt(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--out" -> out = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            if (port < 1 || port > 65535 || rate < 1 || duration < 1 || warmup < 0 || connections < 1
                    || intervalMs < 1) {
                throw new IllegalArgumentException("usage: ApmLoad --port N [--host H] [--rate SPANS_PER_S] "
                        + "[--duration S] [--warmup S] [--connections N] [--interval-ms MS] [--client-stats] "
                        + "[--seed N] [--out FILE]");
            }
            return new Options(host, port, rate, duration, warmup, connections, intervalMs, clientStats, seed, out);
        }

        /** Traces in each payload: the rate shared by the connections' flushes, in whole traces of 10 spans. */
        int tracesPerPayload() {
            double spans = (double) rate * intervalMs / 1000.0 / connections;
            return (int) Math.max(1, Math.round(spans / ApmPayloads.SPANS_PER_TRACE));
        }
    }

    /** What one connection did in one phase. */
    static final class Tally {
        long payloads;
        long spans;
        long traces;
        long ok;
        long okSpans;
        long tooMany;
        long tooManySpans;
        long other;
        long otherSpans;
        long failed;
        long failedSpans;
        long reconnects;
        long bytes;
        String firstProblem;
        final long[] perSecond;
        final List<Long> latenciesMicros = new ArrayList<>();
        long maxLateMillis;

        Tally(int seconds) {
            perSecond = new long[seconds + 1];
        }

        void add(Tally o) {
            payloads += o.payloads;
            spans += o.spans;
            traces += o.traces;
            ok += o.ok;
            okSpans += o.okSpans;
            tooMany += o.tooMany;
            tooManySpans += o.tooManySpans;
            other += o.other;
            otherSpans += o.otherSpans;
            failed += o.failed;
            failedSpans += o.failedSpans;
            reconnects += o.reconnects;
            bytes += o.bytes;
            if (firstProblem == null) {
                firstProblem = o.firstProblem;
            }
            for (int i = 0; i < perSecond.length; i++) {
                perSecond[i] += o.perSecond[i];
            }
            latenciesMicros.addAll(o.latenciesMicros);
            maxLateMillis = Math.max(maxLateMillis, o.maxLateMillis);
        }
    }

    /** One keep-alive connection; opened on first use and after the agent closes it. */
    static final class Connection implements AutoCloseable {
        private final String host;
        private final int port;
        private Socket socket;
        private OutputStream out;
        private InputStream in;
        private final byte[] readBuf = new byte[16 * 1024];
        private int readStart;
        private int readEnd;
        int opened;

        Connection(String host, int port) {
            this.host = host;
            this.port = port;
        }

        /** Sends one request; returns the status. The connection is closed again if the answer says so. */
        int exchange(byte[] head, byte[] body, int length) throws IOException {
            if (socket == null) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(host, port), 5_000);
                socket.setSoTimeout(30_000);
                out = socket.getOutputStream();
                in = socket.getInputStream();
                readStart = 0;
                readEnd = 0;
                opened++;
            }
            try {
                out.write(head);
                out.write(body, 0, length);
                out.flush();
                return readResponse();
            } catch (IOException e) {
                close();
                throw e;
            }
        }

        private int readResponse() throws IOException {
            int headerEnd;
            while ((headerEnd = indexOf(CRLF2)) < 0) {
                fill();
            }
            String head = new String(readBuf, readStart, headerEnd - readStart, StandardCharsets.ISO_8859_1);
            readStart = headerEnd + 4;
            String[] lines = head.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP answer: " + lines[0]);
            }
            int status = Integer.parseInt(statusLine[1]);
            long contentLength = -1;
            boolean close = statusLine[0].equals("HTTP/1.0");
            boolean chunked = false;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> contentLength = Long.parseLong(value);
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    default -> { }
                }
            }
            if (chunked) {
                skipChunked();
            } else if (contentLength >= 0) {
                skip(contentLength);
            } else {
                close = true; // read to the end: the server closes
                try {
                    while (true) {
                        readStart = readEnd;
                        fill();
                    }
                } catch (IOException end) {
                    // the end of the body
                }
            }
            if (close) {
                close();
            }
            return status;
        }

        private void skipChunked() throws IOException {
            while (true) {
                int lineEnd;
                while ((lineEnd = indexOf(new byte[] {'\r', '\n'})) < 0) {
                    fill();
                }
                String sizeLine = new String(readBuf, readStart, lineEnd - readStart, StandardCharsets.ISO_8859_1);
                readStart = lineEnd + 2;
                int semicolon = sizeLine.indexOf(';');
                long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                skip(size + 2);
                if (size == 0) {
                    return;
                }
            }
        }

        private void skip(long n) throws IOException {
            while (n > 0) {
                if (readStart == readEnd) {
                    fill();
                }
                int take = (int) Math.min(n, readEnd - readStart);
                readStart += take;
                n -= take;
            }
        }

        private int indexOf(byte[] pattern) {
            outer:
            for (int i = readStart; i <= readEnd - pattern.length; i++) {
                for (int j = 0; j < pattern.length; j++) {
                    if (readBuf[i + j] != pattern[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        private void fill() throws IOException {
            if (readStart > 0) {
                System.arraycopy(readBuf, readStart, readBuf, 0, readEnd - readStart);
                readEnd -= readStart;
                readStart = 0;
            }
            if (readEnd == readBuf.length) {
                throw new IOException("an answer's head is over " + readBuf.length + " bytes");
            }
            int n = in.read(readBuf, readEnd, readBuf.length - readEnd);
            if (n < 0) {
                throw new IOException("the agent closed the connection");
            }
            readEnd += n;
        }

        @Override
        public void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                socket = null;
            }
        }
    }

    /** Connection {@code c}'s flushes for one phase. */
    static Tally run(Options options, int c, ApmLoad.Connection connection, ApmPayloads.Payload payload,
                     AtomicLong nextTraceId, long startNanos, int seconds) {
        Tally tally = new Tally(seconds);
        long interval = options.intervalMs() * 1_000_000L;
        long first = startNanos + interval * c / options.connections();
        long end = startNanos + seconds * 1_000_000_000L;
        String headText = "PUT /v0.4/traces HTTP/1.1\r\n"
                + "Host: " + options.host() + ":" + options.port() + "\r\n"
                + "User-Agent: bench-apm-load\r\n"
                + "Content-Type: application/msgpack\r\n"
                + "Content-Length: " + payload.bytes().length + "\r\n"
                + "Datadog-Meta-Lang: java\r\n"
                + "Datadog-Meta-Lang-Version: 21.0.5\r\n"
                + "Datadog-Meta-Lang-Interpreter: OpenJDK 64-Bit Server VM\r\n"
                + "Datadog-Meta-Lang-Interpreter-Vendor: Eclipse Adoptium\r\n"
                + "Datadog-Meta-Tracer-Version: 1.40.0\r\n"
                + "X-Datadog-Trace-Count: " + payload.traces() + "\r\n"
                + (options.clientStats() ? "Datadog-Client-Computed-Stats: yes\r\n" : "")
                + "\r\n";
        byte[] head = headText.getBytes(StandardCharsets.US_ASCII);
        long windowNanos = payload.spanWindowNanos();
        for (long k = 0; ; k++) {
            long due = first + k * interval;
            if (due >= end) {
                break;
            }
            long now = System.nanoTime();
            if (now < due) {
                LockSupport.parkNanos(due - now);
                now = System.nanoTime();
            } else {
                tally.maxLateMillis = Math.max(tally.maxLateMillis, (now - due) / 1_000_000);
            }
            long firstId = nextTraceId.getAndAdd(payload.traces());
            long wallNanos = System.currentTimeMillis() * 1_000_000L;
            payload.stamp(firstId, wallNanos - windowNanos);
            int spans = payload.spans();
            tally.payloads++;
            tally.spans += spans;
            tally.traces += payload.traces();
            tally.bytes += payload.bytes().length;
            long sent = System.nanoTime();
            int second = (int) Math.min(seconds, Math.max(0, (sent - startNanos) / 1_000_000_000L));
            tally.perSecond[second] += spans;
            try {
                int status = connection.exchange(head, payload.bytes(), payload.bytes().length);
                tally.latenciesMicros.add((System.nanoTime() - sent) / 1_000);
                if (status == 200) {
                    tally.ok++;
                    tally.okSpans += spans;
                } else if (status == 429) {
                    tally.tooMany++;
                    tally.tooManySpans += spans;
                } else {
                    tally.other++;
                    tally.otherSpans += spans;
                    if (tally.firstProblem == null) {
                        tally.firstProblem = "status " + status;
                    }
                }
            } catch (IOException | RuntimeException e) {
                tally.failed++;
                tally.failedSpans += spans;
                if (tally.firstProblem == null) {
                    tally.firstProblem = e.toString();
                }
            }
        }
        tally.reconnects = Math.max(0, connection.opened - 1);
        return tally;
    }

    static Tally phase(Options options, List<ApmPayloads.Payload> payloads, AtomicLong nextTraceId, int seconds,
                       long[] wall) throws InterruptedException {
        int n = options.connections();
        Tally[] tallies = new Tally[n];
        Thread[] threads = new Thread[n];
        long start = System.nanoTime() + 100_000_000L;
        for (int c = 0; c < n; c++) {
            int index = c;
            threads[c] = Thread.ofPlatform().name("apm-load-" + c).start(() -> {
                try (Connection connection = new Connection(options.host(), options.port())) {
                    tallies[index] = run(options, index, connection, payloads.get(index), nextTraceId, start,
                            seconds);
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }
        wall[0] = System.nanoTime() - start;
        Tally total = new Tally(seconds);
        for (Tally tally : tallies) {
            if (tally == null) {
                throw new IllegalStateException("a connection thread failed");
            }
            total.add(tally);
        }
        return total;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ApmLoad: " + e.getMessage());
            System.exit(2);
            return;
        }
        int traces = options.tracesPerPayload();
        List<ApmPayloads.Payload> payloads = new ArrayList<>();
        for (int c = 0; c < options.connections(); c++) {
            payloads.add(ApmPayloads.build(traces, options.seed() + c));
        }
        ApmPayloads.Payload sample = payloads.get(0);
        long targetRate = Math.round((double) sample.spans() * options.connections() * 1000 / options.intervalMs());
        System.err.printf(Locale.ROOT, "ApmLoad: %d connections, a payload of %d traces (%d spans, %d bytes) every "
                        + "%d ms on each: %d spans/s to %s:%d for %d s (warm-up %d s)%n", options.connections(), traces,
                sample.spans(), sample.bytes().length, options.intervalMs(), targetRate, options.host(),
                options.port(), options.duration(), options.warmup());

        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[] wall = new long[1];
        Tally warm = null;
        if (options.warmup() > 0) {
            warm = phase(options, payloads, new AtomicLong(FIRST_WARMUP_TRACE_ID), options.warmup(), wall);
            System.out.println("warmup done: " + warm.spans + " spans in " + warm.payloads + " payloads, "
                    + warm.okSpans + " accepted");
            System.out.flush();
        }
        long cpuBefore = os.getProcessCpuTime();
        long startEpochMillis = System.currentTimeMillis() + 100;
        AtomicLong nextTraceId = new AtomicLong(FIRST_TRACE_ID);
        Tally tally = phase(options, payloads, nextTraceId, options.duration(), wall);
        long endEpochMillis = System.currentTimeMillis();
        long cpuNanos = os.getProcessCpuTime() - cpuBefore;

        List<String> out = new ArrayList<>();
        double seconds = wall[0] / 1e9;
        out.add("rate_target=" + targetRate);
        out.add("rate_asked=" + options.rate());
        out.add("connections=" + options.connections());
        out.add("interval_ms=" + options.intervalMs());
        out.add("traces_per_payload=" + traces);
        out.add("spans_per_payload=" + sample.spans());
        out.add("payload_bytes=" + sample.bytes().length);
        out.add("client_computed_stats=" + options.clientStats());
        out.add("duration_s=" + String.format(Locale.ROOT, "%.3f", seconds));
        out.add("start_epoch_ms=" + startEpochMillis);
        out.add("end_epoch_ms=" + endEpochMillis);
        out.add("first_trace_id=" + FIRST_TRACE_ID);
        out.add("last_trace_id=" + (nextTraceId.get() - 1));
        out.add("payloads=" + tally.payloads);
        out.add("traces=" + tally.traces);
        out.add("spans=" + tally.spans);
        out.add("bytes=" + tally.bytes);
        out.add("rate=" + Math.round(tally.spans / seconds));
        out.add("answered_200=" + tally.ok);
        out.add("spans_200=" + tally.okSpans);
        out.add("answered_429=" + tally.tooMany);
        out.add("spans_429=" + tally.tooManySpans);
        out.add("answered_other=" + tally.other);
        out.add("spans_other=" + tally.otherSpans);
        out.add("failed=" + tally.failed);
        out.add("spans_failed=" + tally.failedSpans);
        out.add("reconnects=" + tally.reconnects);
        if (tally.firstProblem != null) {
            out.add("first_problem=" + tally.firstProblem.replace('\n', ' '));
        }
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int s = 0; s < options.duration(); s++) {
            min = Math.min(min, tally.perSecond[s]);
            max = Math.max(max, tally.perSecond[s]);
        }
        out.add("rate_min_1s=" + min);
        out.add("rate_max_1s=" + max);
        out.add("max_late_ms=" + tally.maxLateMillis);
        long[] latencies = tally.latenciesMicros.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(latencies);
        if (latencies.length > 0) {
            out.add("latency_ms_p50=" + fmt(latencies[latencies.length / 2] / 1000.0));
            out.add("latency_ms_p99=" + fmt(latencies[(int) Math.min(latencies.length - 1,
                    Math.ceil(latencies.length * 0.99) - 1)] / 1000.0));
            out.add("latency_ms_max=" + fmt(latencies[latencies.length - 1] / 1000.0));
        }
        out.add("cpu_ms=" + cpuNanos / 1_000_000);
        out.add("cpu_percent_of_one_core=" + String.format(Locale.ROOT, "%.1f", 100.0 * cpuNanos / wall[0]));
        if (warm != null) {
            out.add("warmup_spans=" + warm.spans);
            out.add("warmup_spans_200=" + warm.okSpans);
            out.add("warmup_spans_429=" + warm.tooManySpans);
            out.add("warmup_spans_other=" + (warm.otherSpans + warm.failedSpans));
        }
        StringBuilder perSecond = new StringBuilder();
        for (int s = 0; s < options.duration(); s++) {
            perSecond.append(s == 0 ? "" : ",").append(tally.perSecond[s]);
        }
        out.add("per_second=" + perSecond);
        PrintStream stdout = System.out;
        out.forEach(stdout::println);
        if (options.out() != null) {
            Files.write(options.out(), out);
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
