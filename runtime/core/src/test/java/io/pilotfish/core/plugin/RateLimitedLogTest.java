package io.pilotfish.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What reaches the log from a plugin: whatever the plugin passed, nothing that breaks a line or shows a secret. */
class RateLimitedLogTest {

    private static final String LOGGER = "io.pilotfish.test.rate-limited-log";
    private static final String KEY = "Fake-Api-Key-For-Tests-Only-0042"; // obviously not a key; mixed case for the case-folded forms

    private final List<String> written = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            written.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void attach() {
        Logger.getLogger(LOGGER).addHandler(capture);
    }

    @AfterEach
    void detach() {
        Logger.getLogger(LOGGER).removeHandler(capture);
    }

    @Test
    void everyWrittenLineIsOneLineWithTheKeyAndUrlCredentialsMasked() {
        RateLimitedLog log = new RateLimitedLog(LOGGER, "sink test: ", Clock.systemUTC(), Duration.ofMinutes(1),
                null, () -> Optional.of(new Secret(KEY)));
        String base64 = Base64.getEncoder().encodeToString(KEY.getBytes(StandardCharsets.UTF_8));

        log.warn("echo", "intake said \u001b[2J" + KEY.toUpperCase() + " " + base64 + "\r\nERROR forged via "
                + "http://user:pass@proxy:3128");
        log.error("cause", "request failed", new IllegalStateException("peer said " + KEY + "\n"));
        log.info("plain\tinfo");

        assertEquals(3, written.size(), written.toString());
        for (String line : written) {
            assertFalse(line.chars().anyMatch(c -> c < 0x20 || c == 0x7f), line);
            assertFalse(line.toLowerCase().contains(KEY) || line.contains(base64) || line.contains("pass@"), line);
        }
        assertEquals("sink test: intake said \\x1b[2J****0042 ****0042\\r\\nERROR forged via http://***@proxy:3128",
                written.get(0));
        assertEquals("sink test: request failed: IllegalStateException: peer said ****0042\\n", written.get(1));
        assertEquals("sink test: plain\\tinfo", written.get(2));
    }

    @Test
    void theKeyInUseNowIsMaskedAfterARotation() {
        java.util.concurrent.atomic.AtomicReference<Optional<Secret>> current = new java.util.concurrent.atomic
                .AtomicReference<>(Optional.of(new Secret("old-key-0123456789")));
        RateLimitedLog log = new RateLimitedLog(LOGGER, "", Clock.systemUTC(), Duration.ZERO, null, current::get);
        current.set(Optional.of(new Secret("new-key-9876543210")));

        log.warn("rotated", "answer echoed new-key-9876543210");

        assertTrue(written.get(0).endsWith("****3210"), written.toString());
    }
}
