package io.pilotfish.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real Fluentd forward clients outside the test JVM, each driving the same small app: fluent-logger-golang (the
 * library Docker's fluentd and awsfirelens log drivers are built on; Go module proxy), fluency (Maven Central),
 * {@code @fluent-org/logger} (npm) and fluent-logger (PyPI), as {@code scripts/ensure-fluent-clients.sh} installs
 * them into {@code pilotfish.fluent-clients.dir} at the root pom's pins, with the apps of
 * {@code src/test/fluent-apps/} built against them. When the script cannot install a client the test fails with its
 * message: nothing is ever skipped.
 *
 * <p>Each app sends {@code APP_LINES} records (default 100) whose message is {@code line <i> of <APP_NAME>}, i from
 * 1, in order, every 5th line ({@code i % 5 == 0}) with {@code source: stderr} and the others {@code source: stdout},
 * to {@code FLUENT_TARGET} ({@code tcp:<port>} on 127.0.0.1 or {@code unix:<path>}), with the forward protocol's
 * chunk/ack option when {@code FLUENT_ACK=true}. It prints {@code sent N records} and exits 0 only once every record
 * was written (with ack: acknowledged); otherwise it exits 1 (2 for a transport or ack its library does not have).
 * The message is the {@code log} field, as Docker's driver writes it. The Go app sends exactly the driver's record for
 * an awsfirelens container ({@code log}, {@code source}, {@code container_id}, {@code container_name} "/name", plus
 * the {@code ecs_cluster}, {@code ecs_task_arn}, {@code ecs_task_definition} FireLens adds) under the tag
 * {@code <container>-firelens-<task id>}, from {@code APP_CONTAINER_NAME}, {@code APP_CONTAINER_ID},
 * {@code ECS_CLUSTER}, {@code ECS_TASK_ARN}, {@code ECS_TASK_DEFINITION}; the others use the tag {@code FLUENT_TAG}
 * (default {@code app-<language>}). None inherits FLUENT_*, APP_* or ECS_* from the test JVM's environment.
 */
final class FluentClients {

    /** A client library, its app, and what the library can do. */
    enum Client {
        GO("fluent-logger-golang", true, true),
        /** fluency 2.7 has TCP and TLS senders only. */
        JAVA("fluency", false, true),
        NODE("@fluent-org/logger", true, true),
        /** fluent-logger (Python) writes and never reads: no chunk/ack. */
        PYTHON("fluent-logger", true, false);

        final String library;
        final boolean unixSocket;
        final boolean ack;

        Client(String library, boolean unixSocket, boolean ack) {
            this.library = library;
            this.unixSocket = unixSocket;
            this.ack = ack;
        }
    }

    /** Where an app sends: {@code tcp:<port>} on 127.0.0.1 or {@code unix:<path>}. */
    record Target(String value) {
        static Target tcp(int port) {
            return new Target("tcp:" + port);
        }

        static Target unix(Path socket) {
            return new Target("unix:" + socket);
        }

        boolean unixSocket() {
            return value.startsWith("unix:");
        }

        @Override
        public String toString() {
            return value;
        }
    }

    /** Every record, handed over, is announced so. */
    static String sentLine(int lines) {
        return "sent " + lines + " records";
    }

    /** The message of line {@code i} of the app run named {@code name}. */
    static String line(int i, String name) {
        return "line " + i + " of " + name;
    }

    /** Whether line {@code i} goes out as stderr (status error) rather than stdout (status info). */
    static boolean stderr(int i) {
        return i % 5 == 0;
    }

    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);

    private final Path dir;
    private final String goVersion;
    private final String fluencyVersion;
    private final String jsVersion;
    private final String pyVersion;

    private FluentClients(Path dir, String goVersion, String fluencyVersion, String jsVersion, String pyVersion) {
        this.dir = dir;
        this.goVersion = goVersion;
        this.fluencyVersion = fluencyVersion;
        this.jsVersion = jsVersion;
        this.pyVersion = pyVersion;
    }

    /** The installed clients and apps at the pinned versions, installing and building them first when needed. */
    static FluentClients installed() throws IOException, InterruptedException {
        FluentClients clients = new FluentClients(Path.of(required("pilotfish.fluent-clients.dir")),
                required("pilotfish.fluent-logger-golang.version"), required("pilotfish.fluency.version"),
                required("pilotfish.fluent-org-logger.version"), required("pilotfish.fluent-logger-py.version"));
        // Maven's pre-integration-test has run it already; again here it only checks the versions and the app
        // builds (well under a second), so a run from an IDE gets the pinned clients too.
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

    private void install() throws IOException, InterruptedException {
        Path script = Path.of(required("pilotfish.fluent-clients.installer"));
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), dir.toString(), goVersion,
                fluencyVersion, jsVersion, pyVersion);
        ChildProcess.Result result = ChildProcess.run(builder, INSTALL_TIMEOUT);
        if (result.exitCode() != 0 || !complete()) {
            throw new AssertionError("the Fluentd forward clients (fluent-logger-golang " + goVersion + ", fluency "
                    + fluencyVersion + ", @fluent-org/logger " + jsVersion + ", fluent-logger " + pyVersion
                    + ") are not installed in " + dir + " and " + script + " could not install them (exit "
                    + result.exitCode() + "):\n" + result.stderr());
        }
    }

    private boolean complete() {
        return Files.isExecutable(dir.resolve("go/fluent-app"))
                && Files.isRegularFile(dir.resolve("java/lib/fluency-fluentd-" + fluencyVersion + ".jar"))
                && Files.isRegularFile(dir.resolve("java/classes/FluentApp.class"))
                && Files.isRegularFile(dir.resolve("node/node_modules/@fluent-org/logger/package.json"))
                && Files.isRegularFile(dir.resolve("node/app.js"))
                && Files.isExecutable(dir.resolve("python/bin/python"))
                && Files.isRegularFile(dir.resolve("python/app.py"));
    }

    Path dir() {
        return dir;
    }

    /** The pinned version of the client's library. */
    String version(Client client) {
        return switch (client) {
            case GO -> "v" + goVersion.replaceFirst("^v", "");
            case JAVA -> fluencyVersion;
            case NODE -> jsVersion;
            case PYTHON -> pyVersion;
        };
    }

    /**
     * Runs the app of {@code client} to its end: {@code lines} records named {@code name} to {@code target}, acked
     * when {@code ack}, with {@code extraEnv} (APP_CONTAINER_NAME, ECS_TASK_ARN... for the Go app) on top, and
     * returns its stdout ({@code sent N records}). Fails with its stderr when it exits non-zero or does not end
     * within {@code timeout} (then it is killed), and up front for a transport or ack the library does not have.
     */
    String run(Client client, Target target, boolean ack, String name, int lines, Map<String, String> extraEnv,
               Duration timeout) throws IOException, InterruptedException {
        if (target.unixSocket() && !client.unixSocket) {
            throw new IllegalArgumentException(client.library + " " + version(client) + " has no Unix socket sender");
        }
        if (ack && !client.ack) {
            throw new IllegalArgumentException(client.library + " " + version(client) + " has no chunk/ack option");
        }
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command(client)));
        // Only what the test gives counts: the Go app reads ECS_* for the FireLens fields.
        builder.environment().keySet().removeIf(k -> k.startsWith("FLUENT_") || k.startsWith("APP_")
                || k.startsWith("ECS_"));
        builder.environment().putAll(extraEnv);
        builder.environment().put("FLUENT_TARGET", target.value());
        builder.environment().put("FLUENT_ACK", Boolean.toString(ack));
        builder.environment().put("APP_NAME", name);
        builder.environment().put("APP_LINES", Integer.toString(lines));
        // The app gives up (and says how far it got) before the test kills it.
        builder.environment().put("APP_DEADLINE_SECONDS", Long.toString(Math.max(5, timeout.toSeconds() - 10)));
        ChildProcess.Result result = ChildProcess.run(builder, timeout);
        if (result.exitCode() != 0) {
            throw new AssertionError(client + " fluent app (" + client.library + " " + version(client) + ", "
                    + target + (ack ? ", ack" : "") + "): " + String.join(" ", builder.command())
                    + (result.exitCode() == -1 ? " did not end" : " exited " + result.exitCode()) + " after "
                    + result.took().toMillis() + " ms; stderr:\n" + result.stderr() + "\nstdout:\n" + result.stdout());
        }
        return result.stdout();
    }

    /** The command that runs the app of {@code client}. */
    List<String> command(Client client) {
        return switch (client) {
            case GO -> List.of(dir.resolve("go/fluent-app").toString());
            case JAVA -> {
                Path javaDir = dir.resolve("java");
                // The launcher expands lib/* to every jar in lib: fluency and its runtime dependencies.
                String classpath = javaDir.resolve("classes") + File.pathSeparator + javaDir.resolve("lib") + "/*";
                yield List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dfluency.version=" + fluencyVersion, "-cp", classpath, "FluentApp");
            }
            // app.js sits next to node_modules: require("@fluent-org/logger") finds the pinned one.
            case NODE -> List.of("node", dir.resolve("node/app.js").toString());
            case PYTHON -> List.of(dir.resolve("python/bin/python").toString(), dir.resolve("python/app.py").toString());
        };
    }
}
