package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The packaged agent ({@code runtime/agent/target/quarkus-app}) as a separate process, started the way the
 * launcher starts it. Output is captured for assertions; {@link #close} checks the API key never appeared in it.
 */
final class AgentProcess implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final String secret;
    private final Thread pump;

    private AgentProcess(Process process, String secret) {
        this.process = process;
        this.secret = secret;
        this.pump = new Thread(this::readOutput, "agent-output");
        this.pump.setDaemon(true);
        this.pump.start();
    }

    static Builder builder() {
        return new Builder();
    }

    static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<String> args = new ArrayList<>();
        private boolean nohup;
        private boolean launcher;

        Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** Starts the agent under {@code nohup}, which leaves SIGHUP ignored in it. */
        Builder underNohup() {
            nohup = true;
            return this;
        }

        /**
         * Runs the agent through the {@code pilotfish} launcher at the project's root, with its JVM flags (the 48 MiB
         * heap, exit on OutOfMemoryError) exactly as a user runs it; properties go in {@code PILOTFISH_JAVA_OPTS}.
         */
        Builder viaLauncher() {
            launcher = true;
            return this;
        }

        Builder args(String... more) {
            args.addAll(List.of(more));
            return this;
        }

        /** The packaged agent's command line and a clean environment, as {@link #start} runs them. */
        ProcessBuilder processBuilder() {
            Path app = Path.of(System.getProperty("pilotfish.agent.dir", "../runtime/agent/target/quarkus-app"));
            Path jar = app.resolve("quarkus-run.jar");
            if (!Files.exists(jar)) {
                throw new IllegalStateException("packaged agent missing at " + jar + "; build runtime/agent first");
            }
            List<String> command = new ArrayList<>();
            if (nohup) {
                command.add("nohup");
            }
            if (launcher) {
                command.add(app.resolve("../../../../pilotfish").normalize().toString());
                command.addAll(args);
                ProcessBuilder builder = new ProcessBuilder(command);
                builder.environment().keySet().removeIf(k -> k.startsWith("DD_") || k.startsWith("ECS_")
                        || k.startsWith("PILOTFISH_"));
                builder.environment().putAll(env);
                List<String> options = new ArrayList<>();
                properties.forEach((k, v) -> options.add("-D" + k + "=" + v));
                builder.environment().put("PILOTFISH_JAVA_OPTS", String.join(" ", options));
                return builder;
            }
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(List.of("-XX:+UseSerialGC", "-Xmx128m", "-XX:ReservedCodeCacheSize=32m"));
            if (Runtime.version().feature() >= 23) {
                command.add("--sun-misc-unsafe-memory-access=allow"); // as the launcher: the logs sink's zstd
            }
            properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
            command.add("-jar");
            command.add(jar.toString());
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command);
            // A clean environment: only what the test gives, like a task definition.
            builder.environment().keySet().removeIf(k -> k.startsWith("DD_") || k.startsWith("ECS_")
                    || k.startsWith("PILOTFISH_"));
            builder.environment().putAll(env);
            return builder;
        }

        AgentProcess start() throws IOException {
            return new AgentProcess(processBuilder().redirectErrorStream(true).start(),
                    env.getOrDefault("DD_API_KEY", ""));
        }

        /** Runs a command of the agent ({@code config}, {@code status}...) to its end, stdout and stderr apart. */
        CommandOutput runToEnd(Duration timeout) throws IOException, InterruptedException {
            return AgentProcess.runToEnd(processBuilder(), timeout);
        }
    }

    /** What a command printed on each stream, and its exit code. */
    record CommandOutput(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit code " + exitCode + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
        }
    }

    /**
     * Runs {@code builder}'s command to its end with stdout and stderr in files (no pipe to fill up and block it).
     * Fails if it does not end within {@code timeout}.
     */
    static CommandOutput runToEnd(ProcessBuilder builder, Duration timeout) throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("pilotfish-stdout", ".txt");
        Path stderr = Files.createTempFile("pilotfish-stderr", ".txt");
        try {
            Process process = builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", builder.command()) + " did not end within "
                        + timeout.toSeconds() + " s; stdout:\n" + Files.readString(stdout) + "\nstderr:\n"
                        + Files.readString(stderr));
            }
            return new CommandOutput(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    private void readOutput() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
                if (System.getenv("PILOTFISH_IT_ECHO") != null) {
                    System.out.println("[agent] " + mask(line));
                }
            }
        } catch (IOException e) {
            // process ended
        }
    }

    private String mask(String line) {
        return secret.isEmpty() ? line : line.replace(secret, "<API KEY>");
    }

    List<String> output() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The output, with the API key masked, for assertion messages. */
    String outputText() {
        return String.join("\n", output().stream().map(this::mask).toList());
    }

    boolean awaitLine(Predicate<String> matcher, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (true) {
                if (lines.stream().anyMatch(matcher)) {
                    return true;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                lines.wait(Math.min(left, 200));
            }
        }
    }

    /** SIGTERM, as ECS sends at task stop. Through the handle: {@code Process.destroy()} also closes the pipes,
     * which would lose everything the agent says while it shuts down. */
    void terminate() {
        process.toHandle().destroy();
    }

    long pid() {
        return process.pid();
    }

    /** The process's peak resident set so far ({@code VmHWM}), in KiB; -1 once it has exited. */
    long peakRssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGHUP: reload the configuration, as {@code kill -HUP 1} through ECS Exec does. */
    void hangUp() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -HUP " + process.pid() + " failed");
        }
    }

    /** Waits for the exit code; -1 if it did not exit in time. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return -1;
        }
        pump.join(2000);
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        pump.join(2000);
        if (!secret.isEmpty()) {
            // In any form an intake or proxy may have echoed it in, not only as it was given.
            List<String> leaked = io.pilotfish.testkit.SecretEchoes.leaked(secret, output());
            assertTrue(leaked.isEmpty(), "the API key appeared in the agent's output: " + leaked);
        }
    }
}
