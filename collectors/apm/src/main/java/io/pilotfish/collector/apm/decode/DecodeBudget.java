package io.pilotfish.collector.apm.decode;

/**
 * The heap one payload's decoded form may take, estimated as objects are made: a payload of tiny encoded values (a
 * one-byte empty map is a whole span) would otherwise turn 25 MiB of body into gigabytes of objects. The estimates
 * are coarse upper bounds of the object headers, fields and table slots on a 64-bit JVM with compressed pointers.
 */
final class DecodeBudget {

    /** A span: the record, its slot in the trace's list. */
    static final int SPAN = 112;
    /** A map entry: the node, its table slot; a boxed double for metrics. */
    static final int MAP_ENTRY = 56;
    /** A new string: header, array header, plus its bytes. */
    static final int STRING = 48;
    /** A byte array's header. */
    static final int BYTES = 16;
    /** A trace, chunk, link, event or attribute value: the object and its list or map. */
    static final int OBJECT = 64;
    /** A reference in a list or table. */
    static final int REFERENCE = 4;

    private final long limit;
    private long used;

    DecodeBudget(long limit) {
        this.limit = limit;
    }

    static DecodeBudget unlimited() {
        return new DecodeBudget(Long.MAX_VALUE);
    }

    void charge(long bytes) throws TraceDecodeException {
        used += bytes;
        if (used > limit || used < 0) {
            throw new TraceDecodeException(TraceDecodeException.Reason.TOO_LARGE,
                    "decoded payload would take over " + limit + " bytes of heap");
        }
    }

    long used() {
        return used;
    }
}
