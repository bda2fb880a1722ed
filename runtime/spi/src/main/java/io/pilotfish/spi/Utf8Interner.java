package io.pilotfish.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Short strings seen before, found by their bytes: tracers repeat the same services, names, tag keys and most tag
 * values in every span, log shippers the same field names, container ids and stream names in every record, so a
 * repeat costs a hash and a compare instead of a new {@code String}, and downstream maps hash each distinct string
 * once (a {@code String} keeps its hash). Strings are decoded with {@link Utf8#decode} (invalid UTF-8 repaired). Direct-mapped: a new string takes its slot from
 * whatever was there, so memory is fixed (about 160 KiB) whatever the input, and a hostile client costs only misses.
 * The keys' bytes live in one array, slot after slot, so that a lookup touches one place in memory, not a table and
 * then an array. Not thread-safe: one per decoder.
 */
public final class Utf8Interner {

    /** Longer strings (URLs, queries, ids) rarely repeat in spans: not worth a slot. */
    public static final int MAX_LENGTH = 64;
    private static final int SLOTS = 2048;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    /**
     * A key of up to 7 bytes is its slot's {@code words} entry: the bytes and the length in one long, compared in one
     * load. A longer key's first 8 bytes are its {@code words} entry and the whole key is in {@code keyBytes}, slot
     * after slot; its length tells the two kinds apart.
     */
    private final long[] words = new long[SLOTS];
    private final byte[] lengths = new byte[SLOTS];
    private final int maxLength;
    private final byte[] keyBytes;
    private final String[] values = new String[SLOTS];
    private long misses;

    /** Strings of up to {@value #MAX_LENGTH} bytes (about 160 KiB). */
    public Utf8Interner() {
        this(MAX_LENGTH);
    }

    /**
     * Strings of up to {@code maxLength} bytes (8 to 255), for sources whose repeated values are longer (ARNs in
     * log records); the table takes {@code 2048 * maxLength} bytes.
     */
    public Utf8Interner(int maxLength) {
        if (maxLength < 8 || maxLength > 255) {
            throw new IllegalArgumentException("maxLength must be 8 to 255, not " + maxLength);
        }
        this.maxLength = maxLength;
        this.keyBytes = new byte[SLOTS * maxLength];
    }

    /** The longest string kept. */
    public int maxLength() {
        return maxLength;
    }

    /**
     * The string for {@code b[off, off + len)} (1 to {@link #maxLength} bytes), decoded and kept if it was not
     * there (a miss, counted in {@link #misses}).
     */
    public String intern(byte[] b, int off, int len) {
        long word;
        int slot;
        if (len < 8) {
            word = len;
            for (int i = off, end = off + len; i < end; i++) {
                word = word << 8 | (b[i] & 0xFF);
            }
            slot = mix(word) & (SLOTS - 1);
            String value = values[slot];
            if (value != null && words[slot] == word && (lengths[slot] & 0xFF) == len) {
                return value;
            }
        } else {
            word = (long) LONGS.get(b, off);
            slot = hash(b, off, len) & (SLOTS - 1);
            String value = values[slot];
            if (value != null && words[slot] == word && (lengths[slot] & 0xFF) == len
                    && sameTail(b, off, slot, len)) {
                return value;
            }
        }
        misses++;
        String value = Utf8.decode(b, off, len);
        words[slot] = word;
        lengths[slot] = (byte) len;
        if (len >= 8) {
            System.arraycopy(b, off, keyBytes, slot * maxLength, len);
        }
        values[slot] = value;
        return value;
    }

    /** Lookups that decoded a new string: a caller that budgets allocations charges those. */
    public long misses() {
        return misses;
    }

    /** Whether the slot's key, known to share its first 8 bytes and length, holds the rest of {@code b}'s. */
    private boolean sameTail(byte[] b, int off, int slot, int len) {
        int base = slot * maxLength;
        int i = 8;
        for (; i < len - 8; i += 8) {
            if ((long) LONGS.get(keyBytes, base + i) != (long) LONGS.get(b, off + i)) {
                return false;
            }
        }
        // The last 8 bytes, overlapping what was compared (the key is whole in keyBytes, its first word included).
        return (long) LONGS.get(keyBytes, base + len - 8) == (long) LONGS.get(b, off + len - 8);
    }

    private static int mix(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    /**
     * A hash of the length and of three 8-byte words (first, middle, last): constant time whatever the length, which
     * a byte-by-byte hash is not, and the compare that follows makes any collision a mere miss. Strings that differ
     * only outside those words (rare among tag keys and values) share a slot and take it from each other.
     */
    static int hash(byte[] b, int off, int len) {
        long h;
        if (len >= 8) {
            long first = (long) LONGS.get(b, off);
            long middle = (long) LONGS.get(b, off + (len - 8) / 2);
            long last = (long) LONGS.get(b, off + len - 8);
            h = first * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(middle * 0xC2B2AE3D27D4EB4FL, 21)
                    ^ Long.rotateLeft(last * 0x165667B19E3779F9L, 42) ^ len;
        } else {
            long v = len;
            for (int i = off, end = off + len; i < end; i++) {
                v = v << 8 | (b[i] & 0xFF);
            }
            h = v * 0x9E3779B97F4A7C15L;
        }
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }
}
