package io.pilotfish.processing.logs;

import io.pilotfish.processing.regex.GoRegex;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the lines of one stream are joined into messages. One of three ways, the first that applies:
 * <ol>
 *   <li>{@code startPattern} (a {@code multi_line} rule): a line the pattern matches at its start begins a message,
 *       any other line is appended to the open one, as the Agent's multi-line handler;</li>
 *   <li>{@code autoDetect} (the Agent's {@code auto_multi_line_detection}): a line that starts with a timestamp
 *       begins a message, a JSON line stands alone, other lines are appended to an open message or stand alone;</li>
 *   <li>{@code stackTraces} (ours, on by default): only the lines that are unmistakably part of a Java, Python,
 *       Node.js or Go stack trace are joined; every other line stands alone.</li>
 * </ol>
 * With none of them, every line is its own message.
 *
 * @param startPattern the {@code multi_line} rule's pattern, anchored at the line's start ({@code "^" + pattern}, as
 *                     the Agent compiles it); {@code null} for none
 * @param stackTraces  join stack-trace frames onto the line they belong to
 * @param autoDetect   the Agent's {@code auto_multi_line_detection}
 * @param flushTimeout a pending message is sent after this long without a new line (the Agent's 1 s)
 * @param maxBytes     the largest message; a longer one is cut and marked {@code ...TRUNCATED...} (the Agent's 256,000)
 */
public record MultiLineSettings(GoRegex startPattern, boolean stackTraces, boolean autoDetect, Duration flushTimeout,
                                int maxBytes) {

    /** The Agent's {@code logs_config.aggregation_timeout}. */
    public static final Duration DEFAULT_FLUSH_TIMEOUT = Duration.ofSeconds(1);
    /** The Agent's {@code logs_config.max_message_size_bytes}. */
    public static final int DEFAULT_MAX_BYTES = 256_000;
    /** The smallest {@code maxBytes}: room for a few characters beside the markers. */
    public static final int MIN_MAX_BYTES = 64;

    private static final MultiLineSettings DEFAULTS =
            new MultiLineSettings(null, true, false, DEFAULT_FLUSH_TIMEOUT, DEFAULT_MAX_BYTES);
    private static final MultiLineSettings NONE =
            new MultiLineSettings(null, false, false, DEFAULT_FLUSH_TIMEOUT, DEFAULT_MAX_BYTES);

    public MultiLineSettings {
        Objects.requireNonNull(flushTimeout, "flushTimeout");
        if (flushTimeout.isNegative()) {
            throw new IllegalArgumentException("flushTimeout must not be negative: " + flushTimeout);
        }
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("maxBytes must be at least " + MIN_MAX_BYTES + ": " + maxBytes);
        }
    }

    /** Stack traces joined, no pattern, no auto-detection, 1 s, 256,000 bytes. */
    public static MultiLineSettings defaults() {
        return DEFAULTS;
    }

    /** Each line its own message (still cut at {@code maxBytes}). */
    public static MultiLineSettings none() {
        return NONE;
    }

    /**
     * The first {@code multi_line} rule's pattern (as the Agent, which builds one handler from the first), with
     * the defaults' timeout and size.
     *
     * @throws IllegalArgumentException when that pattern does not compile
     */
    public static MultiLineSettings from(List<ProcessingRule> rules, boolean stackTraces, boolean autoDetect) {
        GoRegex start = null;
        for (ProcessingRule rule : rules) {
            if (rule.type() == ProcessingRule.Type.MULTI_LINE) {
                try {
                    start = GoRegex.compile("^" + rule.pattern(), LogRules.MAX_MATCHED_CHARS);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("rule '" + rule.name() + "': a pattern Go would not compile: "
                            + e.getMessage());
                }
                break;
            }
        }
        return new MultiLineSettings(start, stackTraces, autoDetect, DEFAULT_FLUSH_TIMEOUT, DEFAULT_MAX_BYTES);
    }

    /** The same settings with another timeout. */
    public MultiLineSettings withFlushTimeout(Duration timeout) {
        return new MultiLineSettings(startPattern, stackTraces, autoDetect, timeout, maxBytes);
    }

    /** The same settings with another size limit. */
    public MultiLineSettings withMaxBytes(int bytes) {
        return new MultiLineSettings(startPattern, stackTraces, autoDetect, flushTimeout, bytes);
    }
}
