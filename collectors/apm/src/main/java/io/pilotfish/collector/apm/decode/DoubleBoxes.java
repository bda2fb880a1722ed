package io.pilotfish.collector.apm.decode;

/**
 * Boxes for span metrics seen before: most are flags (0 or 1) or repeat in every span of a process
 * ({@code process_id}, {@code thread.id}, {@code peer.port}), so the same value gets the same {@code Double} instead of a
 * new one per span. Direct-mapped on the value's bits, fixed size (about 28 KiB with the boxes); a value that takes a
 * slot from another costs only a new box. Not thread-safe: one per decoder.
 */
final class DoubleBoxes {

    private static final int SLOTS = 1024;
    private final long[] bits = new long[SLOTS];
    private final Double[] boxes = new Double[SLOTS];

    Double box(double value) {
        long raw = Double.doubleToRawLongBits(value);
        long h = raw * 0x9E3779B97F4A7C15L;
        int slot = (int) (h >>> 54);
        Double box = boxes[slot];
        if (box != null && bits[slot] == raw) {
            return box;
        }
        box = value;
        bits[slot] = raw;
        boxes[slot] = box;
        return box;
    }
}
