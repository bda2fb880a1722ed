package io.pilotfish.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A DogStatsD load over UDP: {@code --rate} lines per second for {@code --duration} seconds, to {@code host:port},
 * packed into packets of at most {@code --max-packet} bytes (1432, what java-dogstatsd-client sends over UDP by
 * default) separated by {@code \n}. Used by {@code bench/measure-dogstatsd.sh}.
 *
 * <p>The mix, over {@value #CONTEXTS} contexts (name and tags): 62 % counters {@code app.requests:1|c|#route:/rN,
 * status:S,env:bench} (1,500 contexts), 8 % sampled counters {@code app.cache.hits:1|c|@0.5|#cache:cN} (49), 10 %
 * gauges {@code app.queue.depth} (100), 8 % timers {@code app.latency|ms} (200), 6 % distributions
 * {@code app.payload.bytes|d} (100), 2 % sets {@code app.users.unique|s} (50), and 4 % the check counter
 * {@code bench.check:1|c} (1 context), whose total at the far end must equal the number of its lines sent.
 *
 * <p>The packets are built once before the run (a ring of {@code --ring} packets with a fixed seed), so the sender
 * spends its CPU on sending, not formatting. Each sender thread runs a fixed-rate loop: once per millisecond it
 * sends whole packets until its line count reaches {@code rate x elapsed}, then parks until the next millisecond;
 * a thread that was descheduled catches up in a burst, as a real client would. An optional {@code --warmup} phase
 * sends the same mix at the same rate first, with {@code bench.warmup} in place of {@code bench.check}, and is
 * counted apart.
 *
 * <p>At the end it prints {@code key=value} lines (and writes them to {@code --out}): lines, packets, bytes, lines per
 * type, the check lines, the achieved rate and the per-second minimum and maximum, send errors, and its own CPU time.
 */
public final class DogStatsdLoad {

    static final int CONTEXTS = 2_000;
    static final String CHECK = "bench.check";
    static final String WARMUP = "bench.warmup";
    static final String[] TYPES = {"c", "g", "ms", "d", "s"};

    private DogStatsdLoad() {
    }

    /** One prebuilt packet: its bytes, and how many lines of each kind it holds. */
    record Packet(byte[] bytes, int lines, int checkLines, int[] perType) {
    }

    record Options(String host, int port, long rate, int duration, int warmup, int threads, int maxPacket, int ring,
                   long seed, Path out) {

        static Options parse(String[] args) {
            String host = "127.0.0.1";
            int port = -1;
            long rate = 500_000;
            int duration = 60;
            int warmup = 0;
            int threads = 1;
            int maxPacket = 1432;
            int ring = 4096;
            long seed = 42;
            Path out = null;
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
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
                    case "--threads" -> threads = Integer.parseInt(value);
                    case "--max-packet" -> maxPacket = Integer.parseInt(value);
                    case "--ring" -> ring = Integer.parseInt(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--out" -> out = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            if (port < 1 || port > 65535 || rate < 1 || duration < 1 || warmup < 0 || threads < 1 || maxPacket < 64
                    || ring < threads) {
                throw new IllegalArgumentException("usage: DogStatsdLoad --port N [--host H] [--rate LINES_PER_S] "
                        + "[--duration S] [--warmup S] [--threads N] [--max-packet BYTES] [--ring PACKETS] [--seed N] "
                        + "[--out FILE]");
            }
            return new Options(host, port, rate, duration, warmup, threads, maxPacket, ring, seed, out);
        }
    }

    // ---------------------------------------------------------------- the mix

    /** One line of the mix, drawn with the given random source. Returns its type's index in {@link #TYPES}. */
    static int line(SplittableRandom random, StringBuilder out, String checkName) {
        int pick = random.nextInt(100);
        if (pick < 62) {
            int route = random.nextInt(500);
            int status = switch (random.nextInt(10)) {
                case 0 -> 500;
                case 1, 2 -> 404;
                default -> 200;
            };
            out.append("app.requests:1|c|#route:/r").append(route).append(",status:").append(status)
                    .append(",env:bench");
            return 0;
        } else if (pick < 70) {
            out.append("app.cache.hits:1|c|@0.5|#cache:c").append(random.nextInt(49));
            return 0;
        } else if (pick < 80) {
            out.append("app.queue.depth:").append(random.nextInt(1000)).append("|g|#queue:q")
                    .append(random.nextInt(100));
            return 1;
        } else if (pick < 88) {
            out.append("app.latency:").append(random.nextInt(2000)).append('.').append(random.nextInt(10))
                    .append("|ms|#route:/r").append(random.nextInt(200));
            return 2;
        } else if (pick < 94) {
            out.append("app.payload.bytes:").append(64 + random.nextInt(65_536)).append("|d|#route:/r")
                    .append(random.nextInt(100));
            return 3;
        } else if (pick < 96) {
            out.append("app.users.unique:u").append(random.nextInt(5000)).append("|s|#region:reg")
                    .append(random.nextInt(50));
            return 4;
        } else {
            out.append(checkName).append(":1|c");
            return -1;
        }
    }

    /** Packets of whole lines, each at most {@code maxPacket} bytes, the same for the same seed. */
    static List<Packet> buildRing(int count, int maxPacket, long seed, String checkName) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Packet> ring = new ArrayList<>(count);
        StringBuilder packet = new StringBuilder(maxPacket);
        StringBuilder next = new StringBuilder(128);
        int nextType = line(random, next, checkName);
        while (ring.size() < count) {
            packet.setLength(0);
            int lines = 0;
            int check = 0;
            int[] perType = new int[TYPES.length];
            while (packet.length() + (lines == 0 ? 0 : 1) + next.length() <= maxPacket) {
                if (lines > 0) {
                    packet.append('\n');
                }
                packet.append(next);
                lines++;
                if (nextType < 0) {
                    check++;
                    perType[0]++;
                } else {
                    perType[nextType]++;
                }
                next.setLength(0);
                nextType = line(random, next, checkName);
            }
            ring.add(new Packet(packet.toString().getBytes(StandardCharsets.US_ASCII), lines, check, perType));
        }
        return ring;
    }

    // ---------------------------------------------------------------- sending

    /** What one sender thread did in one phase. */
    static final class Tally {
        long lines;
        long packets;
        long bytes;
        long checkLines;
        long errors;
        String firstError;
        final long[] perType = new long[TYPES.length];
        final long[] perSecond;
        long maxBurstLines;

        Tally(int seconds) {
            perSecond = new long[seconds + 1];
        }

        void add(Tally other) {
            lines += other.lines;
            packets += other.packets;
            bytes += other.bytes;
            checkLines += other.checkLines;
            errors += other.errors;
            if (firstError == null) {
                firstError = other.firstError;
            }
            for (int i = 0; i < perType.length; i++) {
                perType[i] += other.perType[i];
            }
            for (int i = 0; i < perSecond.length; i++) {
                perSecond[i] += other.perSecond[i];
            }
            maxBurstLines = Math.max(maxBurstLines, other.maxBurstLines);
        }
    }

    /** Sends packets of {@code ring} (from index {@code first}, every {@code step}) at {@code rate} lines/s. */
    static Tally send(DatagramChannel channel, List<Packet> ring, int first, int step, double rate, long startNanos,
                      int seconds) {
        Tally tally = new Tally(seconds);
        ByteBuffer[] buffers = new ByteBuffer[ring.size()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = ByteBuffer.wrap(ring.get(i).bytes());
        }
        long durationNanos = seconds * 1_000_000_000L;
        double linesPerNano = rate / 1e9;
        int index = first;
        while (true) {
            long elapsed = System.nanoTime() - startNanos;
            if (elapsed >= durationNanos) {
                break;
            }
            if (elapsed < 0) {
                LockSupport.parkNanos(-elapsed);
                continue;
            }
            long due = (long) (elapsed * linesPerNano);
            int second = (int) (elapsed / 1_000_000_000L);
            long burst = 0;
            while (tally.lines < due) {
                Packet packet = ring.get(index);
                ByteBuffer buffer = buffers[index];
                buffer.clear();
                try {
                    channel.write(buffer);
                } catch (IOException e) {
                    // e.g. PortUnreachableException when nothing listens yet: counted, the line counts stay "sent"
                    tally.errors++;
                    if (tally.firstError == null) {
                        tally.firstError = e.toString();
                    }
                }
                tally.lines += packet.lines();
                tally.packets++;
                tally.bytes += packet.bytes().length;
                tally.checkLines += packet.checkLines();
                for (int t = 0; t < TYPES.length; t++) {
                    tally.perType[t] += packet.perType()[t];
                }
                tally.perSecond[second] += packet.lines();
                burst += packet.lines();
                index += step;
                if (index >= buffers.length) {
                    index -= buffers.length;
                }
            }
            tally.maxBurstLines = Math.max(tally.maxBurstLines, burst);
            long wait = 1_000_000L - (System.nanoTime() - startNanos) % 1_000_000L;
            LockSupport.parkNanos(wait);
        }
        return tally;
    }

    /** Runs one phase on {@code threads} threads that start together; returns the merged tally and wall time. */
    static Tally phase(Options options, List<Packet> ring, int seconds, long[] wallNanos) throws Exception {
        int threads = options.threads();
        List<DatagramChannel> channels = new ArrayList<>();
        Tally[] tallies = new Tally[threads];
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        try {
            for (int t = 0; t < threads; t++) {
                DatagramChannel channel = DatagramChannel.open();
                channel.connect(new InetSocketAddress(options.host(), options.port()));
                channels.add(channel);
            }
            long start = System.nanoTime() + 50_000_000L; // all threads begin on the same instant
            double perThread = (double) options.rate() / threads;
            for (int t = 0; t < threads; t++) {
                int first = t;
                DatagramChannel channel = channels.get(t);
                workers[t] = Thread.ofPlatform().name("dogstatsd-load-" + t).start(() -> {
                    try {
                        tallies[first] = send(channel, ring, first, threads, perThread, start, seconds);
                    } catch (Throwable e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                    }
                });
            }
            for (Thread worker : workers) {
                worker.join();
            }
            wallNanos[0] = System.nanoTime() - start;
        } finally {
            for (DatagramChannel channel : channels) {
                channel.close();
            }
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a sender thread failed", failure[0]);
        }
        Tally total = new Tally(seconds);
        for (Tally tally : tallies) {
            total.add(tally);
        }
        return total;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("DogStatsdLoad: " + e.getMessage());
            System.exit(2);
            return;
        }
        List<Packet> ring = buildRing(options.ring(), options.maxPacket(), options.seed(), CHECK);
        long ringLines = ring.stream().mapToLong(Packet::lines).sum();
        long ringBytes = ring.stream().mapToLong(p -> p.bytes().length).sum();
        System.err.printf(Locale.ROOT, "DogStatsdLoad: %d packets prebuilt, %.1f lines and %.0f bytes per packet on "
                        + "average; sending %d lines/s to %s:%d for %d s (warm-up %d s) on %d thread(s)%n",
                ring.size(), (double) ringLines / ring.size(), (double) ringBytes / ring.size(), options.rate(),
                options.host(), options.port(), options.duration(), options.warmup(), options.threads());

        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[] wall = new long[1];
        Tally warm = null;
        long warmWall = 0;
        if (options.warmup() > 0) {
            List<Packet> warmRing = buildRing(options.ring(), options.maxPacket(), options.seed(), WARMUP);
            warm = phase(options, warmRing, options.warmup(), wall);
            warmWall = wall[0];
            System.out.println("warmup done: " + warm.lines + " lines in " + warm.packets + " packets");
            System.out.flush();
        }
        long cpuBefore = os.getProcessCpuTime();
        long startEpochMillis = System.currentTimeMillis() + 50;
        Tally tally = phase(options, ring, options.duration(), wall);
        long endEpochMillis = System.currentTimeMillis();
        long cpuNanos = os.getProcessCpuTime() - cpuBefore;

        List<String> out = new ArrayList<>();
        double seconds = wall[0] / 1e9;
        out.add("rate_target=" + options.rate());
        out.add("threads=" + options.threads());
        out.add("max_packet=" + options.maxPacket());
        out.add("duration_s=" + String.format(Locale.ROOT, "%.3f", seconds));
        out.add("start_epoch_ms=" + startEpochMillis);
        out.add("end_epoch_ms=" + endEpochMillis);
        out.add("lines=" + tally.lines);
        out.add("packets=" + tally.packets);
        out.add("bytes=" + tally.bytes);
        out.add("check_lines=" + tally.checkLines);
        for (int t = 0; t < TYPES.length; t++) {
            out.add("lines_" + TYPES[t] + "=" + tally.perType[t]);
        }
        out.add("lines_per_packet=" + String.format(Locale.ROOT, "%.2f", (double) tally.lines / tally.packets));
        out.add("rate=" + Math.round(tally.lines / seconds));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int s = 0; s < options.duration(); s++) { // the last slot only holds what landed on the final instant
            min = Math.min(min, tally.perSecond[s]);
            max = Math.max(max, tally.perSecond[s]);
        }
        out.add("rate_min_1s=" + min);
        out.add("rate_max_1s=" + max);
        out.add("max_burst_lines=" + tally.maxBurstLines);
        out.add("send_errors=" + tally.errors);
        if (tally.firstError != null) {
            out.add("first_send_error=" + tally.firstError.replace('\n', ' '));
        }
        out.add("cpu_ms=" + cpuNanos / 1_000_000);
        out.add("cpu_percent_of_one_core=" + String.format(Locale.ROOT, "%.1f", 100.0 * cpuNanos / wall[0]));
        if (warm != null) {
            out.add("warmup_s=" + String.format(Locale.ROOT, "%.3f", warmWall / 1e9));
            out.add("warmup_lines=" + warm.lines);
            out.add("warmup_packets=" + warm.packets);
            out.add("warmup_check_lines=" + warm.checkLines);
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
}
