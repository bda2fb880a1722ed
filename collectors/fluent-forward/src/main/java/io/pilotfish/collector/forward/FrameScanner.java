package io.pilotfish.collector.forward;

import io.pilotfish.collector.forward.ForwardException.Reason;

/**
 * Finds where a msgpack value ends in bytes that arrive a piece at a time, without decoding it and without
 * rescanning: its state is where it stopped and how many values it still has to step over, so every byte is looked
 * at once however the value is split. A value's header and fixed-size body are taken whole or not at all, so the
 * scan resumes at a value boundary. Declared lengths are checked against {@code maxBytes} as soon as the header is
 * read, before any of the body arrives. Not thread-safe: one per connection.
 */
final class FrameScanner {

    private final long maxBytes;
    private boolean topIsArray;
    /** Offset from the frame's start where the scan resumes. */
    private long scanned;
    /** Values still to step over; 0 before a frame starts. */
    private long pending;
    /** The frame needs at least this many bytes before a scan can go further. */
    private long needed;

    FrameScanner(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Forgets the frame scanned so far; the next scan starts a new frame. */
    void reset() {
        scanned = 0;
        pending = 0;
        needed = 0;
    }

    /** Whether a frame has begun but not ended. */
    boolean inFrame() {
        return pending > 0;
    }

    /**
     * Scans on from where the last call stopped. {@code buf[from, from + length)} holds the frame's bytes from its
     * start (the same frame as in the last call, with more bytes). Returns the frame's length once it is whole, or -1
     * while more bytes are needed.
     *
     * @param requireArray whether the top-level value must be an array (a forward protocol frame)
     */
    long scan(byte[] buf, int from, int length, boolean requireArray) throws ForwardException {
        if (length < needed) {
            return -1;
        }
        if (scanned == 0 && pending == 0) {
            if (length == 0) {
                return -1;
            }
            int lead = buf[from] & 0xFF;
            topIsArray = (lead & 0xF0) == 0x90 || lead == 0xDC || lead == 0xDD;
            if (requireArray && !topIsArray) {
                throw new ForwardException(Reason.GARBAGE, "a forward frame must be a msgpack array; it starts with "
                        + String.format("0x%02x", lead));
            }
            pending = 1;
        }
        long pos = scanned;
        while (pending > 0) {
            if (pos >= length) {
                return suspend(pos, pos + 1);
            }
            int at = from + (int) pos;
            int lead = buf[at] & 0xFF;
            long header;
            long body = 0;
            long children = 0;
            if (lead <= 0x7F || lead >= 0xE0 || lead == 0xC0 || lead == 0xC2 || lead == 0xC3) {
                header = 1;
            } else if (lead <= 0x8F) {
                header = 1;
                children = 2L * (lead & 0x0F);
            } else if (lead <= 0x9F) {
                header = 1;
                children = lead & 0x0F;
            } else if (lead <= 0xBF) {
                header = 1;
                body = lead & 0x1F;
            } else {
                int lengthBytes = switch (lead) {
                    case 0xC4, 0xD9, 0xC7 -> 1;
                    case 0xC5, 0xDA, 0xC8, 0xDC, 0xDE -> 2;
                    case 0xC6, 0xDB, 0xC9, 0xDD, 0xDF -> 4;
                    default -> 0;
                };
                header = 1 + lengthBytes;
                if (pos + header > length) {
                    return suspend(pos, pos + header);
                }
                long declared = 0;
                for (int i = 1; i <= lengthBytes; i++) {
                    declared = declared << 8 | (buf[at + i] & 0xFF);
                }
                switch (lead) {
                    case 0xC1 -> throw new ForwardException(Reason.GARBAGE, "the reserved byte 0xc1 at byte " + pos);
                    case 0xC4, 0xC5, 0xC6, 0xD9, 0xDA, 0xDB -> body = declared;
                    case 0xC7, 0xC8, 0xC9 -> body = declared + 1; // the type byte
                    case 0xCA, 0xCE, 0xD2 -> body = 4;
                    case 0xCB, 0xCF, 0xD3 -> body = 8;
                    case 0xCC, 0xD0 -> body = 1;
                    case 0xCD, 0xD1 -> body = 2;
                    case 0xD4 -> body = 2;
                    case 0xD5 -> body = 3;
                    case 0xD6 -> body = 5;
                    case 0xD7 -> body = 9;
                    case 0xD8 -> body = 17;
                    case 0xDC, 0xDD -> children = declared;
                    case 0xDE, 0xDF -> children = 2 * declared;
                    default -> throw new ForwardException(Reason.GARBAGE, "unknown byte " + lead + " at " + pos);
                }
                if (body > maxBytes || children > maxBytes) {
                    throw new ForwardException(Reason.DECLARED_TOO_LONG, "a value at byte " + pos + " declares "
                            + declared + (children > 0 ? " elements" : " bytes") + "; a frame may have at most "
                            + maxBytes + " bytes");
                }
            }
            // Every value still to step over takes at least a byte: a frame that cannot fit is refused now.
            if (pos + header + body + pending - 1 + children > maxBytes) {
                throw new ForwardException(Reason.FRAME_TOO_LARGE, "a frame of more than " + maxBytes + " bytes ("
                        + "at byte " + pos + ", " + (pending - 1 + children) + " more values are declared)");
            }
            if (pos + header + body > length) {
                return suspend(pos, pos + header + body);
            }
            pos += header + body;
            pending += children - 1;
        }
        long frame = pos;
        reset();
        return frame;
    }

    private long suspend(long pos, long need) throws ForwardException {
        if (need > maxBytes) {
            throw new ForwardException(Reason.FRAME_TOO_LARGE, "a frame of more than " + maxBytes + " bytes");
        }
        scanned = pos;
        needed = need;
        return -1;
    }
}
