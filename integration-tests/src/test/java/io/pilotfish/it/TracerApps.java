package io.pilotfish.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real Datadog tracers outside the test JVM, each driving the same small app: dd-java-agent (Maven Central),
 * dd-trace (npm), ddtrace (PyPI) and dd-trace-go, as {@code scripts/ensure-tracers.sh} installs them into
 * {@code pilotfish.tracers.dir} at the root pom's pins, with the apps of {@code src/test/tracer-apps/} built against
 * them. When the script cannot install a tracer the test fails with its message: nothing is ever skipped.
 *
 * <p>Each app sends {@code APP_TRACES} traces (default 20), {@code APP_ERRORS} of them (default 5, the first ones)
 * errors: a root {@code web.request} span (service {@code DD_SERVICE}, type web, resource {@code GET /users/{id}},
 * http.status_code 200 or 500 with the error set) with one child {@code postgres.query} (service
 * {@code DD_SERVICE-postgres}, type sql, resource {@code SELECT * FROM users WHERE id = 42 AND name = 'alice'},
 * db.system=postgresql). It flushes everything, prints {@code sent N traces} and exits 0. The tracers read only their
 * standard environment, which the test gives: {@code DD_TRACE_AGENT_URL} ({@code http://127.0.0.1:PORT} or
 * {@code unix:///path/apm.socket}; required here, so that nothing goes to a real agent on 8126), {@code DD_SERVICE},
 * {@code DD_ENV}, {@code DD_VERSION}, {@code DD_TRACE_STATS_COMPUTATION_ENABLED}...; none is inherited from the test
 * JVM's environment.
 */
final class TracerApps {

    enum Language { JAVA, NODE, PYTHON, GO }

    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);

    private final Path dir;
    private final String javaAgentVersion;
    private final String jsVersion;
    private final String pyVersion;
    private final String goVersion;

    private TracerApps(Path dir, String javaAgentVersion, String jsVersion, String pyVersion, String goVersion) {
        this.dir = dir;
        this.javaAgentVersion = javaAgentVersion;
        this.jsVersion = jsVersion;
        this.pyVersion = pyVersion;
        this.goVersion = goVersion;
    }

    /** The installed tracers and apps at the pinned versions, installing and building them first when needed. */
    static TracerApps installed() throws IOException, InterruptedException {
        TracerApps apps = new TracerApps(Path.of(required("pilotfish.tracers.dir")),
                required("pilotfish.dd-java-agent.version"), required("pilotfish.dd-trace-js.version"),
                required("pilotfish.ddtrace-py.version"), required("pilotfish.dd-trace-go.version"));
        // Maven's pre-integration-test has run it already; again here it only checks the versions and the app
        // builds (about half a second), so a run from an IDE gets the pinned tracers too.
        apps.install();
        return apps;
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
        Path script = Path.of(required("pilotfish.tracers.installer"));
        ChildProcess.Result result = exec(List.of("bash", script.toString(), dir.toString(), javaAgentVersion,
                jsVersion, pyVersion, goVersion), Map.of(), INSTALL_TIMEOUT);
        if (result.exitCode() != 0 || !complete()) {
            throw new AssertionError("the Datadog tracers (dd-java-agent " + javaAgentVersion + ", dd-trace "
                    + jsVersion + ", ddtrace " + pyVersion + ", dd-trace-go " + goVersion + ") are not installed in "
                    + dir + " and " + script + " could not install them (exit " + result.exitCode() + "):\n"
                    + result.stderr());
        }
    }

    private boolean complete() {
        return Files.isRegularFile(dir.resolve("java/dd-java-agent.jar"))
                && Files.isRegularFile(dir.resolve("java/classes/TracerApp.class"))
                && Files.isRegularFile(dir.resolve("node/node_modules/dd-trace/package.json"))
                && Files.isRegularFile(dir.resolve("node/app.js"))
                && Files.isExecutable(dir.resolve("python/bin/python"))
                && Files.isRegularFile(dir.resolve("python/app.py"))
                && Files.isExecutable(dir.resolve("go/tracer-app"));
    }

    Path dir() {
        return dir;
    }

    /** The pinned tracer version, as in its Datadog-Meta-Tracer-Version header but for Java's "~commit" suffix. */
    String version(Language language) {
        return switch (language) {
            case JAVA -> javaAgentVersion;
            case NODE -> jsVersion;
            case PYTHON -> pyVersion;
            case GO -> "v" + goVersion.replaceFirst("^v", "");
        };
    }

    /**
     * Starts the app of {@code language} with the tracer's environment {@code env} (plus APP_TRACES / APP_ERRORS),
     * stdin closed. The caller reads (or discards) its stdout and stderr, or uses {@link #run}.
     */
    Process start(Language language, Map<String, String> env) throws IOException {
        ProcessBuilder builder = builder(language, env);
        Process process = builder.start();
        process.getOutputStream().close();
        return process;
    }

    /**
     * Runs the app of {@code language} to its end and returns its stdout ("sent N traces"); fails with its stderr
     * when it exits non-zero or does not end within {@code timeout} (then it is killed).
     */
    String run(Language language, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder builder = builder(language, env);
        ChildProcess.Result result = ChildProcess.run(builder, timeout);
        if (result.exitCode() != 0) {
            throw new AssertionError(language + " tracer app (" + version(language) + "): "
                    + String.join(" ", builder.command()) + (result.exitCode() == -1 ? " did not end" : " exited "
                    + result.exitCode()) + " after " + result.took().toMillis() + " ms; stderr:\n" + result.stderr()
                    + "\nstdout:\n" + result.stdout());
        }
        return result.stdout();
    }

    /** The command that runs the app of {@code language}. */
    List<String> command(Language language) {
        return switch (language) {
            case JAVA -> {
                Path javaDir = dir.resolve("java");
                String classpath = String.join(File.pathSeparator, javaDir.resolve("classes").toString(),
                        javaDir.resolve("lib/dd-trace-api.jar").toString(),
                        javaDir.resolve("lib/opentracing-api.jar").toString(),
                        javaDir.resolve("lib/opentracing-util.jar").toString(),
                        javaDir.resolve("lib/opentracing-noop.jar").toString());
                // The JDK the tests run on (find-java.sh's, 21 or newer). dd-java-agent 1.40 bundles Byte Buddy
                // 1.14.18, which knows JDKs up to 23: without the experimental flag its instrumentation does not
                // install on 24+ (the tracer then runs, but OpenTracing's GlobalTracer stays a no-op, which the app
                // reports and exits 2). The flag changes nothing on the JDKs it knows.
                yield List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dnet.bytebuddy.experimental=true",
                        "-javaagent:" + javaDir.resolve("dd-java-agent.jar"),
                        "-cp", classpath, "TracerApp");
            }
            // app.js sits next to node_modules: require("dd-trace") finds the pinned one.
            case NODE -> List.of("node", dir.resolve("node/app.js").toString());
            case PYTHON -> List.of(dir.resolve("python/bin/python").toString(),
                    dir.resolve("python/app.py").toString());
            case GO -> List.of(dir.resolve("go/tracer-app").toString());
        };
    }

    private ProcessBuilder builder(Language language, Map<String, String> env) {
        if (!env.containsKey("DD_TRACE_AGENT_URL")) {
            throw new IllegalArgumentException("give the tracer app DD_TRACE_AGENT_URL (http://127.0.0.1:PORT or "
                    + "unix:///path/apm.socket): without it the tracer sends to a real agent on 127.0.0.1:8126");
        }
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command(language)));
        // As in AgentProcess: the tracers read DD_*, DATADOG_* and OTEL_* from the environment; only what the test
        // gives counts.
        builder.environment().keySet().removeIf(k -> k.startsWith("DD_") || k.startsWith("DATADOG_")
                || k.startsWith("OTEL_") || k.startsWith("APP_"));
        Map<String, String> effective = new HashMap<>(env);
        if (language == Language.JAVA && env.containsKey("DD_TRACE_STATS_COMPUTATION_ENABLED")
                && !env.containsKey("DD_TRACE_TRACER_METRICS_ENABLED")) {
            // dd-java-agent 1.40 knows client-side stats only by their older name.
            effective.put("DD_TRACE_TRACER_METRICS_ENABLED", env.get("DD_TRACE_STATS_COMPUTATION_ENABLED"));
        }
        builder.environment().putAll(effective);
        return builder;
    }

    private static ChildProcess.Result exec(List<String> command, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        builder.environment().putAll(env);
        return ChildProcess.run(builder, timeout);
    }
}
