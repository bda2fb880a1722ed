package io.pilotfish.core.plugin;

import io.pilotfish.spi.PluginHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The state of one configured plugin instance as status and health show it: what the platform saw (created,
 * started, failed, stopped) and what the plugin said through {@link PluginHealth} (sockets held, a part degraded).
 * Thread-safe: the platform writes from its threads, plugins from theirs, status reads from an event loop.
 */
public final class PluginState implements PluginHealth {

    /** The platform's view of the instance. */
    public enum Phase {
        /** Created; its start has not completed yet (a receiver binding its sockets). */
        STARTING,
        RUNNING,
        /** Could not be created or started; {@link #detail} says why. */
        FAILED,
        /** Was running and is not any more, although the configuration still wants it. */
        STOPPED
    }

    /** A socket the instance holds, e.g. {@code udp 127.0.0.1:8125}. */
    public record Endpoint(String transport, String address) {
        public Endpoint {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(address, "address");
        }

        /** The port of a {@code host:port} address, or -1 for a socket path. */
        public int port() {
            int colon = address.lastIndexOf(':');
            if (colon < 0 || transport.startsWith("unix")) {
                return -1;
            }
            try {
                return Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /**
     * The last problem the instance logged (a warning or an error), how often it logged one, and when: a scrape that
     * keeps failing, malformed packets. Shown by status; it does not fail the health check (the instance runs).
     */
    public record Warning(String message, java.time.Instant at, long count) {
    }

    /** One consistent reading, for status. */
    public record View(String role, String name, String type, Phase phase, String detail, Optional<String> degraded,
                       List<Endpoint> listening, Optional<Warning> lastWarning) {

        /** Whether health should count this instance as working. */
        public boolean ok() {
            return phase != Phase.FAILED && phase != Phase.STOPPED && degraded.isEmpty();
        }

        /** One line for the problems list; empty when ok. */
        public Optional<String> problem() {
            if (phase == Phase.FAILED) {
                return Optional.of(role + " " + name + " is not running: " + detail);
            }
            if (phase == Phase.STOPPED) {
                return Optional.of(role + " " + name + " stopped: " + detail);
            }
            return degraded.map(reason -> role + " " + name + " is degraded: " + reason);
        }
    }

    private final String role;
    private final String name;
    private final String type;

    // Guarded by this.
    private Phase phase = Phase.STARTING;
    private String detail = "";
    private String degraded;
    private final List<Endpoint> listening = new ArrayList<>();
    private Warning lastWarning;

    public PluginState(String role, String name, String type) {
        this.role = Objects.requireNonNull(role, "role");
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
    }

    public String name() {
        return name;
    }

    public synchronized void running() {
        phase = Phase.RUNNING;
        detail = "";
    }

    public synchronized void failed(String why) {
        phase = Phase.FAILED;
        detail = why;
        listening.clear();
    }

    public synchronized void stopped(String why) {
        phase = Phase.STOPPED;
        detail = why;
        listening.clear();
    }

    @Override
    public synchronized void listening(String transport, String address) {
        Endpoint endpoint = new Endpoint(transport, address);
        if (!listening.contains(endpoint)) {
            listening.add(endpoint);
        }
    }

    @Override
    public synchronized void degraded(String reason) {
        degraded = Objects.requireNonNull(reason, "reason");
    }

    @Override
    public synchronized void healthy() {
        degraded = null;
    }

    /** The instance logged a warning or an error (every one, rate-limited in the log or not). */
    public synchronized void warned(String message, java.time.Instant at) {
        lastWarning = new Warning(message, at, lastWarning == null ? 1 : lastWarning.count() + 1);
    }

    public synchronized View view() {
        return new View(role, name, type, phase, detail, Optional.ofNullable(degraded), List.copyOf(listening),
                Optional.ofNullable(lastWarning));
    }

    @Override
    public String toString() {
        return view().toString();
    }
}
