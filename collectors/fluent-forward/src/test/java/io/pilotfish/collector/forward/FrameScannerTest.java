package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pilotfish.collector.forward.ForwardException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Framing as a connection sees it: frames split across reads at every byte, several frames in one read, and input
 * refused as soon as its header shows it is bad, before its body arrives.
 */
class FrameScannerTest {

    /** A connection's buffer in small: bytes arrive in pieces; whole frames come out, copied. */
    private static final class Stream {
        final FrameScanner scanner;
        byte[] buf = new byte[0];
        int start;
        final List<byte[]> frames = new ArrayList<>();

        Stream(long max) {
            scanner = new FrameScanner(max);
        }

        void feed(byte[] data, int from, int to) throws ForwardException {
            buf = Arrays.copyOf(buf, buf.length + (to - from));
            System.arraycopy(data, from, buf, buf.length - (to - from), to - from);
            while (start < buf.length) {
                long n = scanner.scan(buf, start, buf.length - start, true);
                if (n < 0) {
                    return;
                }
                frames.add(Arrays.copyOfRange(buf, start, start + (int) n));
                start += (int) n;
            }
        }
    }

    private static byte[][] threeFrames() {
        return new byte[][] {
            Frames.message("a", 1_700_000_000L, Frames.fireLensRecord("one", "stdout"), Map.of("chunk", "c1")),
            Frames.forward("b", 3, "two-", null),
            Frames.packed("c", Frames.gzip(Frames.entries(2, "three-")), Map.of("compressed", "gzip")),
        };
    }

    @Test
    void framesSplitAtEveryByteBoundaryComeOutWhole() throws Exception {
        byte[][] frames = threeFrames();
        byte[] all = Frames.concat(frames);
        for (int split = 0; split <= all.length; split++) {
            Stream s = new Stream(1 << 20);
            s.feed(all, 0, split);
            s.feed(all, split, all.length);
            assertEquals(3, s.frames.size(), "split at " + split);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(frames[i], s.frames.get(i), "frame " + i + ", split at " + split);
            }
        }
    }

    @Test
    void framesFedOneByteAtATimeComeOutWhole() throws Exception {
        byte[][] frames = threeFrames();
        byte[] all = Frames.concat(frames);
        Stream s = new Stream(1 << 20);
        for (int i = 0; i < all.length; i++) {
            s.feed(all, i, i + 1);
        }
        assertEquals(3, s.frames.size());
        assertArrayEquals(frames[2], s.frames.get(2));
    }

    @Test
    void severalFramesInOneReadAreAllFound() throws Exception {
        byte[][] frames = threeFrames();
        Stream s = new Stream(1 << 20);
        s.feed(Frames.concat(frames[0], frames[1], frames[2], frames[0]), 0,
                Frames.concat(frames[0], frames[1], frames[2], frames[0]).length);
        assertEquals(4, s.frames.size());
    }

    @Test
    void hugeDeclaredLengthsAreRefusedFromTheHeaderAlone() {
        // str32 of 4 GiB - 1, array32 and map32 of 4 G elements: five bytes each, refused before any body.
        for (byte[] head : List.of(new byte[] {(byte) 0x92, (byte) 0xDB, -1, -1, -1, -1},
                new byte[] {(byte) 0x92, (byte) 0xA1, 't', (byte) 0xDD, -1, -1, -1, -1},
                new byte[] {(byte) 0x92, (byte) 0xA1, 't', (byte) 0xDF, -1, -1, -1, -1},
                new byte[] {(byte) 0x92, (byte) 0xA1, 't', (byte) 0xC6, 0x10, 0, 0, 0})) {
            Stream s = new Stream(1 << 20);
            ForwardException e = assertThrows(ForwardException.class, () -> s.feed(head, 0, head.length));
            assertEquals(Reason.DECLARED_TOO_LONG, e.reason(), Arrays.toString(head));
        }
    }

    @Test
    void aFrameThatGrowsPastTheLimitIsRefusedOnceItDoes() throws Exception {
        Stream s = new Stream(1024);
        byte[] head = new MsgpackWriter().array(2).str("t").array(1000).bytes();
        s.feed(head, 0, head.length); // 1,000 values may still fit in 1 KiB
        byte[] entry = Frames.entry(1, Map.of("log", "0123456789"));
        ForwardException e = assertThrows(ForwardException.class, () -> {
            for (int i = 0; i < 1000; i++) {
                s.feed(entry, 0, entry.length);
            }
        });
        assertEquals(Reason.FRAME_TOO_LARGE, e.reason());
        assertEquals(0, s.frames.size());
    }

    @Test
    void garbageIsRefusedAtItsFirstByte() {
        byte[] text = "GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(Reason.GARBAGE, assertThrows(ForwardException.class,
                () -> new Stream(1024).feed(text, 0, text.length)).reason());
        byte[] reserved = {(byte) 0x92, (byte) 0xC1, 0};
        assertEquals(Reason.GARBAGE, assertThrows(ForwardException.class,
                () -> new Stream(1024).feed(reserved, 0, reserved.length)).reason());
    }

    @Test
    void aTruncatedFrameWaitsForItsRestAndHoldsOnlyItsBytes() throws Exception {
        byte[] frame = Frames.forward("b", 3, "x", null);
        Stream s = new Stream(1 << 20);
        s.feed(frame, 0, frame.length - 1);
        assertEquals(0, s.frames.size());
        assertEquals(true, s.scanner.inFrame());
        s.feed(frame, frame.length - 1, frame.length);
        assertEquals(1, s.frames.size());
        assertEquals(false, s.scanner.inFrame());
    }
}
