package io.pilotfish.spi;

/**
 * Rate-limited logging for problems that can repeat on every packet or scrape. Each {@code kind} is logged at most
 * once per interval; the suppressed count is reported with the next line. Messages must never contain secrets.
 */
public interface PluginLog {

    void info(String message);

    void warn(String kind, String message);

    void error(String kind, String message, Throwable cause);
}
