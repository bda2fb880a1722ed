package io.pilotfish.agent.doctor;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The ports the agent listens on (DogStatsD 8125/udp, traces 8126/tcp) can be bound on the listen host. A taken port
 * is a warning, not a failure: doctor may run next to the running agent itself.
 */
public final class ListenerPortsCheck implements DoctorCheck {

    /** One listening socket: e.g. DogStatsD on 8125/udp. */
    public record Listener(String name, int port, boolean udp, String variable) {
        public Listener {
            Objects.requireNonNull(name, "name");
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException(name + " port must be from 1 to 65535, was " + port);
            }
        }

        String describe() {
            return port + "/" + (udp ? "udp" : "tcp") + " (" + name + ")";
        }
    }

    private final String host;
    private final List<Listener> listeners;
    private final List<String> problems;

    /**
     * @param host      the address the agent binds, 127.0.0.1 by default
     * @param problems  settings that could not be read (bad port variables), reported as failures
     */
    public ListenerPortsCheck(String host, List<Listener> listeners, List<String> problems) {
        this.host = Objects.requireNonNull(host, "host");
        this.listeners = List.copyOf(listeners);
        this.problems = List.copyOf(problems);
    }

    /**
     * Listeners and host as the environment configures them: {@code DD_DOGSTATSD_PORT} (default 8125, 0 = off),
     * {@code DD_APM_RECEIVER_PORT} (default 8126, 0 = off); all interfaces when {@code DD_DOGSTATSD_NON_LOCAL_TRAFFIC}
     * is true, else 127.0.0.1.
     */
    public static ListenerPortsCheck fromEnvironment(java.util.Map<String, String> env) {
        List<Listener> listeners = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        port(env, "DD_DOGSTATSD_PORT", 8125, problems).ifPresent(p -> listeners.add(new Listener("DogStatsD", p, true,
                "DD_DOGSTATSD_PORT")));
        port(env, "DD_APM_RECEIVER_PORT", 8126, problems).ifPresent(p -> listeners.add(new Listener("traces", p,
                false, "DD_APM_RECEIVER_PORT")));
        String nonLocal = env.getOrDefault("DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "").trim();
        String host = nonLocal.equalsIgnoreCase("true") || nonLocal.equals("1") ? "0.0.0.0" : "127.0.0.1";
        return new ListenerPortsCheck(host, listeners, problems);
    }

    private static java.util.Optional<Integer> port(java.util.Map<String, String> env, String variable, int fallback,
                                                    List<String> problems) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return java.util.Optional.of(fallback);
        }
        try {
            int port = Integer.parseInt(raw.trim());
            if (port == 0) {
                return java.util.Optional.empty();
            }
            if (port > 0 && port <= 65_535) {
                return java.util.Optional.of(port);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add(variable + "=\"" + raw.trim() + "\" is not a port (1-65535, or 0 to turn the listener off)");
        return java.util.Optional.empty();
    }

    @Override
    public String id() {
        return "ports";
    }

    @Override
    public String title() {
        return "listener ports";
    }

    @Override
    public CheckResult run(DoctorContext context) {
        if (!problems.isEmpty()) {
            return CheckResult.fail(this, String.join("; ", problems), "Fix the variable in the task definition");
        }
        if (listeners.isEmpty()) {
            return CheckResult.skip(this, "no listener configured");
        }
        List<String> free = new ArrayList<>();
        List<Listener> taken = new ArrayList<>();
        for (Listener listener : listeners) {
            try {
                bind(listener);
                free.add(listener.describe());
            } catch (BindException e) {
                taken.add(listener);
            } catch (IOException | SecurityException e) {
                return CheckResult.fail(this, "cannot bind " + listener.describe() + " on " + host + ": "
                        + ApiKeyCheck.describe(e), "Check that " + host + " is an address of this container");
            }
        }
        if (!taken.isEmpty()) {
            String names = String.join(", ", taken.stream().map(Listener::describe).toList());
            return CheckResult.warn(this, names + " on " + host + " already in use, probably by another agent (a "
                    + "Datadog Agent container, or Pilotfish itself if doctor runs beside it)", "Run one agent per "
                    + "task: remove the datadog-agent container, or move the port with " + String.join(" / ",
                    taken.stream().map(Listener::variable).toList()) + "; ignore this if Pilotfish is running here");
        }
        return CheckResult.pass(this, String.join(", ", free) + " free on " + host);
    }

    private void bind(Listener listener) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, listener.port());
        if (listener.udp()) {
            try (DatagramSocket socket = new DatagramSocket(null)) {
                socket.setReuseAddress(false);
                socket.bind(address);
            }
        } else {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(address);
            }
        }
    }
}
