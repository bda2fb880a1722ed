package io.pilotfish.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real DogStatsD clients outside the JVM: hot-shots (npm) and datadog (PyPI), as
 * {@code scripts/ensure-statsd-clients.sh} installs them into {@code pilotfish.statsd-clients.dir} at the root pom's
 * pins, and the driver scripts under {@code src/test/resources/statsd-clients/} that send a workload with them. When
 * the script cannot install a client the test fails with its message: nothing is ever skipped.
 */
final class StatsdClients {

    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration DRIVER_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final String hotShotsVersion;
    private final String datadogVersion;

    private StatsdClients(Path dir, String hotShotsVersion, String datadogVersion) {
        this.dir = dir;
        this.hotShotsVersion = hotShotsVersion;
        this.datadogVersion = datadogVersion;
    }

    /** The installed clients at the pinned versions, installing them first when they are not there. */
    static StatsdClients installed() throws IOException, InterruptedException {
        StatsdClients clients = new StatsdClients(Path.of(required("pilotfish.statsd-clients.dir")),
                required("pilotfish.hot-shots.version"), required("pilotfish.datadog-py.version"));
        // Maven's pre-integration-test has run it already; again here it only checks the versions (well under a
        // second), so a run from an IDE gets the pinned clients too.
        clients.install();
        return clients;
    }

    private static String required(String property) {
        String value = System.getProperty(property, "");
        if (value.isBlank()) {
            throw new AssertionError("system property " + property + " is not set; run the integration tests through "
                    + "Maven (./mvnw verify -pl integration-tests), which sets it from the pins in the root pom.xml");
        }
        return value;
    }

    private boolean complete() {
        return Files.isRegularFile(dir.resolve("node/node_modules/hot-shots/package.json"))
                && Files.isExecutable(python());
    }

    private void install() throws IOException, InterruptedException {
        Path script = Path.of(required("pilotfish.statsd-clients.installer"));
        ChildProcess.Result result = run(List.of("bash", script.toString(), dir.toString(), hotShotsVersion,
                datadogVersion), Map.of(), INSTALL_TIMEOUT);
        if (result.exitCode() != 0 || !complete()) {
            throw new AssertionError("the DogStatsD clients (hot-shots " + hotShotsVersion + ", datadog "
                    + datadogVersion + ") are not installed in " + dir + " and " + script + " could not install them "
                    + "(exit " + result.exitCode() + "):\n" + result.stderr());
        }
    }

    /** A UDP port free on the loopback now, for an agent's DogStatsD listener. */
    static int freeUdpPort() {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path python() {
        return dir.resolve("python/bin/python");
    }

    /** Sends {@code workload} with hot-shots over UDP to {@code host:port}, metric names under {@code prefix}. */
    ChildProcess.Result hotShots(String host, int port, String workload, String prefix)
            throws IOException, InterruptedException {
        return runDriver("hot-shots " + hotShotsVersion, List.of("node", driver("hot-shots-driver.js").toString(),
                host, Integer.toString(port), workload, prefix),
                Map.of("NODE_PATH", dir.resolve("node/node_modules").toString()));
    }

    /** Sends {@code workload} with the datadog package's DogStatsd over UDP, metric names under {@code prefix}. */
    ChildProcess.Result datadogPy(String host, int port, String workload, String prefix)
            throws IOException, InterruptedException {
        return runDriver("datadog " + datadogVersion, List.of(python().toString(),
                driver("datadog-py-driver.py").toString(), host, Integer.toString(port), workload, prefix), Map.of());
    }

    private static Path driver(String name) {
        URL url = StatsdClients.class.getResource("/statsd-clients/" + name);
        if (url == null) {
            throw new IllegalStateException("driver script statsd-clients/" + name + " is not on the test classpath");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ChildProcess.Result runDriver(String client, List<String> command, Map<String, String> env)
            throws IOException, InterruptedException {
        ChildProcess.Result result = run(command, env, DRIVER_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new AssertionError(client + ": " + String.join(" ", command) + " exited " + result.exitCode()
                    + "; stderr:\n" + result.stderr() + "\nstdout:\n" + result.stdout());
        }
        return result;
    }

    static ChildProcess.Result run(List<String> command, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        // As in AgentProcess: the clients read DD_* (DD_AGENT_HOST, DD_DOGSTATSD_URL, DD_ENTITY_ID...) from the
        // environment; only what the test gives counts.
        builder.environment().keySet().removeIf(k -> k.startsWith("DD_") || k.startsWith("DATADOG_"));
        builder.environment().putAll(env);
        return ChildProcess.run(builder, timeout);
    }
}
