package io.pilotfish.health;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * {@code pilotfish health} for an ECS container {@code healthCheck}: asks the agent's loopback {@code GET /health}
 * and prints one line, {@code healthy} or {@code degraded: ...} (exit 0) or {@code unhealthy: ...} (exit 1).
 *
 * <p>It is plain Java with no dependencies so the launcher can run it in a small JVM without starting Quarkus:
 * ECS runs it every 30 s beside the agent, in a task that may have half a vCPU. The Quarkus command
 * ({@code HealthCommand}) calls {@link #check}, so both say the same thing.
 */
public final class HealthProbe {

    /** For connecting and reading the answer together; ECS's own check timeout defaults to 5 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    static final String USAGE = """
            Usage: pilotfish health [--port N]
            Exit 0 when the agent in this task is running, 1 otherwise (for an ECS healthCheck).
                  --port N   The status port (default: pilotfish.status.port, 5001).
              -h, --help     Show this help message and exit.
            """;

    /** Exit code for a bad option (picocli's usage error code, as the Quarkus command gives). */
    static final int EXIT_USAGE = 2;

    private HealthProbe() {
    }

    public static void main(String[] args) {
        int exitCode = run(args, System.getProperties(), System.getenv(), System.out, System.err, DEFAULT_TIMEOUT);
        // halt, not exit: since JDK 21 System.exit looks up a System.Logger to log the exit, which loads 84 classes,
        // about 3 ms of the probe's 45 ms of CPU. There are no shutdown hooks to run; run() flushed its output.
        Runtime.getRuntime().halt(exitCode);
    }

    /** The command line: {@code [--port N | --port=N] [-h | --help]}; returns the exit code. */
    static int run(String[] args, Properties systemProperties, Map<String, String> env, PrintStream out,
                   PrintStream err, Duration timeout) {
        Integer port = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value;
            if (arg.equals("-h") || arg.equals("--help")) {
                out.print(USAGE);
                out.flush();
                return 0;
            } else if (arg.equals("--port") && i + 1 < args.length) {
                value = args[++i];
            } else if (arg.startsWith("--port=")) {
                value = arg.substring("--port=".length());
            } else {
                err.print((arg.equals("--port") ? "Missing required parameter for option '--port'"
                        : "Unknown option: '" + arg + "'") + "\n" + USAGE);
                err.flush();
                return EXIT_USAGE;
            }
            try {
                port = Integer.valueOf(value.trim());
            } catch (NumberFormatException e) {
                err.print("Invalid value for option '--port': '" + value + "' is not an int\n" + USAGE);
                err.flush();
                return EXIT_USAGE;
            }
        }
        HealthVerdict verdict = check(port, systemProperties, env, timeout);
        out.println(verdict.line());
        out.flush();
        return verdict.exitCode();
    }

    /**
     * Resolves the endpoint as the agent does and asks it.
     *
     * @param portOption the {@code --port} option, or null for the configured port
     * @param timeout    for connecting and reading together
     */
    public static HealthVerdict check(Integer portOption, Properties systemProperties, Map<String, String> env,
                                      Duration timeout) {
        StatusEndpoint endpoint;
        try {
            endpoint = StatusEndpoint.resolve(portOption, systemProperties, env);
        } catch (IllegalArgumentException e) {
            return HealthVerdict.unhealthy(e.getMessage());
        }
        if (endpoint.off()) {
            return HealthVerdict.unhealthy("the agent's status endpoint is off (" + endpoint.portSetting() + ")");
        }
        return ask(endpoint, timeout);
    }

    /** {@code GET /health} on {@code endpoint}, judged by the answer's contract ({@link HealthVerdict#of}). */
    public static HealthVerdict ask(StatusEndpoint endpoint, Duration timeout) {
        HttpGet.Answer answer;
        try {
            answer = HttpGet.get(endpoint.connectHost(), endpoint.port(), "/health", timeout);
        } catch (IOException e) {
            return HealthVerdict.unhealthy("no agent answers on " + endpoint.authority() + " (" + reason(e, timeout)
                    + ")");
        }
        return HealthVerdict.of(endpoint, answer);
    }

    private static String reason(IOException e, Duration timeout) {
        if (e instanceof HttpGet.TimeoutException timedOut) {
            return (timedOut.connected ? "no answer within " : "no connection within ") + describe(timeout);
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        String message = e.getMessage();
        if (message == null || message.isEmpty()) {
            return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
        }
        // The JDK's "Connection refused", "No route to host": read inside the sentence the probe prints.
        return Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }

    private static String describe(Duration timeout) {
        long millis = timeout.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
