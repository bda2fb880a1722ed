package io.pilotfish.core.plugin;

import io.pilotfish.spi.PluginLog;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Says each kind of problem at most once per interval and reports how many were suppressed in between, so a flood
 * of bad packets or a down endpoint cannot flood the log.
 */
public final class RateLimitedLog implements PluginLog {

    private final System.Logger logger;
    private final String prefix;
    private final Clock clock;
    private final long intervalMillis;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final PluginState state;

    private static final class Window {
        volatile long lastLogged = Long.MIN_VALUE;
        final AtomicLong suppressed = new AtomicLong();
    }

    public RateLimitedLog(String loggerName, String prefix, Clock clock, Duration interval) {
        this(loggerName, prefix, clock, interval, null);
    }

    /** @param state where every warning and error is also recorded for status (null: nowhere) */
    public RateLimitedLog(String loggerName, String prefix, Clock clock, Duration interval, PluginState state) {
        this.logger = System.getLogger(loggerName);
        this.prefix = prefix;
        this.clock = clock;
        this.intervalMillis = interval.toMillis();
        this.state = state;
    }

    @Override
    public void info(String message) {
        logger.log(System.Logger.Level.INFO, prefix + message);
    }

    @Override
    public void warn(String kind, String message) {
        log(System.Logger.Level.WARNING, kind, message, null);
    }

    @Override
    public void error(String kind, String message, Throwable cause) {
        log(System.Logger.Level.ERROR, kind, message, cause);
    }

    private void log(System.Logger.Level level, String kind, String message, Throwable cause) {
        if (state != null) {
            state.warned(cause == null ? message : message + ": " + describe(cause), clock.instant());
        }
        Window window = windows.computeIfAbsent(kind, k -> new Window());
        long now = clock.millis();
        synchronized (window) {
            if (window.lastLogged != Long.MIN_VALUE && now - window.lastLogged < intervalMillis) {
                window.suppressed.incrementAndGet();
                return;
            }
            window.lastLogged = now;
        }
        long suppressed = window.suppressed.getAndSet(0);
        String text = prefix + message + (suppressed > 0 ? " (" + suppressed + " similar suppressed)" : "");
        if (cause == null) {
            logger.log(level, text);
        } else {
            // The cause's message is enough for operators; stack traces of expected I/O failures are noise.
            logger.log(level, text + ": " + describe(cause));
        }
    }

    static String describe(Throwable error) {
        Throwable root = error;
        while ((root instanceof java.util.concurrent.CompletionException
                || root instanceof java.util.concurrent.ExecutionException) && root.getCause() != null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
