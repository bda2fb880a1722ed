package io.pilotfish.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A log router's load: Fluentd forward PackedForward frames of {@code --batch} records over {@code --connections} TCP
 * connections to {@code 127.0.0.1:port}, as fast as the agent takes them, for {@code --duration} seconds. Each record
 * is what the awsfirelens log driver sends ({@code log}, {@code source}, {@code container_id},
 * {@code container_name}) with a {@code log} line of {@code --line-bytes} bytes (200 by default) that starts with
 * {@code c<connection> n<sequence> }, so that the intake can count every line and every repeat
 * ({@link LogsIntake}). Every frame asks for an ack ({@code chunk}) and the next frame is sent once it came: the
 * agent acks only what it has queued, so the rate achieved is what it takes without losing anything.
 *
 * <pre>java -cp bench/target/pilotfish-bench.jar io.pilotfish.bench.ForwardLoad --port N [--connections 4]
 *     [--duration 60] [--batch 500] [--line-bytes 200] [--out FILE]</pre>
 * At the end it prints {@code key=value} lines (and writes them to {@code --out}): lines, bytes of lines and frames
 * sent, lines and MiB per second.
 */
public final class ForwardLoad {

    private ForwardLoad() {
    }

    public static void main(String[] args) throws Exception {
        int port = -1;
        int connections = 4;
        int duration = 60;
        int batch = 500;
        int lineBytes = 200;
        Path out = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--connections" -> connections = Integer.parseInt(args[i + 1]);
                case "--duration" -> duration = Integer.parseInt(args[i + 1]);
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--line-bytes" -> lineBytes = Integer.parseInt(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (port <= 0 || connections < 1 || duration < 1 || batch < 1 || lineBytes < 40 || args.length % 2 != 0) {
            throw new IllegalArgumentException("usage: ForwardLoad --port N [--connections C] [--duration S] "
                    + "[--batch RECORDS] [--line-bytes B>=40] [--out FILE]");
        }
        AtomicLong lines = new AtomicLong();
        AtomicLong frames = new AtomicLong();
        long deadline = System.nanoTime() + duration * 1_000_000_000L;
        long started = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int connection = c;
            int records = batch;
            int size = lineBytes;
            int target = port;
            Thread t = new Thread(() -> {
                try {
                    send(target, connection, records, size, deadline, lines, frames);
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "forward-load-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long sent = lines.get();
        String report = "lines_sent=" + sent + "\nline_bytes=" + lineBytes + "\nbytes_of_lines=" + sent * lineBytes
                + "\nframes_sent=" + frames.get() + "\nconnections=" + connections + "\nbatch=" + batch
                + "\nseconds=" + String.format("%.3f", seconds)
                + "\nlines_per_second=" + Math.round(sent / seconds)
                + "\nmib_per_second=" + String.format("%.1f", sent * (double) lineBytes / seconds / (1 << 20))
                + "\nfailures=" + failures.size() + (failures.isEmpty() ? "" : "\nfirst_failure=" + failures.get(0))
                + "\n";
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report);
        }
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static void send(int port, int connection, int records, int lineBytes, long deadline, AtomicLong lines,
                             AtomicLong frames) throws IOException {
        String containerId = "0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-" + (1_000_000_000L + connection);
        byte[] filler = "x".repeat(lineBytes).getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            Msgpack entries = new Msgpack(records * (lineBytes + 160));
            Msgpack frame = new Msgpack(records * (lineBytes + 160) + 256);
            long sequence = 0;
            long chunk = 0;
            while (System.nanoTime() < deadline) {
                String chunkId = "c" + connection + "-" + chunk++;
                fill(entries, frame, connection, sequence, records, lineBytes, filler, containerId, chunkId);
                sequence += records;
                out.write(frame.bytes(), 0, frame.length());
                out.flush();
                readAck(in, chunkId);
                lines.addAndGet(records);
                frames.incrementAndGet();
            }
        }
    }

    /**
     * One PackedForward frame of {@code records} FireLens-shaped records, lines numbered from {@code sequence}, with
     * the chunk option: what the load sends, and what ForwardDecodeBenchmark decodes.
     */
    private static void fill(Msgpack entries, Msgpack frame, int connection, long sequence, int records,
                             int lineBytes, byte[] filler, String containerId, String chunkId) {
        entries.reset();
        long seconds = System.currentTimeMillis() / 1000;
        for (int r = 0; r < records; r++) {
            entries.arrayHeader(2).uint32(seconds).mapHeader(4);
            entries.str("log");
            byte[] prefix = ("c" + connection + " n" + (sequence + r) + " ").getBytes(StandardCharsets.US_ASCII);
            entries.strHeader(lineBytes).raw(prefix, prefix.length).raw(filler, lineBytes - prefix.length);
            entries.str("source").str("stdout");
            entries.str("container_id").str(containerId);
            entries.str("container_name").str("/app");
        }
        frame.reset();
        frame.arrayHeader(3).str("app-firelens-0f7c9d2e");
        frame.binHeader(entries.length()).raw(entries.bytes(), entries.length());
        frame.mapHeader(2).str("size").uint32(records).str("chunk").str(chunkId);
    }

    /** One frame as the load sends it, for benchmarks. */
    public static byte[] sampleFrame(int records, int lineBytes) {
        Msgpack entries = new Msgpack(records * (lineBytes + 160));
        Msgpack frame = new Msgpack(records * (lineBytes + 160) + 256);
        fill(entries, frame, 0, 0, records, lineBytes, "x".repeat(lineBytes).getBytes(StandardCharsets.US_ASCII),
                "0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-1000000000", "c0-0");
        return java.util.Arrays.copyOf(frame.bytes(), frame.length());
    }

    /** {@code {"ack": chunk}}: a fixmap of one entry, the key "ack", the chunk id as a str. */
    private static void readAck(DataInputStream in, String chunkId) throws IOException {
        int map = in.readUnsignedByte();
        int keyHeader = in.readUnsignedByte();
        byte[] key = new byte[keyHeader & 0x1F];
        in.readFully(key);
        int header = in.readUnsignedByte();
        int length = header == 0xD9 ? in.readUnsignedByte() : header & 0x1F;
        byte[] value = new byte[length];
        in.readFully(value);
        if (map != 0x81 || !"ack".equals(new String(key, StandardCharsets.US_ASCII))
                || !chunkId.equals(new String(value, StandardCharsets.US_ASCII))) {
            throw new IOException("unexpected answer for chunk " + chunkId);
        }
    }

    /** Just enough msgpack writing for the frames above. */
    private static final class Msgpack {
        private byte[] buf;
        private int pos;

        Msgpack(int capacity) {
            buf = new byte[capacity];
        }

        void reset() {
            pos = 0;
        }

        byte[] bytes() {
            return buf;
        }

        int length() {
            return pos;
        }

        private void room(int n) {
            if (pos + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        Msgpack raw(byte[] bytes, int length) {
            room(length);
            System.arraycopy(bytes, 0, buf, pos, length);
            pos += length;
            return this;
        }

        private Msgpack b(int value) {
            room(1);
            buf[pos++] = (byte) value;
            return this;
        }

        private Msgpack be32(long value) {
            return b((int) (value >>> 24)).b((int) (value >>> 16)).b((int) (value >>> 8)).b((int) value);
        }

        Msgpack arrayHeader(int n) {
            return b(0x90 | n);
        }

        Msgpack mapHeader(int n) {
            return b(0x80 | n);
        }

        Msgpack uint32(long value) {
            return b(0xCE).be32(value);
        }

        Msgpack strHeader(int length) {
            if (length < 32) {
                return b(0xA0 | length);
            }
            return length < 256 ? b(0xD9).b(length) : b(0xDA).b(length >>> 8).b(length);
        }

        Msgpack str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            return strHeader(bytes.length).raw(bytes, bytes.length);
        }

        Msgpack binHeader(int length) {
            return b(0xC6).be32(length);
        }
    }
}
