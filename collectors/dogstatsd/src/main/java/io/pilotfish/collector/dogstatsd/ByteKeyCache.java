package io.pilotfish.collector.dogstatsd;

import java.util.Arrays;

/**
 * A bounded map from byte ranges to values, looked up without copying the bytes: clients repeat the same metric
 * names and tag lists, so a repeated one costs a hash and a compare instead of a new {@code String}. When full it
 * starts afresh, so a client with unbounded names costs allocation, never memory: full means {@code maxEntries}
 * entries or {@code maxBytes} of keys and values, whichever comes first (names and tag lists may be as long as a
 * packet). An entry over a sixteenth of the byte budget is not kept at all. Open addressing, linear probing.
 * Not thread-safe: one per parser.
 */
final class ByteKeyCache<V> {

    /** A byte array's header and the slot's share of the tables. */
    private static final long KEY_OVERHEAD_BYTES = 32;

    private final int maxEntries;
    private final long maxBytes;
    private long bytes;
    private final int mask;
    private final byte[][] keys;
    private final int[] hashes;
    private final Object[] values;
    private int size;

    /**
     * @param maxEntries entries kept before the cache is cleared; the table is twice that, rounded up to a power of 2
     * @param maxBytes   estimated heap bytes of keys and values kept before the cache is cleared
     */
    ByteKeyCache(int maxEntries, long maxBytes) {
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxEntries and maxBytes must be at least 1");
        }
        this.maxBytes = maxBytes;
        int slots = Integer.highestOneBit(maxEntries * 2 - 1) << 1;
        this.maxEntries = maxEntries;
        this.mask = slots - 1;
        this.keys = new byte[slots][];
        this.hashes = new int[slots];
        this.values = new Object[slots];
    }

    /** The value stored for the bytes {@code b[from, to)}, or null. */
    @SuppressWarnings("unchecked")
    V get(byte[] b, int from, int to) {
        int hash = hash(b, from, to);
        for (int slot = hash & mask; keys[slot] != null; slot = (slot + 1) & mask) {
            if (hashes[slot] == hash && Arrays.equals(keys[slot], 0, keys[slot].length, b, from, to)) {
                return (V) values[slot];
            }
        }
        return null;
    }

    /**
     * Stores {@code value} under a copy of {@code b[from, to)}, replacing any value stored for the same bytes.
     *
     * @param valueBytes the value's estimated heap size
     */
    void put(byte[] b, int from, int to, V value, long valueBytes) {
        long cost = KEY_OVERHEAD_BYTES + (to - from) + valueBytes;
        if (cost > maxBytes / 16) {
            return; // a huge name or tag list is not worth a sixteenth of the cache
        }
        int hash = hash(b, from, to);
        int slot = hash & mask;
        for (; keys[slot] != null; slot = (slot + 1) & mask) {
            if (hashes[slot] == hash && Arrays.equals(keys[slot], 0, keys[slot].length, b, from, to)) {
                values[slot] = value;
                return;
            }
        }
        if (size >= maxEntries || bytes + cost > maxBytes) {
            clear();
            slot = hash & mask;
        }
        bytes += cost;
        keys[slot] = Arrays.copyOfRange(b, from, to);
        hashes[slot] = hash;
        values[slot] = value;
        size++;
    }

    int size() {
        return size;
    }

    /** Estimated heap bytes of the keys and values kept. */
    long bytes() {
        return bytes;
    }

    /** The most this cache holds, tables included: for the collector's memory budget. */
    long budgetBytes() {
        return maxBytes + (long) keys.length * 16;
    }

    private void clear() {
        Arrays.fill(keys, null);
        Arrays.fill(values, null);
        size = 0;
        bytes = 0;
    }

    private static int hash(byte[] b, int from, int to) {
        int h = 0x811c9dc5;
        for (int i = from; i < to; i++) {
            h = (h ^ b[i]) * 0x01000193; // FNV-1a
        }
        return h ^ (h >>> 16);
    }
}
