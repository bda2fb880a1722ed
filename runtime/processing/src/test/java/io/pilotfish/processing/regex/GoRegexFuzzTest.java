package io.pilotfish.processing.regex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of the Go-regex translation the filters run users' patterns through: the first
 * line of the input is a pattern, the rest a text. With a plain {@code mvn test} the seeds in
 * {@code GoRegexFuzzTestInputs/patterns} run as regression tests; with {@code JAZZER_FUZZ=1} Jazzer mutates them.
 *
 * <p>The contract: a pattern compiles or is refused with {@link IllegalArgumentException} (which config reports with
 * the variable's name); a compiled one finds and replaces on any text without another exception than
 * {@link GoRegex.Abandoned} (a match over its work budget), never hangs, and answers as it would without its
 * first-character prefilter.
 */
class GoRegexFuzzTest {

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void patterns(byte[] input) {
        String all = new String(input, StandardCharsets.UTF_8);
        int newline = all.indexOf('\n');
        String pattern = newline < 0 ? all : all.substring(0, newline);
        String text = newline < 0 ? all : all.substring(newline + 1);
        GoRegex regex;
        try {
            regex = GoRegex.compile(pattern);
        } catch (IllegalArgumentException refused) {
            return;
        }
        GoRegex plain = GoRegex.compile(pattern, GoRegex.MAX_MATCHED_CHARS, false);
        try {
            boolean found = regex.find(text);
            String replaced = regex.replaceAll(text, regex.replacement("<$1${name}$$>"));
            assertNotNull(replaced);
            // the first-character prefilter only skips work: the same answers as the engine at every position
            assertEquals(plain.find(text), found);
            assertEquals(plain.replaceAll(text, plain.replacement("<$1${name}$$>")), replaced);
        } catch (GoRegex.Abandoned overBudget) {
            // counted by the callers; the value is then treated as not matching (filters) or scrubbed (replacer)
        }
    }
}
