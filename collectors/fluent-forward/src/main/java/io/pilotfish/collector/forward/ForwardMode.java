package io.pilotfish.collector.forward;

/** The forward protocol's carrier modes, told apart by the second element of a frame. */
public enum ForwardMode {
    /** {@code [tag, time, record, option?]}: one event. */
    MESSAGE("message"),
    /** {@code [tag, [[time, record], ...], option?]}. */
    FORWARD("forward"),
    /** {@code [tag, bin of concatenated [time, record] entries, option?]}. */
    PACKED_FORWARD("packed_forward"),
    /** PackedForward with {@code compressed: "gzip"}: the entries gzipped. */
    COMPRESSED_PACKED_FORWARD("compressed_packed_forward");

    private final String tag;

    ForwardMode(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
