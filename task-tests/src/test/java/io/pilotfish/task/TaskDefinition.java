package io.pilotfish.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An ECS task definition as registered with {@code aws ecs register-task-definition --cli-input-json}: the fields
 * that decide how its containers run (image, environment, health check, start order, stop timeout, memory, user,
 * read-only root, volumes, log driver and FireLens router). Read from the files in {@code deploy/}, so the tests run
 * what users deploy.
 */
record TaskDefinition(String family, String networkMode, List<String> requiresCompatibilities,
                      Optional<String> taskCpu, Optional<String> taskMemory, Optional<String> taskRoleArn,
                      List<Container> containers, List<String> volumes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Container(String name, String image, boolean essential, OptionalInt cpu, OptionalInt memoryMiB,
                     OptionalInt memoryReservationMiB, Map<String, String> environment, List<String> secrets,
                     List<DependsOn> dependsOn, Optional<HealthCheck> healthCheck, OptionalInt stopTimeoutSeconds,
                     boolean readonlyRootFilesystem, Optional<String> user, List<MountPoint> mountPoints,
                     List<String> links, Optional<LogConfiguration> logConfiguration,
                     Optional<FirelensConfiguration> firelensConfiguration) {

        /** ECS's stop timeout when the container sets none (the ECS agent's ECS_CONTAINER_STOP_TIMEOUT default). */
        Duration stopTimeout() {
            return Duration.ofSeconds(stopTimeoutSeconds.orElse(30));
        }
    }

    record DependsOn(String containerName, String condition) {
    }

    /**
     * A container's {@code logConfiguration}: the driver, its {@code options} (for {@code awsfirelens}, the router's
     * output section), and {@code secretOptions}, option names whose values ECS reads from SSM or Secrets Manager.
     */
    record LogConfiguration(String logDriver, Map<String, String> options, List<SecretOption> secretOptions) {

        boolean isFireLens() {
            return "awsfirelens".equals(logDriver);
        }
    }

    record SecretOption(String name, String valueFrom) {
    }

    /** The log router's {@code firelensConfiguration}: {@code fluentbit} or {@code fluentd}, and its options. */
    record FirelensConfiguration(String type, Map<String, String> options) {

        /** ECS adds the task's cluster, ARN and definition to every record unless this option is false. */
        boolean ecsLogMetadata() {
            return !"false".equalsIgnoreCase(options.getOrDefault("enable-ecs-log-metadata", "true"));
        }
    }

    /**
     * ECS's container health check: the command, run in the container every {@code interval}; {@code retries}
     * consecutive failures make it UNHEALTHY, failures within {@code startPeriod} do not count.
     */
    record HealthCheck(List<String> command, Duration interval, Duration timeout, int retries, Duration startPeriod) {

        /** What runs in the container: {@code CMD} takes the rest as argv, {@code CMD-SHELL} runs it with sh -c. */
        List<String> argv() {
            String kind = command.get(0);
            List<String> rest = command.subList(1, command.size());
            return switch (kind) {
                case "CMD" -> rest;
                case "CMD-SHELL" -> List.of("/bin/sh", "-c", String.join(" ", rest));
                default -> throw new IllegalArgumentException("healthCheck.command must start with CMD or CMD-SHELL: "
                        + command);
            };
        }
    }

    record MountPoint(String sourceVolume, String containerPath, boolean readOnly) {
    }

    static TaskDefinition read(Path file) throws IOException {
        JsonNode root = JSON.readTree(Files.readAllBytes(file));
        List<Container> containers = new ArrayList<>();
        for (JsonNode c : root.path("containerDefinitions")) {
            containers.add(container(c));
        }
        List<String> volumes = new ArrayList<>();
        root.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
        return new TaskDefinition(root.path("family").asText(), root.path("networkMode").asText("bridge"),
                texts(root.path("requiresCompatibilities")), text(root, "cpu"), text(root, "memory"),
                text(root, "taskRoleArn"), List.copyOf(containers), List.copyOf(volumes));
    }

    Container container(String name) {
        return containers.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no container '" + name + "' in task " + family));
    }

    /** The container with a {@code firelensConfiguration}: the task's log router (ECS allows one). */
    Optional<Container> firelensRouter() {
        return containers.stream().filter(c -> c.firelensConfiguration().isPresent()).findFirst();
    }

    /** A container's position in the definition: ECS names a log secret's config variable after it. */
    int indexOf(String name) {
        for (int i = 0; i < containers.size(); i++) {
            if (containers.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no container '" + name + "' in task " + family);
    }

    private static Container container(JsonNode c) {
        Map<String, String> env = new LinkedHashMap<>();
        c.path("environment").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        List<String> secrets = new ArrayList<>();
        c.path("secrets").forEach(s -> secrets.add(s.path("name").asText()));
        List<DependsOn> dependsOn = new ArrayList<>();
        c.path("dependsOn").forEach(d -> dependsOn.add(new DependsOn(d.path("containerName").asText(),
                d.path("condition").asText())));
        Optional<HealthCheck> health = Optional.empty();
        JsonNode h = c.path("healthCheck");
        if (h.isObject()) {
            // ECS's defaults for what the definition leaves out.
            health = Optional.of(new HealthCheck(texts(h.path("command")),
                    Duration.ofSeconds(h.path("interval").asInt(30)), Duration.ofSeconds(h.path("timeout").asInt(5)),
                    h.path("retries").asInt(3), Duration.ofSeconds(h.path("startPeriod").asInt(0))));
        }
        List<MountPoint> mounts = new ArrayList<>();
        c.path("mountPoints").forEach(m -> mounts.add(new MountPoint(m.path("sourceVolume").asText(),
                m.path("containerPath").asText(), m.path("readOnly").asBoolean(false))));
        Optional<LogConfiguration> log = Optional.empty();
        JsonNode l = c.path("logConfiguration");
        if (l.isObject()) {
            List<SecretOption> secretOptions = new ArrayList<>();
            l.path("secretOptions").forEach(o -> secretOptions.add(new SecretOption(o.path("name").asText(),
                    o.path("valueFrom").asText())));
            log = Optional.of(new LogConfiguration(l.path("logDriver").asText(), strings(l.path("options")),
                    List.copyOf(secretOptions)));
        }
        Optional<FirelensConfiguration> firelens = Optional.empty();
        JsonNode f = c.path("firelensConfiguration");
        if (f.isObject()) {
            firelens = Optional.of(new FirelensConfiguration(f.path("type").asText(), strings(f.path("options"))));
        }
        return new Container(c.path("name").asText(), c.path("image").asText(), c.path("essential").asBoolean(true),
                integer(c, "cpu"), integer(c, "memory"), integer(c, "memoryReservation"), Map.copyOf(env),
                List.copyOf(secrets), List.copyOf(dependsOn), health, integer(c, "stopTimeout"),
                c.path("readonlyRootFilesystem").asBoolean(false), text(c, "user"), List.copyOf(mounts),
                texts(c.path("links")), log, firelens);
    }

    /** A JSON object of strings, in the file's order (ECS writes the options in the order it keeps them). */
    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> values = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        return Collections.unmodifiableMap(values);
    }

    private static OptionalInt integer(JsonNode node, String field) {
        return node.hasNonNull(field) ? OptionalInt.of(node.get(field).asInt()) : OptionalInt.empty();
    }

    private static Optional<String> text(JsonNode node, String field) {
        return node.hasNonNull(field) ? Optional.of(node.get(field).asText()) : Optional.empty();
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return List.copyOf(values);
    }
}
