package io.pilotfish.processing.logs;

import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/** A processor with a hand-driven clock, the records it sends and its counters. */
final class Harness {

    final List<LogRecord> out = new ArrayList<>();
    final Telemetry telemetry = new Telemetry();
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final LogProcessor processor;

    Harness() {
        this(LogRules.NONE, 4L << 20, LogProcessor.MAX_STREAMS);
    }

    Harness(LogRules global, long maxPending, int maxStreams) {
        processor = new LogProcessor(global, maxPending, telemetry, out::add, now::get, maxStreams);
    }

    static LogRecord line(String text) {
        return LogRecord.of(text, 1_700_000_000_000L, "info", "", "", TagSet.EMPTY);
    }

    void feed(String stream, MultiLineSettings settings, String... lines) {
        for (String l : lines) {
            processor.accept(stream, line(l), LogRules.NONE, settings);
        }
    }

    /** The messages sent so far as text, with the Agent's escaped line feed shown as a real one. */
    List<String> texts() {
        return out.stream().map(r -> r.messageText().replace("\\n", "\n")).toList();
    }

    static List<String> resourceLines(String name) {
        try (InputStream in = Harness.class.getResourceAsStream("traces/" + name)) {
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>(Arrays.asList(all.split("\n", -1)));
            if (lines.get(lines.size() - 1).isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final class Telemetry implements SelfTelemetry {
        final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

        @Override
        public Counter counter(String name, String... tags) {
            AtomicLong value = counts.computeIfAbsent(key(name, tags), k -> new AtomicLong());
            return new Counter() {
                @Override
                public void add(long amount) {
                    value.addAndGet(amount);
                }

                @Override
                public long total() {
                    return value.get();
                }
            };
        }

        @Override
        public void gauge(String name, DoubleSupplier value, String... tags) {
        }

        long count(String name, String... tags) {
            AtomicLong v = counts.get(key(name, tags));
            return v == null ? 0 : v.get();
        }

        private static String key(String name, String... tags) {
            return name + Arrays.toString(tags);
        }
    }
}
