package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of the DogStatsD grammar (Jazzer). With a plain {@code mvn test} the seeds in
 * {@code DogStatsdParserFuzzTestInputs/packets} (and any crash input kept there) run as regression tests; with
 * {@code JAZZER_FUZZ=1} Jazzer mutates them for the test's time box ({@code scripts/fuzz.sh}).
 *
 * <p>The contract checked on every input: the parser never throws, answers each non-empty line exactly once (a
 * metric, an event, a service check or an error), and what it hands on stays within its limits.
 */
class DogStatsdParserFuzzTest {

    private static final DogStatsdParser.Limits LIMITS = new DogStatsdParser.Limits(200, 100, 200);
    /**
     * The excerpt (120 characters of the line, each escaped to at most 8: {@code \u10ffff}, quoted, with its
     * length) plus the longest reason, which quotes at most 40 characters of a field, escaped the same way.
     */
    private static final int MAX_ERROR_MESSAGE = 120 * 8 + 40 * 8 + 200;

    // One parser for the whole run, as a listener thread keeps one: its caches see every input.
    private final DogStatsdParser parser = new DogStatsdParser(LIMITS, () -> 1_700_000_000L);

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void packets(byte[] packet) {
        Checked handler = new Checked(packet.length);
        parser.parse(packet, 0, packet.length, handler);
        assertEquals(nonEmptyLines(packet), handler.answers, "every non-empty line is answered exactly once");
    }

    /** Lines as the parser splits them: on LF, one trailing CR dropped. */
    private static int nonEmptyLines(byte[] packet) {
        int lines = 0;
        int start = 0;
        while (start < packet.length) {
            int end = start;
            while (end < packet.length && packet[end] != '\n') {
                end++;
            }
            int stop = end > start && packet[end - 1] == '\r' ? end - 1 : end;
            if (stop > start) {
                lines++;
            }
            start = end + 1;
        }
        return lines;
    }

    private static final class Checked implements DogStatsdParser.Handler {
        private final int packetLength;
        int answers;

        Checked(int packetLength) {
            this.packetLength = packetLength;
        }

        @Override
        public void metric(MetricSample sample) {
            answers++;
            assertTrue(!sample.name().isEmpty(), "empty metric name");
            assertTrue(sample.name().getBytes(StandardCharsets.UTF_8).length <= LIMITS.maxNameLength(),
                    "name over the limit: " + sample.name().length());
            assertTrue(sample.type() == StatsdType.SET || sample.valueCount() > 0, "a metric without a value");
            for (int i = 0; i < sample.valueCount(); i++) {
                assertTrue(Double.isFinite(sample.value(i)), "non-finite value " + sample.value(i));
            }
            assertTrue(Double.isFinite(sample.sampleRate()), "non-finite rate " + sample.sampleRate());
            assertTrue(sample.timestamp() >= 0, "negative timestamp");
            checkTags(sample.tags());
        }

        @Override
        public void event(Event event, Origin origin) {
            answers++;
            assertTrue(!event.title().isEmpty(), "an event without a title");
            assertTrue(event.title().length() + event.text().length() <= packetLength, "event larger than its packet");
            assertTrue(event.timestamp() > 0, "event without a timestamp");
            checkTags(event.tags());
        }

        @Override
        public void serviceCheck(ServiceCheck check, Origin origin) {
            answers++;
            assertTrue(!check.name().isEmpty(), "a service check without a name");
            assertTrue(check.timestamp() > 0, "service check without a timestamp");
            checkTags(check.tags());
        }

        @Override
        public void error(ParseError reason, String message) {
            answers++;
            assertTrue(reason != null, "an error without a reason");
            assertTrue(message.length() <= MAX_ERROR_MESSAGE, "error message of " + message.length() + " chars");
            // It is logged: a control byte from the packet could forge or wipe log lines.
            assertTrue(message.chars().noneMatch(Character::isISOControl), "a control character in: " + message);
        }

        private static void checkTags(TagSet tags) {
            assertTrue(tags.size() <= LIMITS.maxTags(), tags.size() + " tags");
            for (String tag : tags.asList()) {
                assertTrue(!tag.isEmpty() && tag.length() <= LIMITS.maxTagLength(), "tag \"" + tag + "\"");
            }
        }
    }
}
