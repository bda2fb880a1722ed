package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.testkit.RecordedLogs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Fluentd forward clients real apps use (fluent-logger-golang, on which Docker's fluentd and awsfirelens log
 * drivers are built, sending exactly what the driver sends for a FireLens container; fluency from Maven Central;
 * {@code @fluent-org/logger} from npm; fluent-logger from PyPI) against the packaged agent as a task's log router:
 * over TCP and the Unix socket where the library has one, with and without the chunk/ack option where it has it.
 * Each run sends {@value #LINES} numbered lines, every 5th on stderr; what Datadog receives is read back from the
 * intake recorder: every line exactly once, in the order it was sent, error for stderr and info for stdout, and the
 * FireLens records with their container's ECS tags.
 *
 * <p>The Go runs send the record a FireLens user's output sees (the driver's {@code log}, {@code source},
 * {@code container_id}, {@code container_name} plus the {@code ecs_cluster}, {@code ecs_task_arn},
 * {@code ecs_task_definition} that ECS's generated Fluent Bit configuration adds in the router); one more run sends
 * exactly what reaches the router from Docker, the driver's four fields alone, over the Unix socket without ack as ECS
 * configures it: the router must then tag the logs from the task it runs in.
 */
class FluentForwardIT {

    private static final int LINES = 200;
    private static final Duration APP_TIMEOUT = Duration.ofSeconds(120);
    /** The sink ships within seconds; a loaded CI machine gets a generous ceiling. */
    private static final Duration ARRIVAL = Duration.ofSeconds(90);
    private static final Pattern NUMBERED = Pattern.compile("line (\\d+) of (\\S+)");

    /**
     * One app run: the client, how it reaches the agent, whether it asks for acks, and (Go) whether it sends the
     * driver's record alone, without the ecs_* fields FireLens's Fluent Bit adds.
     */
    private record Run(FluentClients.Client client, boolean unixSocket, boolean ack, boolean driverRecordOnly) {
        /** The name written into each of its lines, unique per run. */
        String name() {
            return "it-" + client.name().toLowerCase() + (unixSocket ? "-uds" : "-tcp") + (ack ? "-ack" : "")
                    + (driverRecordOnly ? "-driver" : "");
        }
    }

    /** Every combination each library supports. */
    private static final Map<String, Run> RUNS = new LinkedHashMap<>();

    static {
        for (FluentClients.Client client : FluentClients.Client.values()) {
            for (boolean unixSocket : new boolean[] {false, true}) {
                for (boolean ack : new boolean[] {false, true}) {
                    if ((!unixSocket || client.unixSocket) && (!ack || client.ack)) {
                        Run run = new Run(client, unixSocket, ack, false);
                        RUNS.put(run.name(), run);
                    }
                }
            }
        }
        Run driver = new Run(FluentClients.Client.GO, true, false, true);
        RUNS.put(driver.name(), driver);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static AgentFixture fixture;
    private static AgentProcess agent;
    /** The app container's identity in the simulated task, as the Go (FireLens) app sends it. */
    private static FireLensContainer app;
    private static final Map<String, String> outputs = new HashMap<>();
    private static final Map<String, Throwable> failures = new HashMap<>();

    /** What ECS and Docker know of the container whose logs the Go app sends as the awsfirelens driver would. */
    private record FireLensContainer(String name, String dockerId, String dockerName, String cluster, String taskArn,
                                     String family, String revision) {
        String clusterName() {
            return cluster.substring(cluster.lastIndexOf('/') + 1);
        }

        Map<String, String> env() {
            return Map.of("APP_CONTAINER_NAME", name, "APP_CONTAINER_ID", dockerId, "ECS_CLUSTER", cluster,
                    "ECS_TASK_ARN", taskArn, "ECS_TASK_DEFINITION", family + ":" + revision);
        }
    }

    static Stream<String> runs() {
        return RUNS.keySet().stream();
    }

    static Stream<String> fireLensRuns() {
        return RUNS.values().stream().filter(r -> r.client() == FluentClients.Client.GO).map(Run::name);
    }

    static Stream<String> driverRecordRuns() {
        return RUNS.values().stream().filter(Run::driverRecordOnly).map(Run::name);
    }

    @BeforeAll
    static void startAgentAndRunEveryClient() throws Exception {
        FluentClients clients = FluentClients.installed();
        fixture = AgentFixture.demoTask();
        int port = AgentFixture.freePort();
        Path socket = Files.createTempDirectory("pf-fluent").resolve("fluent.sock");
        agent = fixture.start(fixture.fastAgent()
                .env("DD_LOGS_ENABLED", "true")
                // host:port, as the Agent reads it, in plain HTTP to the recorder.
                .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(port))
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET", socket.toString())
                .env("DD_APM_ENABLED", "false"));
        if (!agent.awaitLine(l -> l.contains("forward receiver listening on unix"), Duration.ofSeconds(60))) {
            throw new AssertionError("the agent did not say the forward receiver listens on its Unix socket within "
                    + "60 s:\n" + agent.outputText());
        }
        app = fireLensContainer("app");
        for (Run run : RUNS.values()) {
            FluentClients.Target target = run.unixSocket() ? FluentClients.Target.unix(socket)
                    : FluentClients.Target.tcp(port);
            Map<String, String> env = new HashMap<>();
            if (run.client() == FluentClients.Client.GO) {
                env.putAll(app.env());
                env.put("APP_ECS_FIELDS", Boolean.toString(!run.driverRecordOnly()));
            }
            try {
                outputs.put(run.name(), clients.run(run.client(), target, run.ack(), run.name(), LINES, env,
                        APP_TIMEOUT));
            } catch (Throwable e) {
                failures.put(run.name(), e);
            }
        }
    }

    /** The container's identity from the simulated task's metadata endpoint, as ECS would give FireLens. */
    private static FireLensContainer fireLensContainer(String name) throws Exception {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(fixture.task.v4Uri() + "/task")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), "task metadata");
        JsonNode task = JSON.readTree(response.body());
        for (JsonNode container : task.path("Containers")) {
            if (name.equals(container.path("Name").asText())) {
                return new FireLensContainer(name, container.path("DockerId").asText(),
                        container.path("DockerName").asText(), task.path("Cluster").asText(),
                        task.path("TaskARN").asText(), task.path("Family").asText(), task.path("Revision").asText());
            }
        }
        throw new AssertionError("no container " + name + " in the simulated task: " + task);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static void ran(String name) {
        Throwable failure = failures.get(name);
        if (failure != null) {
            throw new AssertionError("the fluent app of " + name + " failed", failure);
        }
        assertTrue(outputs.get(name).contains(FluentClients.sentLine(LINES)), outputs.get(name));
    }

    /** The logs of one run's lines, in arrival order. */
    private static List<RecordedLogs.Log> logsOf(String name) {
        return RecordedLogs.accepted(fixture.intake, log -> {
            Matcher m = NUMBERED.matcher(log.message());
            return m.matches() && m.group(2).equals(name);
        });
    }

    private static int number(RecordedLogs.Log log) {
        Matcher m = NUMBERED.matcher(log.message());
        assertTrue(m.matches(), log.toString());
        return Integer.parseInt(m.group(1));
    }

    @ParameterizedTest
    @MethodSource("runs")
    void everyLineArrivesOnceInOrderWithTheStatusOfItsStream(String name) throws Exception {
        ran(name);
        AgentFixture.await(LINES + " lines of " + name, ARRIVAL, () -> logsOf(name).size() >= LINES);
        List<RecordedLogs.Log> logs = logsOf(name);
        List<Integer> numbers = logs.stream().map(FluentForwardIT::number).toList();
        assertEquals(IntStream.rangeClosed(1, LINES).boxed().toList(), numbers,
                "every line once, in the order sent (arrival order: request, then position in its array)");
        List<String> wrongStatus = new ArrayList<>();
        for (RecordedLogs.Log log : logs) {
            String expected = FluentClients.stderr(number(log)) ? "error" : "info";
            if (!expected.equals(log.status())) {
                wrongStatus.add(expected + " expected: " + log);
            }
        }
        assertEquals(List.of(), wrongStatus, "stderr lines are errors, stdout lines info");
        assertTrue(logs.stream().allMatch(l -> l.timestamp() > 0), "every log has its timestamp: " + logs.get(0));
    }

    @ParameterizedTest
    @MethodSource("fireLensRuns")
    void fireLensRecordsCarryTheirContainersEcsTags(String name) throws Exception {
        assertContainerTags(name);
    }

    /**
     * Docker's driver writes only log, source, container_id and container_name; the tag names the container and the
     * task. A router standing in for Fluent Bit must tag the logs as FireLens's record_modifier and the Agent's tagger
     * would, from the task it runs in.
     */
    @ParameterizedTest
    @MethodSource("driverRecordRuns")
    void theDriversOwnRecordGetsTheTasksTagsFromTheRouter(String name) throws Exception {
        assertContainerTags(name);
    }

    private static void assertContainerTags(String name) throws Exception {
        ran(name);
        AgentFixture.await(LINES + " lines of " + name, ARRIVAL, () -> logsOf(name).size() >= LINES);
        String[] expected = {
            "ecs_container_name:" + app.name(),
            "container_name:" + app.dockerName(),
            "container_id:" + app.dockerId(),
            "task_arn:" + app.taskArn(),
            "task_family:" + app.family(),
            "task_version:" + app.revision(),
            "cluster_name:" + app.clusterName(),
        };
        List<RecordedLogs.Log> missing = logsOf(name).stream().filter(l -> !l.hasTags(expected)).toList();
        assertEquals(List.of(), missing.stream().limit(3).toList(),
                missing.size() + " logs lack some of " + List.of(expected));
    }
}
