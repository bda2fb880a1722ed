package io.pilotfish.sink.datadog.traces;

import java.nio.charset.StandardCharsets;

/**
 * The UTF-8 bytes of short strings already encoded: a span repeats the same tag keys, services, names and most tag
 * values as every other span, and the receiver hands them over as the same {@code String} instances, so a repeat
 * costs a look at one slot instead of a new {@code byte[]} (half of what the encoder allocated before). Direct-mapped
 * with a fixed number of slots and a length cap, so its memory is bounded whatever the traces hold
 * ({@link #MAX_BYTES}); a string that takes a slot from another costs only a miss. Not thread-safe: one per thread.
 */
final class StringBytes {

    /** Longer strings (resources, queries, URLs) rarely repeat exactly. */
    static final int MAX_CHARS = 48;
    private static final int SLOTS = 2048;
    /**
     * The most the cache holds, with headers: per slot a string (24 bytes, plus its array of at most
     * {@value #MAX_CHARS} × 2 + 16 bytes, held alive by the slot) and its UTF-8 (at most 3 × {@value #MAX_CHARS} + 16),
     * plus the two tables.
     */
    static final long MAX_BYTES = SLOTS * (24L + 16 + 2 * MAX_CHARS + 16 + 3 * MAX_CHARS + 2 * 4) + 2 * 16;

    private final String[] keys = new String[SLOTS];
    private final byte[][] bytes = new byte[SLOTS][];

    /** The string's UTF-8, with a lone surrogate as {@code ?}; the caller must not change the array. */
    byte[] utf8(String value) {
        if (value.length() > MAX_CHARS) {
            return value.getBytes(StandardCharsets.UTF_8);
        }
        int h = value.hashCode();
        int slot = (h ^ (h >>> 11)) & (SLOTS - 1);
        String key = keys[slot];
        if (key == value || (key != null && key.equals(value))) {
            return bytes[slot];
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        keys[slot] = value;
        bytes[slot] = utf8;
        return utf8;
    }
}
