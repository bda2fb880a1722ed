package io.pilotfish.collector.apm.stats;

/**
 * The heap the stats of one component may take, estimated as groups and sketch bins are made and given back when
 * they are flushed. Estimates are coarse upper bounds on a 64-bit JVM with compressed pointers. Not thread-safe: its
 * owner holds its lock while charging.
 */
final class HeapBudget {

    /** A group's objects: its key record, counters, map entry and table slot, without its strings. */
    static final int GROUP = 256;
    /** A string kept by a group: header and array header, plus its characters. */
    static final int STRING = 48;
    /** A byte array's header. */
    static final int BYTES = 16;
    /** A list kept by a group, per element. */
    static final int REFERENCE = 8;

    private final long limit;
    private long used;

    HeapBudget(long limit) {
        this.limit = limit;
    }

    static HeapBudget unlimited() {
        return new HeapBudget(Long.MAX_VALUE);
    }

    /** Takes {@code bytes} if they fit under the limit. */
    boolean tryCharge(long bytes) {
        if (bytes > limit - used) {
            return false;
        }
        used += bytes;
        return true;
    }

    /** Takes {@code bytes} whatever the limit: for what was admitted already and cannot be refused in pieces. */
    void charge(long bytes) {
        used += bytes;
    }

    void release(long bytes) {
        used = Math.max(0, used - bytes);
    }

    long used() {
        return used;
    }

    static long stringBytes(String s) {
        return STRING + s.length();
    }
}
