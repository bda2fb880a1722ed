package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.spi.signal.LogRecord;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of what a forward client's bytes go through: the frame scanner, then the decoder of every
 * whole frame it finds (all four modes, gzip included). With a plain {@code mvn test} the seeds in
 * {@code ForwardFuzzTestInputs/frames} (and any crash input kept there) run as regression tests; with
 * {@code JAZZER_FUZZ=1} Jazzer mutates them ({@code scripts/fuzz.sh}).
 *
 * <p>The contract on every input: scanning and decoding return or throw {@link ForwardException} with a reason and a
 * message (never another exception, an OutOfMemoryError or a StackOverflowError); a frame is never longer than the
 * bytes; every message is valid UTF-8 and no longer than the line limit.
 */
class ForwardFuzzTest {

    private static final int MAX_FRAME = 1 << 20;
    private static final int MAX_LINE = 4096;
    /** Small, so that a compressed bomb hits the limit instead of the fuzzer's heap. */
    private static final long MAX_DECOMPRESSED = 8L << 20;

    private final ForwardDecoder decoder = new ForwardDecoder(MAX_FRAME, MAX_DECOMPRESSED, MAX_LINE, () -> 1_000L);

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void frames(byte[] bytes) {
        FrameScanner scanner = new FrameScanner(MAX_FRAME);
        int at = 0;
        try {
            while (at < bytes.length) {
                long length = scanner.scan(bytes, at, bytes.length - at, true);
                if (length < 0) {
                    return; // the rest is the start of a frame still to come
                }
                assertTrue(length > 0 && at + length <= bytes.length, "a frame within the bytes: " + length);
                try {
                    decoder.decode(bytes, at, (int) length, ForwardFuzzTest::check);
                } catch (ForwardException e) {
                    checkError(e);
                }
                at += (int) length;
            }
        } catch (ForwardException e) {
            checkError(e);
        }
    }

    private static void check(LogRecord record) {
        byte[] message = record.message();
        assertTrue(message.length <= MAX_LINE, "cut at the line limit: " + message.length);
        assertArrayEquals(message, new String(message, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8),
                "valid UTF-8");
    }

    private static void checkError(ForwardException e) {
        assertNotNull(e.reason(), "a reason to count");
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank() && e.getMessage().length() < 2_000,
                "a short message: " + e.getMessage());
    }
}
