package io.pilotfish.core.pipeline;

import java.util.Locale;

/** Why data was dropped; each reason is a separate {@code pilotfish.sink.dropped} series. */
public enum DropReason {
    /** The queue budget was exceeded (destination slower than the data, or down): the oldest data went first. */
    QUEUE_FULL,
    /** The destination refused the data for good (4xx other than 408/413/429). */
    REJECTED,
    /** A single item is larger than the destination accepts. */
    TOO_LARGE,
    /** Data waited longer than {@code retry.max-age}. */
    EXPIRED,
    /** The shutdown deadline passed before the data could be sent. */
    SHUTDOWN,
    /** No sink takes this kind of signal. */
    NO_SINK,
    /**
     * A sink's disk buffer was full ({@code disk-buffer.max-bytes}, or the file system had no room): its oldest
     * segment was deleted, or a record could not be written.
     */
    DISK_FULL;

    public String tag() {
        return "reason:" + name().toLowerCase(Locale.ROOT);
    }
}
