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
 * The ports the agent listens on (DogStatsD 8125/udp, traces 8126/tcp). When the agent of this task answers on its
 * status endpoint, its own report decides: a port it holds is fine (it is in use because the agent uses it), a port
 * it should hold and does not is a failure with the agent's reason. When no agent answers (doctor before the agent,
 * or instead of it), the ports must be free to bind on the listen host; a taken one is a warning.
 */
public final class ListenerPortsCheck implements DoctorCheck {

    /**
     * One listening socket: e.g. DogStatsD on 8125/udp.
     *
     * @param collector the collector instance that should hold it, or empty when no collector serves it yet
     */
    public record Listener(String name, int port, boolean udp, String variable, String collector) {
        public Listener {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(collector, "collector");
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException(name + " port must be from 1 to 65535, was " + port);
            }
        }

        public Listener(String name, int port, boolean udp, String variable) {
            this(name, port, udp, variable, "");
        }

        String describe() {
            return port + "/" + (udp ? "udp" : "tcp") + " (" + name + ")";
        }

        String transport() {
            return udp ? "udp" : "tcp";
        }
    }

    private final String host;
    private final List<Listener> listeners;
    private final List<String> problems;
    private final String statusHost;
    private final int statusPort;

    /**
     * @param host      the address the agent binds, 127.0.0.1 by default
     * @param problems  settings that could not be read (bad port variables), reported as failures
     */
    public ListenerPortsCheck(String host, List<Listener> listeners, List<String> problems) {
        this(host, listeners, problems, "127.0.0.1", 0);
    }

    /** @param statusPort the running agent's status port, asked for what it holds; 0 to ask nobody */
    public ListenerPortsCheck(String host, List<Listener> listeners, List<String> problems, String statusHost,
                              int statusPort) {
        this.host = Objects.requireNonNull(host, "host");
        this.listeners = List.copyOf(listeners);
        this.problems = List.copyOf(problems);
        this.statusHost = Objects.requireNonNull(statusHost, "statusHost");
        this.statusPort = statusPort;
    }

    /**
     * The listeners of the configuration as loaded (every {@code dogstatsd} and {@code apm} collector instance with
     * its port, and DogStatsD's {@code non-local-traffic}), traces from {@code DD_APM_RECEIVER_PORT} when APM is off
     * (the port must then be free for whatever serves traces), and the running agent's status endpoint to ask.
     */
    public static ListenerPortsCheck fromConfig(io.pilotfish.core.config.LoadedConfig config,
                                                java.util.Map<String, String> env, String statusHost, int statusPort) {
        List<Listener> listeners = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String host = "127.0.0.1";
        boolean tracesServed = false;
        for (io.pilotfish.core.config.CollectorSpec spec : config.collectors()) {
            String type = spec.factory().type();
            if (!type.equals("dogstatsd") && !type.equals("apm")) {
                continue;
            }
            boolean dogstatsd = type.equals("dogstatsd");
            String prefix = "pilotfish.collectors." + spec.name() + ".";
            var port = config.effective().get(prefix + "port");
            int number = port == null ? (dogstatsd ? 8125 : 8126) : parsePort(port.value());
            if (number > 0) {
                listeners.add(dogstatsd
                        ? new Listener("DogStatsD", number, true, prefix + "port (DD_DOGSTATSD_PORT)", spec.name())
                        : new Listener("traces", number, false, prefix + "port (DD_APM_RECEIVER_PORT)",
                        spec.name()));
            }
            tracesServed |= !dogstatsd;
            var nonLocal = config.effective().get(prefix + "non-local-traffic");
            if (dogstatsd && nonLocal != null && nonLocal.value().trim().equalsIgnoreCase("true")) {
                host = "0.0.0.0";
            }
        }
        if (!tracesServed) {
            port(env, "DD_APM_RECEIVER_PORT", 8126, problems).ifPresent(p -> listeners.add(new Listener("traces", p,
                    false, "DD_APM_RECEIVER_PORT")));
        }
        return new ListenerPortsCheck(host, listeners, problems, statusHost, statusPort);
    }

    private static int parsePort(String raw) {
        try {
            return Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            return 0; // the configuration check reports it
        }
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
        java.util.Optional<com.fasterxml.jackson.databind.JsonNode> agent = runningAgent(context);
        if (agent.isPresent()) {
            return againstRunningAgent(agent.get());
        }
        return bindEach();
    }

    /** The running agent's status document, when one answers within the timeout. */
    private java.util.Optional<com.fasterxml.jackson.databind.JsonNode> runningAgent(DoctorContext context) {
        if (statusPort <= 0) {
            return java.util.Optional.empty();
        }
        try {
            var answer = io.pilotfish.agent.status.StatusClient.get(statusHost, statusPort, "/status",
                    context.timeout());
            if (answer.statusCode() != 200) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(answer.body()));
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }

    /**
     * What the running agent holds decides: its own sockets are in use because it uses them; a socket one of its
     * collectors should hold and does not is a failure, with the collector's reason and whether another process
     * holds the port.
     */
    private CheckResult againstRunningAgent(com.fasterxml.jackson.databind.JsonNode status) {
        List<String> held = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        List<Listener> unserved = new ArrayList<>();
        for (Listener listener : listeners) {
            if (listener.collector().isEmpty()) {
                unserved.add(listener);
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode collector = null;
            for (com.fasterxml.jackson.databind.JsonNode node : status.path("collectors")) {
                if (node.path("name").asText().equals(listener.collector())) {
                    collector = node;
                }
            }
            if (collector != null && holds(collector, listener)) {
                held.add(listener.describe());
                continue;
            }
            String why = collector == null ? "collector " + listener.collector() + " is not running"
                    : "collector " + listener.collector() + " is " + collector.path("state").asText()
                    + (collector.path("detail").isTextual() ? ": " + collector.path("detail").asText() : "");
            boolean takenByOther;
            try {
                bind(listener);
                takenByOther = false;
            } catch (IOException | SecurityException e) {
                takenByOther = true;
            }
            missing.add(listener.describe() + " on " + host + " is not held by the running agent (" + why + ")"
                    + (takenByOther ? "; another process holds the port" : "; the port is free"));
            fixes.add(takenByOther ? "Stop the other process on " + listener.describe() + " (a Datadog Agent "
                    + "container?) or move the port with " + listener.variable() + ", then restart the task"
                    : "Restart the task so the agent binds " + listener.describe() + " again");
        }
        List<String> unservedText = new ArrayList<>();
        for (Listener listener : unserved) {
            try {
                bind(listener);
                unservedText.add(listener.describe() + " free");
            } catch (IOException | SecurityException e) {
                unservedText.add(listener.describe() + " in use by another process (this agent does not serve "
                        + listener.name() + " yet)");
            }
        }
        if (!missing.isEmpty()) {
            return CheckResult.fail(this, String.join("; ", missing), String.join("; ", fixes));
        }
        List<String> parts = new ArrayList<>();
        if (!held.isEmpty()) {
            parts.add(String.join(", ", held) + " held by the running Pilotfish agent");
        }
        parts.addAll(unservedText);
        return CheckResult.pass(this, String.join("; ", parts) + " on " + host);
    }

    private static boolean holds(com.fasterxml.jackson.databind.JsonNode collector, Listener listener) {
        for (com.fasterxml.jackson.databind.JsonNode socket : collector.path("listening")) {
            String address = socket.path("address").asText();
            int colon = address.lastIndexOf(':');
            if (socket.path("transport").asText().equals(listener.transport()) && colon >= 0
                    && address.substring(colon + 1).equals(Integer.toString(listener.port()))) {
                return true;
            }
        }
        return false;
    }

    /** No agent answers: each port must be free to bind. */
    private CheckResult bindEach() {
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
            String variables = String.join(" / ", taken.stream().map(Listener::variable).toList());
            if (statusPort > 0) {
                // The agent of this task did not answer, so whatever holds the port is something else.
                return CheckResult.warn(this, names + " on " + host + " already in use by another process (no Pilotfish "
                        + "agent answers on " + statusHost + ":" + statusPort + "; a Datadog Agent container?)",
                        "Run one agent per task: remove the datadog-agent container, or move the port with "
                                + variables);
            }
            return CheckResult.warn(this, names + " on " + host + " already in use, probably by another agent (a "
                    + "Datadog Agent container, or Pilotfish itself if doctor runs beside it)", "Run one agent per "
                    + "task: remove the datadog-agent container, or move the port with " + variables
                    + "; ignore this if Pilotfish is running here");
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
