package io.pilotfish.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * An app that logs to a file: appends lines of {@code --line-bytes} bytes (200 by default, newline included) to
 * {@code --file} as fast as it can (or at most {@code --rate-mib} MiB/s when given) for {@code --duration} seconds,
 * and rotates it by rename (to {@code <file>.1},
 * replacing the previous one, as logrotate with {@code rotate 1}) each time it passed {@code --rotate-mib} MiB. Each line
 * starts {@code c0 n<sequence> }, so that {@link LogsIntake} counts every line and every repeat. Writes go out in
 * blocks of whole lines (256 KiB), as a buffered logger writes them.
 *
 * <pre>java -cp bench/target/pilotfish-bench.jar io.pilotfish.bench.FileLoad --file F [--duration 30]
 *     [--line-bytes 200] [--rotate-mib 100] [--rate-mib 0 = unlimited] [--out FILE]</pre>
 * At the end it prints {@code key=value} lines (and writes them to {@code --out}): lines and bytes written,
 * rotations, seconds, lines and MiB per second.
 */
public final class FileLoad {

    private static final int BLOCK = 256 * 1024;

    private FileLoad() {
    }

    public static void main(String[] args) throws IOException {
        Path file = null;
        Path out = null;
        int duration = 30;
        int lineBytes = 200;
        long rotateBytes = 100L * 1024 * 1024;
        double rateMib = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[i + 1]);
                case "--duration" -> duration = Integer.parseInt(args[i + 1]);
                case "--line-bytes" -> lineBytes = Integer.parseInt(args[i + 1]);
                case "--rotate-mib" -> rotateBytes = Long.parseLong(args[i + 1]) * 1024 * 1024;
                case "--rate-mib" -> rateMib = Double.parseDouble(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (file == null || duration < 1 || lineBytes < 40 || rotateBytes < 1 || args.length % 2 != 0) {
            throw new IllegalArgumentException("usage: FileLoad --file F [--duration S] [--line-bytes B>=40] "
                    + "[--rotate-mib M] [--out FILE]");
        }
        Path rotated = file.resolveSibling(file.getFileName() + ".1");
        ByteBuffer block = ByteBuffer.allocate(BLOCK - BLOCK % lineBytes);
        byte[] padding = "x".repeat(lineBytes).getBytes(StandardCharsets.US_ASCII);
        long lines = 0;
        long bytes = 0;
        long inFile = 0;
        int rotations = 0;
        long started = System.nanoTime();
        long deadline = started + duration * 1_000_000_000L;
        FileChannel channel = open(file);
        try {
            while (System.nanoTime() < deadline) {
                block.clear();
                while (block.remaining() >= lineBytes) {
                    int start = block.position();
                    block.put((byte) 'c').put((byte) '0').put((byte) ' ').put((byte) 'n');
                    putDecimal(block, lines);
                    block.put((byte) ' ');
                    block.put(padding, 0, lineBytes - 1 - (block.position() - start));
                    block.put((byte) '\n');
                    lines++;
                }
                block.flip();
                int length = block.remaining();
                while (block.hasRemaining()) {
                    channel.write(block);
                }
                bytes += length;
                inFile += length;
                if (inFile >= rotateBytes) {
                    channel.close();
                    Files.move(file, rotated, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    channel = open(file);
                    inFile = 0;
                    rotations++;
                }
                if (rateMib > 0) {
                    // Ahead of the rate: wait until the clock catches up with the bytes written.
                    long dueNanos = started + (long) (bytes / (rateMib * 1024 * 1024) * 1e9);
                    long ahead = dueNanos - System.nanoTime();
                    if (ahead > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(ahead);
                    }
                }
            }
        } finally {
            channel.close();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        String report = "lines=" + lines + "\nbytes=" + bytes + "\nrotations=" + rotations + "\nseconds="
                + String.format("%.2f", seconds) + "\nwrite_lines_per_s=" + Math.round(lines / seconds)
                + "\nwrite_mib_per_s=" + String.format("%.1f", bytes / seconds / 1024 / 1024) + "\n";
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    private static void putDecimal(ByteBuffer buffer, long value) {
        if (value >= 10) {
            putDecimal(buffer, value / 10);
        }
        buffer.put((byte) ('0' + value % 10));
    }
}
