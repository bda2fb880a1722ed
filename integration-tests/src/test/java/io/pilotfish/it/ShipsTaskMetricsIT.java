package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.RecordedRequest;
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
            assertTrue(cpu.resources().isEmpty(), "a Fargate task has no host");

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
    void lifecycleAndSelfTelemetryArrive() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            fixture.start(fixture.fastAgent());
            fixture.intake.awaitSeries("ecs.container.running", s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(30));
            fixture.task.stopContainer("worker", 137);
            RecordedSeries exit = fixture.intake.awaitSeries("ecs.container.exit_code",
                    s -> s.hasTags("ecs_container_name:worker"), Duration.ofSeconds(20));
            assertEquals(137, exit.lastValue(), 0.0);
            fixture.intake.awaitSeries("pilotfish.sink.sent", s -> s.hasTags("sink:datadog-metrics")
                    && s.lastValue() > 0, Duration.ofSeconds(20));
            // The stop became a Datadog event at the events intake.
            fixture.intake.awaitRequest(r -> r.path().equals("/api/v1/events") && r.accepted()
                    && r.bodyText().contains("worker"), Duration.ofSeconds(20));
        }
    }
}
