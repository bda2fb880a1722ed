package io.pilotfish.core.plugin;

import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.Secret;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Says each kind of problem at most once per interval and reports how many were suppressed in between, so a flood
 * of bad packets or a down endpoint cannot flood the log. Every line written is made safe on the way out, whatever
 * the plugin did: the agent's secret masked in every form a peer may echo it, URL credentials masked, control
 * characters escaped ({@link SafeText}). Only lines that are written pay for it, so a flood of bad input costs no
 * more than before; the warning kept for status is made safe where status is built.
 */
public final class RateLimitedLog implements PluginLog {

    private final System.Logger logger;
    private final String prefix;
    private final Clock clock;
    private final long intervalMillis;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final PluginState state;
    private final Supplier<Optional<Secret>> secret;

    private static final class Window {
        volatile long lastLogged = Long.MIN_VALUE;
        final AtomicLong suppressed = new AtomicLong();
    }

    public RateLimitedLog(String loggerName, String prefix, Clock clock, Duration interval) {
        this(loggerName, prefix, clock, interval, null);
    }

    /** @param state where every warning and error is also recorded for status (null: nowhere) */
    public RateLimitedLog(String loggerName, String prefix, Clock clock, Duration interval, PluginState state) {
        this(loggerName, prefix, clock, interval, state, Optional::empty);
    }

    /** @param secret the agent's current API key, masked in every line (it may be rotated while running) */
    public RateLimitedLog(String loggerName, String prefix, Clock clock, Duration interval, PluginState state,
                          Supplier<Optional<Secret>> secret) {
        this.logger = System.getLogger(loggerName);
        this.prefix = prefix;
        this.clock = clock;
        this.intervalMillis = interval.toMillis();
        this.state = state;
        this.secret = secret;
    }

    /** The text as it may be shown: the secret's echoes masked, then URL credentials, then control characters. */
    private String safe(String text) {
        String redacted = secret.get().map(key -> key.redact(text)).orElse(text);
        return SafeText.clean(redacted);
    }

    @Override
    public void info(String message) {
        logger.log(System.Logger.Level.INFO, safe(prefix + message));
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
            logger.log(level, safe(text));
        } else {
            // The cause's message is enough for operators; stack traces of expected I/O failures are noise.
            logger.log(level, safe(text + ": " + describe(cause)));
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
