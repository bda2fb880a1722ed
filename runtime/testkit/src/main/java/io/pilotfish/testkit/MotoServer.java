package io.pilotfish.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A real AWS SSM and Secrets Manager on 127.0.0.1: {@code moto_server} (moto in server mode) started from the venv
 * {@code scripts/ensure-moto.sh} creates, on a free port, stopped on {@link #close()}.
 *
 * <pre>{@code
 * try (MotoServer moto = MotoServer.start()) {   // the venv named by -Dpilotfish.moto.venv
 *     SsmClient ssm = SsmClient.builder().endpointOverride(moto.endpoint())...;
 * }
 * }</pre>
 */
public final class MotoServer implements AutoCloseable {

    /** The moto release the build installs (see {@code scripts/ensure-moto.sh}). */
    public static final String VERSION = "5.2.5";
    /** System property the build sets to the venv it prepared. */
    public static final String VENV_PROPERTY = "pilotfish.moto.venv";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final int PORT_ATTEMPTS = 3;

    private final Process process;
    private final URI endpoint;
    private final Path log;

    private MotoServer(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    /** The venv of {@value #VENV_PROPERTY}, or else {@code ~/.cache/pilotfish/moto-<VERSION>}. */
    public static Path defaultVenv() {
        String configured = System.getProperty(VENV_PROPERTY);
        return configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "pilotfish", "moto-" + VERSION);
    }

    /** Starts moto from {@link #defaultVenv()}. */
    public static MotoServer start() {
        return start(defaultVenv());
    }

    /**
     * Starts {@code <venv>/bin/moto_server -H 127.0.0.1 -p <free port>} and blocks until it answers HTTP.
     *
     * @throws IllegalStateException when the venv has no moto_server, or moto exits or stays silent; the message
     *                               names the fix or the log to read
     */
    public static MotoServer start(Path venv) {
        Objects.requireNonNull(venv, "venv");
        Path server = venv.resolve("bin").resolve("moto_server");
        if (!Files.isExecutable(server)) {
            throw new IllegalStateException("moto is not installed: no executable " + server
                    + "; run scripts/ensure-moto.sh " + venv + " " + VERSION
                    + " (the Maven build runs it before the tests)");
        }
        Path log;
        try {
            log = Files.createTempFile("pilotfish-moto-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create moto's log file: " + e.getMessage(), e);
        }
        IllegalStateException last = null;
        // The free port is only reserved until we close the probe socket; if another process takes it first moto
        // exits at once, and a new port is tried.
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            int port = freePort();
            Process process;
            try {
                process = new ProcessBuilder(List.of(server.toString(), "-H", "127.0.0.1", "-p",
                        Integer.toString(port))).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            } catch (IOException e) {
                deleteQuietly(log);
                throw new IllegalStateException("cannot run " + server + ": " + e.getMessage()
                        + "; run scripts/ensure-moto.sh " + venv + " " + VERSION + " to repair the venv", e);
            }
            MotoServer moto = new MotoServer(process, URI.create("http://127.0.0.1:" + port), log);
            try {
                moto.awaitAnswering();
                return moto;
            } catch (IllegalStateException e) {
                moto.stop();
                last = e;
                if (!e.getMessage().startsWith("moto_server exited")) {
                    break; // not a port clash: trying again would only wait again
                }
            }
        }
        if (!last.getMessage().contains(log.toString())) {
            deleteQuietly(log); // the message already quotes moto's output
        }
        throw last;
    }

    /** {@code http://127.0.0.1:<port>}: the endpoint override for every AWS client (or {@code AWS_ENDPOINT_URL}). */
    public URI endpoint() {
        return endpoint;
    }

    /** Where moto's own output goes, for diagnosing a failed test. */
    public Path log() {
        return log;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** Forgets every parameter, secret and other resource: moto's {@code POST /moto-api/reset}. */
    public void reset() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("moto reset answered HTTP " + response.statusCode() + "; see " + log);
        }
    }

    /** Stops moto (SIGTERM, then SIGKILL after 10 s) and deletes its log. Idempotent. */
    @Override
    public void close() {
        stop();
        deleteQuietly(log);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    private void stop() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void awaitAnswering() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(endpoint.resolve("/moto-api/")).timeout(Duration.ofSeconds(5))
                .GET().build();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited with " + process.exitValue()
                        + " before answering on " + endpoint + ": " + tail());
            }
            try {
                HTTP.send(probe, HttpResponse.BodyHandlers.discarding());
                return; // any HTTP answer means it serves requests
            } catch (IOException notYet) {
                // still starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto_server", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("moto_server did not answer on " + endpoint + " within "
                        + STARTUP_TIMEOUT.toSeconds() + " s; see " + log);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto_server", e);
            }
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("moto on " + endpoint + " did not answer: " + e.getMessage()
                    + "; see " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The last lines moto wrote, for an error message. */
    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(log " + log + " unreadable)";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port: " + e.getMessage(), e);
        }
    }
}
