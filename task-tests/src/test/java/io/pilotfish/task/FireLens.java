package io.pilotfish.task;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.testcontainers.containers.output.OutputFrame;

/**
 * What ECS does for a task whose definition has a FireLens log router ({@code firelensConfiguration} of type
 * {@code fluentbit}), as the ECS agent does it on Linux:
 * <ul>
 *   <li>it generates the router's Fluent Bit configuration ({@link #generatedConfig}): the forward input on the Unix
 *       socket {@code /var/run/fluent.sock} and on TCP 24224 (on {@code 127.0.0.1} in awsvpc), the health-check
 *       input and its null output, a {@code grep} filter per {@code include-pattern} and {@code exclude-pattern}
 *       option, the {@code record_modifier} filter with the task's cluster, ARN and definition
 *       ({@code enable-ecs-log-metadata}, on by default), and an {@code [OUTPUT]} per app container with
 *       {@code Match <container>-firelens*} and its {@code awsfirelens} options as keys; a {@code secretOptions}
 *       entry becomes {@code ${<name>_<container index>}}, and ECS gives the router that variable with the value it
 *       read from SSM ({@link #routerEnvironment});</li>
 *   <li>it mounts that file at {@code /fluent-bit/etc/fluent-bit.conf} in the router, and a host directory owned by
 *       the router's user at {@code /var/run/} for the socket;</li>
 *   <li>it points each app container's Docker log driver ({@code fluentd}, with the tag
 *       {@code <container>-firelens-<task id>}, async connect and sub-second precision) at that socket. podman has no
 *       such driver, so {@link Driver} plays it with fluent-logger-golang, the library Docker's driver is built on
 *       (the fluent app of {@code integration-tests/src/test/fluent-apps/go}, reading the container's lines from its
 *       standard input).</li>
 * </ul>
 */
final class FireLens {

    /** Where ECS mounts the generated configuration in the router. */
    static final String CONFIG_PATH = "/fluent-bit/etc/fluent-bit.conf";
    /** Where ECS mounts the socket directory in the router (the driver writes to {@code fluent.sock} in it). */
    static final String SOCKET_DIR = "/var/run/";
    static final String SOCKET_NAME = "fluent.sock";

    /** The log options ECS takes out of the output section (they become filters, or are the driver's own). */
    private static final List<String> NOT_OUTPUT_OPTIONS = List.of("Name", "include-pattern", "exclude-pattern",
            "log-driver-buffer-limit");

    private FireLens() {
    }

    /** The task's identity as ECS writes it into the configuration. */
    record Task(String cluster, String taskArn, String family, String revision) {
    }

    /** The Fluent Bit configuration ECS generates for the task's router (awsvpc mode). */
    static String generatedConfig(TaskDefinition definition, Task task) {
        TaskDefinition.Container router = definition.firelensRouter()
                .orElseThrow(() -> new IllegalArgumentException("task " + definition.family() + " has no log router"));
        TaskDefinition.FirelensConfiguration firelens = router.firelensConfiguration().orElseThrow();
        if (!"fluentbit".equals(firelens.type())) {
            throw new IllegalArgumentException("only a fluentbit router is simulated, not " + firelens.type());
        }
        if (!"awsvpc".equals(definition.networkMode())) {
            throw new IllegalArgumentException("FireLens is simulated in awsvpc mode only, not "
                    + definition.networkMode());
        }
        StringBuilder text = new StringBuilder();
        section(text, "INPUT", List.of(List.of("Name", "forward"), List.of("unix_path", "/var/run/" + SOCKET_NAME)));
        section(text, "INPUT", List.of(List.of("Name", "forward"), List.of("Listen", "127.0.0.1"),
                List.of("Port", Integer.toString(EcsTask.FLUENT_PORT))));
        section(text, "INPUT", List.of(List.of("Name", "tcp"), List.of("Tag", "firelens-healthcheck"),
                List.of("Listen", "127.0.0.1"), List.of("Port", "8877")));
        List<TaskDefinition.Container> apps = apps(definition);
        for (TaskDefinition.Container app : apps) {
            Map<String, String> options = app.logConfiguration().orElseThrow().options();
            if (options.containsKey("include-pattern")) {
                section(text, "FILTER", List.of(List.of("Name", "grep"), List.of("Match", match(app)),
                        List.of("Regex", "log " + options.get("include-pattern"))));
            }
            if (options.containsKey("exclude-pattern")) {
                section(text, "FILTER", List.of(List.of("Name", "grep"), List.of("Match", match(app)),
                        List.of("Exclude", "log " + options.get("exclude-pattern"))));
            }
        }
        if (firelens.ecsLogMetadata()) {
            section(text, "FILTER", List.of(List.of("Name", "record_modifier"), List.of("Match", "*"),
                    List.of("Record", "ecs_cluster " + task.cluster()),
                    List.of("Record", "ecs_task_arn " + task.taskArn()),
                    List.of("Record", "ecs_task_definition " + task.family() + ":" + task.revision())));
        }
        section(text, "OUTPUT", List.of(List.of("Name", "null"), List.of("Match", "firelens-healthcheck")));
        for (TaskDefinition.Container app : apps) {
            TaskDefinition.LogConfiguration log = app.logConfiguration().orElseThrow();
            String output = log.options().get("Name");
            if (output == null) {
                // ECS writes no output section without the Name option (the user's own file must have one).
                continue;
            }
            // ECS's generator writes an output's options from a Go map: sorted by key.
            Map<String, String> options = new TreeMap<>();
            log.options().forEach((key, value) -> {
                if (!NOT_OUTPUT_OPTIONS.contains(key)) {
                    options.put(key, value);
                }
            });
            for (TaskDefinition.SecretOption secret : log.secretOptions()) {
                options.put(secret.name(), "${" + variable(definition, app, secret) + "}");
            }
            List<List<String>> lines = new ArrayList<>();
            lines.add(List.of("Name", output));
            lines.add(List.of("Match", match(app)));
            options.forEach((key, value) -> lines.add(List.of(key, value)));
            section(text, "OUTPUT", lines);
        }
        return text.toString();
    }

    /**
     * The variables ECS adds to the router's environment for the log options in {@code secretOptions}: each value as
     * read (with the execution role) from the parameter its {@code valueFrom} names.
     */
    static Map<String, String> routerEnvironment(TaskDefinition definition, Function<String, String> ssmParameter) {
        Map<String, String> env = new LinkedHashMap<>();
        for (TaskDefinition.Container app : apps(definition)) {
            for (TaskDefinition.SecretOption secret : app.logConfiguration().orElseThrow().secretOptions()) {
                env.put(variable(definition, app, secret), ssmParameter.apply(parameterName(secret.valueFrom())));
            }
        }
        return env;
    }

    /** The SSM parameter a {@code valueFrom} names: its ARN's {@code parameter/...} part, or the name as given. */
    static String parameterName(String valueFrom) {
        if (!valueFrom.startsWith("arn:")) {
            return valueFrom;
        }
        String[] arn = valueFrom.split(":", 6);
        if (arn.length < 6 || !arn[2].equals("ssm") || !arn[5].startsWith("parameter/")) {
            throw new IllegalArgumentException("only SSM parameters are simulated for secretOptions: " + valueFrom);
        }
        return arn[5].substring("parameter".length());
    }

    /** The app containers whose log driver is awsfirelens, in the definition's order. */
    static List<TaskDefinition.Container> apps(TaskDefinition definition) {
        return definition.containers().stream()
                .filter(c -> c.logConfiguration().map(TaskDefinition.LogConfiguration::isFireLens).orElse(false))
                .toList();
    }

    private static String match(TaskDefinition.Container app) {
        return app.name() + "-firelens*";
    }

    /** ECS's config variable for a log secret: the option's name and the container's index in the task. */
    private static String variable(TaskDefinition definition, TaskDefinition.Container app,
                                   TaskDefinition.SecretOption secret) {
        return secret.name() + "_" + definition.indexOf(app.name());
    }

    private static void section(StringBuilder text, String kind, List<List<String>> lines) {
        text.append('[').append(kind).append("]\n");
        for (List<String> line : lines) {
            text.append("    ").append(line.get(0)).append(' ').append(line.get(1)).append('\n');
        }
        text.append('\n');
    }

    /**
     * Docker's fluentd log driver for one container, as ECS configures it for awsfirelens: it follows the container's
     * stdout and stderr from its start, splits them into lines, and hands each line as it comes to the real
     * fluent-logger-golang client (the fluent app, {@code APP_INPUT=-}), which sends it to the router's socket with
     * the driver's tag and record ({@code log}, {@code source}, {@code container_id}, {@code container_name}; the ECS
     * fields are the router's {@code record_modifier}'s). Once the container's output has ended the client sends what
     * it holds and exits: the driver is done.
     */
    static final class Driver implements EcsTask.LogDriver {

        private static final String END = "\u0000end";

        private final Path fluentApp;
        private final Path socket;
        private final String taskArn;
        private final String containerName;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private final Path clientLog;
        private volatile Process client;
        private volatile Thread pump;
        private volatile long linesHandedOver;

        Driver(Path fluentApp, Path socket, String taskArn, String containerName) throws IOException {
            this.fluentApp = fluentApp;
            this.socket = socket;
            this.taskArn = taskArn;
            this.containerName = containerName;
            this.clientLog = Files.createTempFile("firelens-driver-" + containerName + "-", ".log");
        }

        @Override
        public synchronized void accept(OutputFrame frame) {
            switch (frame.getType()) {
                case STDOUT -> split(frame.getBytes(), stdout, "stdout");
                case STDERR -> split(frame.getBytes(), stderr, "stderr");
                case END -> {
                    // A last line without its line feed is sent too, as Docker's driver sends it at the close.
                    flushPartial(stdout, "stdout");
                    flushPartial(stderr, "stderr");
                    lines.add(END);
                }
            }
        }

        private void split(byte[] bytes, ByteArrayOutputStream partial, String source) {
            if (bytes == null) {
                return;
            }
            for (byte b : bytes) {
                if (b == '\n') {
                    lines.add(source + " " + partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                } else {
                    partial.write(b);
                }
            }
        }

        private void flushPartial(ByteArrayOutputStream partial, String source) {
            if (partial.size() > 0) {
                lines.add(source + " " + partial.toString(StandardCharsets.UTF_8));
                partial.reset();
            }
        }

        @Override
        public void started(EcsTask.Running r) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(fluentApp.toString())
                    .redirectErrorStream(true).redirectOutput(clientLog.toFile());
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("FLUENT_") || k.startsWith("APP_") || k.startsWith("ECS_"));
            env.put("FLUENT_TARGET", "unix:" + socket);
            env.put("APP_INPUT", "-");
            env.put("APP_ECS_FIELDS", "false");
            env.put("APP_CONTAINER_NAME", containerName);
            env.put("APP_CONTAINER_ID", r.id());
            env.put("ECS_TASK_ARN", taskArn);
            env.put("APP_DEADLINE_SECONDS", "60");
            client = builder.start();
            Thread thread = new Thread(this::pump, "firelens-driver-" + containerName);
            thread.setDaemon(true);
            thread.start();
            pump = thread;
        }

        /** Hands the lines over as they come: a write per line, flushed whenever no other line is waiting. */
        private void pump() {
            try (OutputStream in = client.getOutputStream()) {
                while (true) {
                    String line = lines.take();
                    if (line.equals(END)) {
                        return;
                    }
                    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    linesHandedOver++;
                    if (lines.isEmpty()) {
                        in.flush();
                    }
                }
            } catch (IOException e) {
                // The client died: awaitDone reports its exit and its output.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void awaitDone(Duration timeout) throws InterruptedException {
            if (client == null) {
                throw new AssertionError(containerName + "'s log driver never started");
            }
            if (!client.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(containerName + "'s log driver was not done " + timeout + " after the"
                        + " container stopped (" + linesHandedOver + " lines handed over" + (pump.isAlive()
                        ? ", the container's end not seen" : "") + "): " + clientOutput());
            }
            if (client.exitValue() != 0) {
                throw new AssertionError(containerName + "'s log driver failed (exit " + client.exitValue() + ") after "
                        + linesHandedOver + " lines: " + clientOutput());
            }
        }

        /** What fluent-logger-golang's app printed: {@code sent N records}, or why it could not send. */
        String clientOutput() {
            try {
                return Files.readString(clientLog).strip();
            } catch (IOException e) {
                return "(its output could not be read: " + e + ")";
            }
        }

        long linesHandedOver() {
            return linesHandedOver;
        }

        @Override
        public void close() {
            if (pump != null) {
                pump.interrupt();
            }
            if (client != null) {
                client.destroyForcibly();
            }
            try {
                Files.deleteIfExists(clientLog);
            } catch (IOException e) {
                // A temp file left behind is harmless.
            }
        }
    }
}
