package io.pilotfish.testkit;

import io.pilotfish.spi.PluginLog;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A {@link PluginLog} that keeps every call for assertions and passes it on to the log it wraps (core's
 * {@code RateLimitedLog} in a {@link TestPluginContext}, so test output reads like the agent's). Every call is kept,
 * including the ones the rate limiter does not print: tests see what the plugin reported, not what got through.
 * Thread-safe.
 */
public final class CapturedLog implements PluginLog {

    public enum Level { INFO, WARN, ERROR }

    /**
     * One call.
     *
     * @param kind   the plugin's kind of problem; empty for {@link Level#INFO}
     * @param cause  the throwable given to {@code error}, or null
     */
    public record Line(Level level, String kind, String message, Throwable cause) {

        /** The message followed by every cause in the chain, as an operator could end up reading it. */
        public String text() {
            StringBuilder text = new StringBuilder(message);
            for (Throwable c = cause; c != null; c = c.getCause() == c ? null : c.getCause()) {
                text.append(": ").append(c.getClass().getSimpleName());
                if (c.getMessage() != null) {
                    text.append(": ").append(c.getMessage());
                }
            }
            return text.toString();
        }

        @Override
        public String toString() {
            return level + (kind.isEmpty() ? "" : " " + kind) + " " + text();
        }
    }

    private final PluginLog delegate;
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    /** @param delegate  where every call goes on to; {@code null} keeps the lines without printing them */
    public CapturedLog(PluginLog delegate) {
        this.delegate = delegate;
    }

    @Override
    public void info(String message) {
        lines.add(new Line(Level.INFO, "", String.valueOf(message), null));
        if (delegate != null) {
            delegate.info(message);
        }
    }

    @Override
    public void warn(String kind, String message) {
        lines.add(new Line(Level.WARN, String.valueOf(kind), String.valueOf(message), null));
        if (delegate != null) {
            delegate.warn(kind, message);
        }
    }

    @Override
    public void error(String kind, String message, Throwable cause) {
        lines.add(new Line(Level.ERROR, String.valueOf(kind), String.valueOf(message), cause));
        if (delegate != null) {
            delegate.error(kind, message, cause);
        }
    }

    /** Every line so far, oldest first. */
    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The lines of one kind (warnings and errors carry a kind). */
    public List<Line> lines(String kind) {
        return lines.stream().filter(line -> line.kind().equals(kind)).toList();
    }

    public List<Line> warnings() {
        return at(Level.WARN);
    }

    public List<Line> errors() {
        return at(Level.ERROR);
    }

    /** The kinds of the warnings and errors, in the order first seen. */
    public Set<String> kinds() {
        return lines.stream().filter(line -> line.level() != Level.INFO).map(Line::kind)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** Whether any line's {@link Line#text()} contains {@code fragment}. */
    public boolean contains(String fragment) {
        Objects.requireNonNull(fragment, "fragment");
        return lines.stream().anyMatch(line -> line.text().contains(fragment));
    }

    /** Every line, one per row: handy as an assertion message. */
    public String dump() {
        List<String> rows = new ArrayList<>();
        lines.forEach(line -> rows.add(line.toString()));
        return rows.isEmpty() ? "(nothing logged)" : String.join("\n", rows);
    }

    public void clear() {
        lines.clear();
    }

    private List<Line> at(Level level) {
        return lines.stream().filter(line -> line.level() == level).toList();
    }
}
