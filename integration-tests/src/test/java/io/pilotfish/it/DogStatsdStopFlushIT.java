package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.timgroup.statsd.NonBlockingStatsDClient;
import io.pilotfish.testkit.RecordedSeries;
import io.pilotfish.testkit.RecordedSketch;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ECS stops the task right after the application's last sends: what sits in the open 10-second bucket is flushed
 * and shipped before the agent exits (the Datadog Agent loses it).
 */
class DogStatsdStopFlushIT {

    @Test
    void theOpenBucketIsShippedOnSigterm() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = StatsdClients.freeUdpPort();
            AgentProcess agent = fixture.start(fixture.agent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .property("pilotfish.collectors.dogstatsd.port", Integer.toString(port)));
            assertTrue(agent.awaitLine(l -> l.contains("dogstatsd listening"), Duration.ofSeconds(30)),
                    agent.outputText());
            String prefix = null;
            long bucket = 0;
            for (int attempt = 1; attempt <= 3 && prefix == null; attempt++) {
                // Early in a bucket, so it is still open when SIGTERM comes (well before its 10 s are over).
                long now = System.currentTimeMillis();
                if (now % 10_000 > 6_000) {
                    Thread.sleep(10_000 - now % 10_000 + 50);
                }
                long sentAt = System.currentTimeMillis();
                String candidate = "it.stop.a" + attempt;
                double before = fixture.localFigure("pilotfish_dogstatsd_messages_total");
                try (NonBlockingStatsDClient client = DogStatsdWorkload.unsampledClient()
                        .address("udp://127.0.0.1:" + port).constantTags("client:java").build()) {
                    for (int i = 0; i < DogStatsdWorkload.INCREMENTS; i++) {
                        client.count(candidate + ".requests", 1, DogStatsdWorkload.SAMPLE_RATE);
                    }
                    client.gauge(candidate + ".queue_depth", 42.5);
                    for (int v = 1; v <= 1000; v++) {
                        client.recordDistributionValue(candidate + ".payload", v);
                    }
                }
                // The agent has taken every message in (its own count says so), then the task is stopped.
                AgentFixture.await("the agent to read the 2001 messages", Duration.ofSeconds(60),
                        () -> fixture.localFigure("pilotfish_dogstatsd_messages_total") >= before + 2001);
                if (System.currentTimeMillis() / 10_000 == sentAt / 10_000) {
                    prefix = candidate;
                    bucket = sentAt / 10_000 * 10;
                }
                // Otherwise the machine was too slow for the bucket to stay open: send again under a new prefix.
            }
            assertTrue(prefix != null, "three attempts could not keep one bucket open until SIGTERM");
            agent.terminate();
            // 143 (128 + SIGTERM) as any JVM stopped by a signal; -1 would mean it did not exit in time.
            assertTrue(agent.awaitExit(Duration.ofSeconds(30)) != -1, "agent exits on SIGTERM:\n"
                    + agent.outputText());

            // Nothing is awaited: the agent has exited, so what it shipped is all there is.
            List<RecordedSeries> requests = fixture.accepted(prefix + ".requests");
            assertEquals(2000, DogStatsdWorkload.countTotal(fixture.intake, prefix + ".requests"), 1e-9,
                    "the count of the open bucket, shipped at stop: " + requests + "\n" + agent.outputText());
            assertEquals(List.of(bucket), requests.stream().flatMap(s -> s.points().stream())
                    .map(RecordedSeries.Point::timestamp).distinct().toList(), "stamped with the open bucket's start");
            assertEquals(List.of(42.5), fixture.accepted(prefix + ".queue_depth").stream()
                    .flatMap(s -> s.points().stream()).map(RecordedSeries.Point::value).toList());
            List<RecordedSketch.Point> sketch = fixture.intake.sketches(prefix + ".payload").stream()
                    .flatMap(s -> s.points().stream()).toList();
            assertEquals(1, sketch.size(), "one sketch point: " + sketch);
            assertEquals(1000, sketch.get(0).cnt());
            assertEquals(500_500, sketch.get(0).sum(), 0);
        }
    }
}
