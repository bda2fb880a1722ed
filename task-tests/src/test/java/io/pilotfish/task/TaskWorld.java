package io.pilotfish.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.testkit.ContainerSpec;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.MotoServer;
import io.pilotfish.testkit.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * One task from a file of {@code deploy/} and the world ECS gives it: the task metadata endpoint (with the task
 * role's credentials endpoint), SSM Parameter Store (moto) holding the API key and config under the layout of
 * {@code deploy/ssm-parameters.md}, and a Datadog intake that records what it accepts. All listen on the host's
 * loopback, which the task's containers share. The agent container runs the image under test with the environment
 * of its definition plus what ECS injects; every other container becomes the test app ({@code TaskApp}: the real
 * java-dogstatsd-client, configured from the environment its definition gives it).
 *
 * <p>When the agent is the task's FireLens log router, ECS's part is done as well ({@link FireLens}): the generated
 * Fluent Bit configuration mounted read-only in the router, the socket directory, the log secrets read from SSM into
 * the router's environment (the parameters hold the world's API key, as a FireLens user's do), and a log driver
 * for each app container whose log driver is awsfirelens.
 */
final class TaskWorld implements AutoCloseable {

    static final String AGENT = "pilotfish";
    static final String CLUSTER = "prod";
    static final String IMAGE = System.getProperty("pilotfish.image", "localhost/pilotfish:0.1.0");
    static final String KEY_PARAMETER = "/pilotfish/secrets/dd-api-key";

    /** Generated per run, so no key-shaped literal lives in the code. */
    final String apiKey = "task-test-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    final TaskDefinition definition;
    final EcsMetadataSimulator metadata;
    final MotoServer ssm;
    final IntakeRecorder intake;
    final EcsTask task;
    /** The configuration ECS generated for the FireLens router, as mounted; null without a router. */
    final String fireLensConfig;
    /** The task as ECS wrote it into that configuration; null without a router. */
    final FireLens.Task fireLensTask;
    /** The log driver of each app container whose log driver is awsfirelens, by container name. */
    final Map<String, FireLens.Driver> logDrivers = new LinkedHashMap<>();
    private final Path gates;
    private final List<Path> fireLensDirs = new ArrayList<>();

    private TaskWorld(Builder b) throws Exception {
        this.definition = TaskDefinition.read(deployDir().resolve(b.file));
        TaskSpec.Builder spec = definition.requiresCompatibilities().contains("FARGATE") ? TaskSpec.fargate()
                : TaskSpec.ec2();
        spec.cluster(CLUSTER).family(definition.family()).networkMode(definition.networkMode());
        if (definition.taskCpu().isPresent() && definition.taskMemory().isPresent()) {
            spec.limits(Integer.parseInt(definition.taskCpu().get()) / 1024.0,
                    Long.parseLong(definition.taskMemory().get()));
        }
        TaskDefinition.Container agent = definition.container(AGENT);
        ContainerSpec agentSpec = ContainerSpec.of(AGENT, agent.image());
        if (agent.cpu().isPresent()) {
            agentSpec = agentSpec.withCpuUnits(agent.cpu().getAsInt());
        }
        spec.container(agentSpec).selfContainer(AGENT);
        this.metadata = EcsMetadataSimulator.builder(spec.build()).start();
        this.ssm = MotoServer.start();
        this.intake = IntakeRecorder.builder().acceptKeys(apiKey).start();
        try (SsmClient admin = admin()) {
            put(admin, KEY_PARAMETER, apiKey, ParameterType.SECURE_STRING);
            put(admin, "/pilotfish/defaults/datadog/api-key-from", "ssm:" + KEY_PARAMETER, ParameterType.STRING);
            put(admin, "/pilotfish/defaults/tags", "team:task-tests", ParameterType.STRING);
            for (Map.Entry<String, String> p : b.parameters.entrySet()) {
                put(admin, "/pilotfish/" + CLUSTER + "/" + definition.family() + "/" + p.getKey(), p.getValue(),
                        ParameterType.STRING);
            }
        }
        this.gates = Files.createTempDirectory("task-app-gates-");
        Files.setPosixFilePermissions(gates, PosixFilePermissions.fromString("rwxr-xr-x"));

        Path fireLensConfigFile = null;
        Path fireLensSocketDir = null;
        Map<String, String> routerEnvironment = Map.of();
        FireLens.Task identity = null;
        if (definition.firelensRouter().isPresent()) {
            try (SsmClient admin = admin()) {
                for (TaskDefinition.Container app : FireLens.apps(definition)) {
                    for (TaskDefinition.SecretOption secret : app.logConfiguration().orElseThrow().secretOptions()) {
                        put(admin, FireLens.parameterName(secret.valueFrom()), apiKey, ParameterType.SECURE_STRING);
                    }
                }
                // ECS reads the log secrets with the execution role as the task starts.
                routerEnvironment = FireLens.routerEnvironment(definition, name -> admin.getParameter(
                        r -> r.name(name).withDecryption(true)).parameter().value());
            }
            JsonNode taskJson = new ObjectMapper().readTree(metadata.taskJson());
            identity = new FireLens.Task(taskJson.path("Cluster").asText(), taskJson.path("TaskARN").asText(),
                    taskJson.path("Family").asText(), taskJson.path("Revision").asText());
            Path configDir = Files.createTempDirectory("ecs-firelens-config-");
            Files.setPosixFilePermissions(configDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            fireLensDirs.add(configDir);
            fireLensConfigFile = configDir.resolve("fluent-bit.conf");
            Files.writeString(fireLensConfigFile, FireLens.generatedConfig(definition, identity));
            Files.setPosixFilePermissions(fireLensConfigFile, PosixFilePermissions.fromString("rw-r--r--"));
            // ECS makes the socket directory the router's user's, so that a non-root router can make its socket.
            fireLensSocketDir = Files.createTempDirectory("ecs-firelens-socket-");
            fireLensDirs.add(fireLensSocketDir);
            Files.setPosixFilePermissions(fireLensSocketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            String[] user = definition.firelensRouter().get().user().orElse("0:0").split(":");
            Files.setAttribute(fireLensSocketDir, "unix:uid", Integer.parseInt(user[0]));
            Files.setAttribute(fireLensSocketDir, "unix:gid", Integer.parseInt(user.length > 1 ? user[1] : user[0]));
        }
        this.fireLensConfig = fireLensConfigFile == null ? null : Files.readString(fireLensConfigFile);
        this.fireLensTask = identity;

        Map<String, EcsTask.Launch> launches = new LinkedHashMap<>();
        for (TaskDefinition.Container c : definition.containers()) {
            EcsTask.Launch launch = new EcsTask.Launch();
            launch.image = IMAGE;
            if (c.name().equals(AGENT)) {
                // What ECS injects (the metadata URI, the task role) and where the outside world is: SSM as a VPC
                // endpoint would be given, and the intake in place of Datadog's.
                launch.environment.putAll(metadata.environmentWithCredentials());
                launch.environment.put("AWS_REGION", "us-east-1");
                launch.environment.put("AWS_ENDPOINT_URL_SSM", ssm.endpoint().toString());
                launch.environment.put("DD_DD_URL", intake.uri().toString());
                launch.environment.put("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + intake.uri().getPort());
                launch.environment.put("DD_LOGS_CONFIG_LOGS_NO_SSL", "true");
                if (definition.firelensRouter().filter(r -> r.name().equals(AGENT)).isPresent()) {
                    launch.binds.add(new String[] {fireLensConfigFile.toString(), FireLens.CONFIG_PATH});
                    launch.writableBinds.add(new String[] {fireLensSocketDir.toString(), FireLens.SOCKET_DIR});
                    launch.environment.putAll(routerEnvironment);
                }
            } else {
                launch.entrypoint = List.of("/opt/pilotfish/jre/bin/java", "-Xmx32m", "-cp",
                        "/app/classes:/app/lib/*", "io.pilotfish.task.app.TaskApp");
                launch.binds.add(new String[] {System.getProperty("pilotfish.app-classes.dir"), "/app/classes"});
                launch.binds.add(new String[] {System.getProperty("pilotfish.app-lib.dir"), "/app/lib"});
                launch.binds.add(new String[] {gates.toString(), "/app/gates"});
                launch.environment.put("APP_NAME", c.name());
                launch.environment.put("APP_GATE", "/app/gates/" + c.name());
                if (FireLens.apps(definition).contains(c)) {
                    FireLens.Driver driver = new FireLens.Driver(fluentApp(),
                            fireLensSocketDir.resolve(FireLens.SOCKET_NAME), identity.taskArn(), c.name());
                    logDrivers.put(c.name(), driver);
                    launch.logDriver = driver;
                }
            }
            launch.environment.putAll(b.environment.getOrDefault(c.name(), Map.of()));
            if (b.stopTimeouts.containsKey(c.name())) {
                launch.stopTimeoutSeconds = b.stopTimeouts.get(c.name());
            }
            launches.put(c.name(), launch);
        }
        this.task = new EcsTask(definition, launches);
        this.task.onStarted(this::registerApp);
        // The agent waits at its SIGTERM while the task's other containers run: ECS shows them stopped as they stop.
        this.task.onStopped(r -> {
            if (!r.definition.name().equals(AGENT) && r.exitCode != null) {
                metadata.stopContainer(r.definition.name(), r.exitCode.intValue());
            }
        });
    }

    /**
     * ECS lists a container in the task metadata as soon as it exists. The app container's real id goes into the
     * simulated task under its name, then the app may send once the agent has read the task again (its gate).
     */
    private void registerApp(EcsTask.Running r) throws Exception {
        if (r.definition.name().equals(AGENT)) {
            return;
        }
        long readsBefore = metadata.requestCount("/task");
        metadata.addContainer(ContainerSpec.of(r.definition.name(), r.definition.image()), r.id());
        await("the agent to read the task metadata after " + r.definition.name() + " started",
                Duration.ofSeconds(90), () -> metadata.requestCount("/task") > readsBefore);
        Files.writeString(gates.resolve(r.definition.name()), "go");
    }

    /** Opens a gate the app waits at ({@code APP_GATE}, or a further one of its own under the same directory). */
    void openGate(String name) throws IOException {
        Files.writeString(gates.resolve(name), "go");
    }

    /** The fluent app built with fluent-logger-golang (scripts/ensure-fluent-clients.sh, run by the build). */
    private static Path fluentApp() {
        Path app = Path.of(System.getProperty("pilotfish.fluent-app", "pilotfish.fluent-app is not set"));
        if (!Files.isExecutable(app)) {
            throw new IllegalStateException("the fluent app (fluent-logger-golang) is not at " + app
                    + ": the build makes it with scripts/ensure-fluent-clients.sh");
        }
        return app;
    }

    static Builder builder(String deployFile) {
        return new Builder(deployFile);
    }

    static final class Builder {
        private final String file;
        private final Map<String, String> parameters = new LinkedHashMap<>();
        private final Map<String, Map<String, String>> environment = new LinkedHashMap<>();
        private final Map<String, Integer> stopTimeouts = new LinkedHashMap<>();

        private Builder(String file) {
            this.file = file;
        }

        /** A parameter under the task's own SSM path ({@code /pilotfish/prod/<family>/<name>}). */
        Builder parameter(String name, String value) {
            parameters.put(name, value);
            return this;
        }

        /** An environment variable the test adds to one container (the app's instructions, say). */
        Builder env(String container, String name, String value) {
            environment.computeIfAbsent(container, k -> new LinkedHashMap<>()).put(name, value);
            return this;
        }

        /** The stop timeout ECS gives a container, in place of its definition's. */
        Builder stopTimeout(String container, int seconds) {
            stopTimeouts.put(container, seconds);
            return this;
        }

        TaskWorld build() throws Exception {
            return new TaskWorld(this);
        }
    }

    static Path deployDir() {
        return Path.of(System.getProperty("pilotfish.deploy.dir", "../deploy"));
    }

    SsmClient admin() {
        return SsmClient.builder().region(Region.US_EAST_1).endpointOverride(ssm.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    static void put(SsmClient ssm, String name, String value, ParameterType type) {
        ssm.putParameter(b -> {
            b.name(name).value(value).type(type).overwrite(true);
            if (type == ParameterType.SECURE_STRING) {
                b.keyId("alias/aws/ssm");
            }
        });
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() {
        task.close();
        intake.close();
        ssm.close();
        metadata.close();
        List<Path> dirs = new ArrayList<>(fireLensDirs);
        dirs.add(gates);
        for (Path dir : dirs) {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temp dir left behind is harmless.
            }
        }
    }
}
