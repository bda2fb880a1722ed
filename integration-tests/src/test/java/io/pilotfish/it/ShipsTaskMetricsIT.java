package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.testkit.RecordedSeries;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The first promise: swap the image, and Datadog gets the same ECS metrics, values and tags. */
class ShipsTaskMetricsIT {

    @Test
    void recordedFargateTaskArrivesWithDatadogNamesValuesAndTags() throws Exception {
        try (AgentFixture fixture = AgentFixture.recordedFargate()) {
            long started = System.nanoTime();
            fixture.start(fixture.agent());
            RecordedSeries cpu = fixture.intake.awaitSeries("ecs.fargate.cpu.percent",
                    s -> s.hasTags("container_name:dd-agent"), Duration.ofSeconds(30));
            long tookSeconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertTrue(tookSeconds <= 30, "first series after " + tookSeconds + " s");

            // (Δtotal 86559152 / Δsystem 19920000000) × 2 CPUs × 100, rounded as Datadog rounds it.
            assertEquals(0.87, cpu.lastValue(), 1e-9);
            assertEquals(RecordedSeries.GAUGE, cpu.type());
            for (String tag : List.of("cluster_name:akira-fargate-check-cluster", "ecs_cluster_name:akira-fargate-check-cluster",
                    "task_family:akira-fargate-check", "task_version:1", "ecs_container_name:dd-agent",
                    "image_name:public.ecr.aws/b1o7r7e0/akira-agent-fgcheck", "short_image:akira-agent-fgcheck",
                    "image_tag:9", "ecs_cluster:akira-fargate-check-cluster", "ecs_task_family:akira-fargate-check",
                    "ecs_task_version:1", "docker_name:dd-agent")) {
                assertTrue(cpu.tags().contains(tag), "missing " + tag + " in " + cpu.tags());
            }
            assertTrue(cpu.tag("task_arn").isPresent() && cpu.tag("container_id").isPresent(), cpu.tags().toString());
            // As the Agent writes it: the host resource always, with an empty name where a Fargate task has no host.
            assertEquals(List.of(new RecordedSeries.Resource("", "host")), cpu.resources());
            assertEquals(new MetricOrigin(10, 11, 52), cpu.origin(), "the ecs_fargate integration's origin");

            RecordedSeries memory = fixture.intake.awaitSeries("ecs.fargate.mem.usage",
                    s -> s.hasTags("container_name:dd-agent"), Duration.ofSeconds(10));
            assertEquals(160886784, memory.lastValue(), 0.0);
            fixture.intake.awaitSeries("ecs.fargate.cpu.task.limit", Duration.ofSeconds(10));
            fixture.intake.awaitSeries("container.memory.usage", s -> s.hasTags("container_name:dd-agent"),
                    Duration.ofSeconds(10));
            // One series per interface (rates need two samples; the capture is one, so check a per-interface gauge).
            fixture.intake.awaitSeries("ecs.fargate.net.rcvd_errors", s -> s.hasTags("interface:eth1",
                    "container_name:dd-agent"), Duration.ofSeconds(10));

            for (RecordedRequest request : fixture.intake.requests("/api/v2/series")) {
                assertTrue(request.apiKeyMatches(fixture.apiKey), "every request carries DD-API-KEY");
                assertTrue(List.of("deflate", "gzip").contains(request.contentEncoding()), request.contentEncoding());
            }
            assertEquals(List.of(), fixture.schemaViolations());
        }
    }

    @Test
    void theAgentsOwnHealthSignalsArriveAsTheDatadogAgentSendsThem() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.start(fixture.fastAgent());
            RecordedSeries running = fixture.intake.awaitSeries("datadog.agent.running", Duration.ofSeconds(60));
            assertEquals(1.0, running.lastValue(), 0.0);
            assertEquals(RecordedSeries.GAUGE, running.type());
            assertTrue(running.tag("version").isPresent(), running.tags().toString());
            // Service checks go to the check-run intake: the Agent's liveness and the ecs_fargate check's status.
            RecordedRequest up = fixture.intake.awaitRequest(r -> r.path().equals("/api/v1/check_run") && r.accepted()
                    && r.bodyText().contains("\"datadog.agent.up\""), Duration.ofSeconds(60));
            assertTrue(up.bodyText().contains("task_family:shop"), "tagged like the task: " + up.bodyText());
            fixture.intake.awaitRequest(r -> r.path().equals("/api/v1/check_run") && r.accepted()
                    && r.bodyText().matches("(?s).*\\{[^{}]*\"check\":\"fargate_check\"[^{}]*\"status\":0.*"),
                    Duration.ofSeconds(60));
        }
    }

    @Test
    void byDefaultOnlyWhatTheDatadogAgentShipsLeavesTheTaskAndTheRestStaysLocal() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess agent = fixture.start(fixture.fastAgent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
            fixture.intake.awaitSeries("ecs.fargate.cpu.percent", s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(30));
            long stoppedAt = System.currentTimeMillis() / 1000;
            fixture.task.stopContainer("worker", 137);
            // The stop reaches Datadog as an event (events are not billed per context)...
            fixture.intake.awaitRequest(r -> r.path().equals("/api/v1/events") && r.accepted()
                    && r.bodyText().contains("worker") && r.bodyText().contains("137"), Duration.ofSeconds(30));
            // ...and once a later scrape has been shipped, neither the lifecycle metrics nor the agent's own figures
            // were ever sent: both are custom metrics the Datadog Agent never sent.
            fixture.intake.awaitSeries("ecs.fargate.mem.usage", s -> s.points().stream()
                    .anyMatch(p -> p.timestamp() > stoppedAt + 1), Duration.ofSeconds(30));
            assertEquals(List.of(), fixture.intake.seriesNames().stream().filter(name -> name.startsWith("pilotfish.")
                    || name.startsWith("ecs.container.") || name.startsWith("ecs.task.")).toList());
            // The agent's own figures are on the status port for Prometheus or the Datadog OpenMetrics check.
            java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + fixture.statusPort
                            + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().matches("(?s).*\npilotfish_sink_sent_total\\{[^}]*sink=\"datadog-metrics\""
                    + "[^}]*\\} [1-9].*"), metrics.body());
            assertTrue(agent.isAlive());
        }
    }

    @Test
    void lifecycleMetricsAndSelfTelemetryAreOneSwitchEachAndTaggedPerTask() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.start(fixture.fastAgent()
                    .property("pilotfish.collectors.ecs-metadata.metrics", "true")
                    .property("pilotfish.telemetry.ship", "true"));
            fixture.intake.awaitSeries("ecs.container.running", s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(30));
            fixture.task.stopContainer("worker", 137);
            RecordedSeries exit = fixture.intake.awaitSeries("ecs.container.exit_code",
                    s -> s.hasTags("ecs_container_name:worker"), Duration.ofSeconds(20));
            assertEquals(137, exit.lastValue(), 0.0);
            RecordedSeries sent = fixture.intake.awaitSeries("pilotfish.sink.sent",
                    s -> s.hasTags("sink:datadog-metrics") && s.lastValue() > 0, Duration.ofSeconds(20));
            assertTrue(sent.tag("task_arn").isPresent(), "each task's figures are its own series: " + sent.tags());
        }
    }
}
