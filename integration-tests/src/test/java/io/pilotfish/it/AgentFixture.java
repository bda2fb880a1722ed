package io.pilotfish.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.PublishedSchema;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import io.pilotfish.testkit.TaskSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** A simulated task, a recording intake and the packaged agent between them, for one test. */
final class AgentFixture implements AutoCloseable {

    /** Generated per run, so no key-shaped literal lives in the code. */
    final String apiKey = "it-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    final EcsMetadataSimulator task;
    final IntakeRecorder intake;
    /** The status endpoint's port for agents started with {@link #ssmAgent}: free, so agents never share 5001. */
    final int statusPort = freePort();
    /** DogStatsD's UDP port for every agent of this fixture: free, so a DogStatsD on the machine never clashes. */
    final int dogstatsdPort = freeUdpPort();
    private final List<AgentProcess> agents = new ArrayList<>();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One client, so polling the figures holds one connection, well within the status listener's cap. */
    private static final java.net.http.HttpClient STATUS_CLIENT = java.net.http.HttpClient.newHttpClient();

    /**
     * The simulated apps run for ever, so a stopping agent would wait {@code shutdown.linger} for them each time; the
     * tests stop it on purpose, and LogRouterStopIT tests the wait itself.
     */
    static final String NO_LINGER = "0s";

    private AgentFixture(EcsMetadataSimulator task) {
        this.task = task;
        this.intake = IntakeRecorder.builder().acceptKeys(apiKey).start();
    }

    /** A three-container Fargate task whose counters advance with time. */
    static AgentFixture demoTask() {
        return new AgentFixture(EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).start());
    }

    /** The recorded Fargate capture, served exactly as recorded (the simulator's clock does not move). */
    static AgentFixture recordedFargate() {
        Path dir = PublishedSchema.sharedDir("../../shared").resolve("testdata/ecs/fargate");
        return new AgentFixture(EcsMetadataSimulator.recorded(dir.resolve("task.json"), dir.resolve("task-stats.json"))
                .manualClock(java.time.Instant.now()).start());
    }

    /** The agent with only what a task definition gives it: the metadata URI, the key and the intake URL. */
    AgentProcess.Builder agent() {
        return AgentProcess.builder()
                .property("pilotfish.shutdown.linger", NO_LINGER)
                .env("ECS_CONTAINER_METADATA_URI_V4", task.v4Uri().toString())
                .env("DD_API_KEY", apiKey)
                .env("DD_DOGSTATSD_PORT", Integer.toString(dogstatsdPort))
                .env("DD_DD_URL", intake.uri().toString());
    }

    /**
     * The agent as a task definition that keeps its config in SSM starts it: the metadata URI, the task role
     * (the simulator's container-credentials endpoint with its token), SSM at {@code ssmEndpoint}
     * ({@code AWS_ENDPOINT_URL_SSM}, as for a VPC endpoint), the region and the intake URL. No API key: it comes
     * from SSM. Its status endpoint listens on {@link #statusPort}.
     */
    AgentProcess.Builder ssmAgent(URI ssmEndpoint) {
        AgentProcess.Builder builder = AgentProcess.builder();
        task.environmentWithCredentials().forEach(builder::env);
        return builder
                .property("pilotfish.shutdown.linger", NO_LINGER)
                .property("pilotfish.status.port", Integer.toString(statusPort))
                .env("AWS_ENDPOINT_URL_SSM", ssmEndpoint.toString())
                .env("AWS_REGION", "us-east-1")
                .env("DD_DOGSTATSD_PORT", Integer.toString(dogstatsdPort))
                .env("DD_DD_URL", intake.uri().toString());
    }

    /** The agent with scrapes every second, so tests see several intervals quickly. */
    AgentProcess.Builder fastAgent() {
        return agent()
                .property("pilotfish.collectors.container-stats.interval", "1s")
                .property("pilotfish.collectors.ecs-metadata.interval", "1s")
                .property("pilotfish.telemetry.interval", "2s");
    }

    /**
     * {@link #fastAgent()} that also ships its own {@code pilotfish.*} figures to the intake (off by default: they are
     * custom metrics), for tests that read them there.
     */
    AgentProcess.Builder fastAgentShippingTelemetry() {
        return fastAgent().property("pilotfish.telemetry.ship", "true");
    }

    static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static int freeUdpPort() {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    AgentProcess start(AgentProcess.Builder builder) throws IOException {
        AgentProcess agent = builder.start();
        agents.add(agent);
        return agent;
    }

    List<RecordedSeries> accepted(String metric, String... tags) {
        return intake.series(metric).stream().filter(s -> s.hasTags(tags)).toList();
    }

    List<Long> timestamps(String metric, String... tags) {
        return accepted(metric, tags).stream().flatMap(s -> s.points().stream())
                .map(RecordedSeries.Point::timestamp).sorted().distinct().toList();
    }

    /**
     * The agent's own figure as it serves it on {@code /metrics} of {@link #statusPort} (OpenMetrics text): the sum of
     * the samples named {@code sample} whose labels contain every {@code label="value"} given; 0 when the agent does
     * not answer yet.
     */
    double localFigure(String sample, String... labels) {
        String body;
        try {
            java.net.http.HttpResponse<String> answer = STATUS_CLIENT.send(
                    java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/metrics"))
                            .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            body = answer.statusCode() == 200 ? answer.body() : "";
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        double sum = 0;
        for (String line : body.split("\n")) {
            if (!line.startsWith(sample + "{") && !line.startsWith(sample + " ")) {
                continue;
            }
            boolean matches = true;
            for (String label : labels) {
                matches &= line.contains(label);
            }
            if (matches) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Sum of a self-telemetry count over every report that reached the intake. */
    double selfCount(String metric, String... tags) {
        return accepted(metric, tags).stream().flatMap(s -> s.points().stream())
                .mapToDouble(RecordedSeries.Point::value).sum();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }

    /** Every accepted series request's body, validated against Datadog's published MetricPayload schema. */
    List<String> schemaViolations() throws IOException {
        PublishedSchema schema = PublishedSchema.v2Intake(PublishedSchema.sharedDir("../../shared"));
        List<String> violations = new ArrayList<>();
        for (RecordedRequest request : intake.requests(IntakeRecorder.SERIES_PATH)) {
            if (request.accepted()) {
                JsonNode body = JSON.readTree(request.body());
                for (String violation : schema.violations("MetricPayload", body)) {
                    violations.add("request " + request.sequence() + ": " + violation);
                }
            }
        }
        return violations;
    }

    @Override
    public void close() throws Exception {
        try {
            for (AgentProcess agent : agents) {
                agent.close();
            }
        } finally {
            intake.close();
            task.close();
        }
    }
}
