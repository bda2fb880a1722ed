package io.pilotfish.core.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/** Parses the duration forms we accept in config: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, ISO-8601, bare seconds. */
public final class Durations {

    private Durations() {
    }

    public static Optional<Duration> parse(String raw) {
        String text = raw.trim().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            if (text.startsWith("pt") || text.startsWith("p")) {
                return Optional.of(Duration.parse(text.toUpperCase(Locale.ROOT)));
            }
            if (text.endsWith("ms")) {
                return Optional.of(Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2).trim())));
            }
            char unit = text.charAt(text.length() - 1);
            if (Character.isDigit(unit)) {
                return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
            }
            long amount = Long.parseLong(text.substring(0, text.length() - 1).trim());
            return switch (unit) {
                case 's' -> Optional.of(Duration.ofSeconds(amount));
                case 'm' -> Optional.of(Duration.ofMinutes(amount));
                case 'h' -> Optional.of(Duration.ofHours(amount));
                case 'd' -> Optional.of(Duration.ofDays(amount));
                default -> Optional.empty();
            };
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
