package io.pilotfish.collector.apm.normalize;

/**
 * Span id to position in a chunk, without boxing: open addressing over two arrays sized for the chunk. A later span
 * with the same id replaces the earlier one, as in the Agent's lookups.
 */
final class SpanIdIndex {

    private static final int ABSENT = -1;

    private final long[] keys;
    private final int[] positions;
    private final int mask;
    private int zeroPosition = ABSENT;

    /** @param spans how many spans will be added */
    SpanIdIndex(int spans) {
        int capacity = Integer.highestOneBit(Math.max(4, spans) * 2 - 1) << 1;
        keys = new long[capacity];
        positions = new int[capacity];
        mask = capacity - 1;
    }

    /** Records {@code spanId} at {@code position}; returns whether the id was there already. */
    boolean put(long spanId, int position) {
        if (spanId == 0) {
            boolean seen = zeroPosition != ABSENT;
            zeroPosition = position;
            return seen;
        }
        int slot = slot(spanId);
        while (keys[slot] != 0) {
            if (keys[slot] == spanId) {
                positions[slot] = position;
                return true;
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = spanId;
        positions[slot] = position;
        return false;
    }

    /** The position of the last span with {@code spanId}, or -1. */
    int positionOf(long spanId) {
        if (spanId == 0) {
            return zeroPosition;
        }
        int slot = slot(spanId);
        while (keys[slot] != 0) {
            if (keys[slot] == spanId) {
                return positions[slot];
            }
            slot = (slot + 1) & mask;
        }
        return ABSENT;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
