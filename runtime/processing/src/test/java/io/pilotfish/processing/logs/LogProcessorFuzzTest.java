package io.pilotfish.processing.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.spi.Utf8;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of the log chain: the input, split at line feeds, is fed as lines (and pieces of
 * cut lines) of three streams (stack traces, auto-detection, a {@code multi_line} pattern) through rules of each type
 * and JSON lifting,
 * with the clock moving on. With a plain {@code mvn test} the seeds in {@code LogProcessorFuzzTestInputs/lines} run
 * as regression tests; with {@code JAZZER_FUZZ=1} Jazzer mutates them ({@code scripts/fuzz.sh}).
 *
 * <p>The contract: no exception whatever the (repaired) bytes, pending bytes within the budget after every line, nothing
 * pending after {@code flushAll}, no message longer than its limit plus the two markers (and what the masks add).
 */
class LogProcessorFuzzTest {

    private static final int MAX_BYTES = 512;
    private static final long BUDGET = 2048;
    private static final LogRules GLOBAL = LogRules.compile(List.of(
            new ProcessingRule(ProcessingRule.Type.EXCLUDE_AT_MATCH, "health", "GET /health", null),
            new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "cards", LogRulesTest.CARDS, "[masked_card]")));
    private static final LogRules SOURCE = LogRules.compile(List.of(
            new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "kv", "(?P<k>\\w+)=(\\w+)", "${k}=[x]"),
            new ProcessingRule(ProcessingRule.Type.INCLUDE_AT_MATCH, "some", "(?i)[a-z{]|^$", null),
            new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "slow", "(a|b)*c", "z")));
    private static final List<MultiLineSettings> SETTINGS = List.of(
            MultiLineSettings.defaults().withMaxBytes(MAX_BYTES),
            new MultiLineSettings(null, true, true, Duration.ofMillis(50), MAX_BYTES),
            MultiLineSettings.from(ProcessingRule.parseJson(
                    "[{\"type\":\"multi_line\",\"name\":\"d\",\"pattern\":\"\\\\d\"}]", "fuzz"), true, false)
                    .withMaxBytes(MAX_BYTES));

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void lines(byte[] input) {
        AtomicLong now = new AtomicLong();
        AtomicLong longest = new AtomicLong();
        LogProcessor processor = new LogProcessor(GLOBAL, BUDGET, new Harness.Telemetry(), r -> {
            longest.accumulateAndGet(r.message().length, Math::max);
            r.attributes().size();
        }, now::get, 2);
        int start = 0;
        int n = 0;
        for (int i = 0; i <= input.length; i++) {
            if (i == input.length || input[i] == '\n') {
                // collectors hand in repaired UTF-8 (the invalid-byte case is LogProcessorTest's)
                int invalid = Utf8.invalidBytes(input, start, i);
                byte[] line = invalid == 0 ? Arrays.copyOfRange(input, start, i)
                        : Utf8.repair(input, start, i, invalid);
                start = i + 1;
                LogRecord record = new LogRecord(line, n, "info", "", "", "", TagSet.EMPTY, null);
                LogRules rules = n % 2 == 0 ? SOURCE : LogRules.NONE;
                // The second byte makes some lines pieces of a cut line (of two ids), some of them its last.
                int kind = line.length > 1 ? line[1] & 3 : 0;
                if (kind >= 2) {
                    processor.acceptPiece("s" + (n % 3), record, "p" + (line[0] & 1), kind == 3, rules,
                            SETTINGS.get(n % 3));
                } else {
                    processor.accept("s" + (n % 3), record, rules, SETTINGS.get(n % 3));
                }
                n++;
                assertTrue(processor.pendingBytes() <= BUDGET, "pending " + processor.pendingBytes());
                assertTrue(processor.streamCount() <= 2);
                now.addAndGet(line.length > 0 ? (line[0] & 0xFF) * 1_000_000L : 0);
                processor.flushIdle(now.get());
            }
        }
        processor.flushAll();
        assertEquals(0, processor.pendingBytes());
        // a mask may lengthen a message ("k=v" -> "k=[x]"), by two thirds at most here
        assertTrue(longest.get() <= (MAX_BYTES + 2L * LogProcessor.TRUNCATED.length) * 5 / 3, "longest " + longest.get());
    }
}
