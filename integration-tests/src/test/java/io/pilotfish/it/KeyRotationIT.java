package io.pilotfish.it;

import static io.pilotfish.it.SsmConfigIT.KEY_PARAMETER;
import static io.pilotfish.it.SsmConfigIT.METRIC;
import static io.pilotfish.it.SsmConfigIT.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.testkit.MotoServer;
import io.pilotfish.testkit.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The API key is rotated in SSM and the intake stops taking the old one: the first 403 makes the agent read the key
 * again at once (not at the next reload, ten minutes away), it resends what was refused, and no point is lost.
 */
class KeyRotationIT {

    @Test
    void theIntakeRefusingTheOldKeyMakesTheAgentReadTheNewOneAndResend() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = SsmConfigIT.admin(moto)) {
            HotReloadIT.baseline(admin, fixture, "team:keys", "1s");
            AgentProcess agent = fixture.start(fixture.ssmAgent(moto.endpoint())
                    .property("pilotfish.ssm.reload-interval", "10m"));
            AgentFixture.await("3 scrapes with the first key", Duration.ofSeconds(60),
                    () -> fixture.timestamps(METRIC, "container_name:app").size() >= 3);

            String rotated = "it-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
            put(admin, KEY_PARAMETER, rotated, ParameterType.SECURE_STRING);
            fixture.intake.acceptKeys(rotated);
            Instant rotatedAt = Instant.now();

            RecordedRequest first = fixture.intake.awaitRequest(r -> r.path().startsWith("/api/v2/series")
                    && r.accepted() && r.apiKeyMatches(rotated), Duration.ofSeconds(30));
            assertTrue(first.accepted());
            assertTrue(fixture.intake.requests("/api/v2/series").stream().anyMatch(r -> r.status() == 403),
                    "the intake refused the old key at least once");
            assertTrue(agent.awaitLine(l -> l.contains("configuration reload (the intake refused the API key): "
                    + "applied") && l.contains("api key"), Duration.ofSeconds(5)), agent.outputText());
            long rotatedSecond = rotatedAt.getEpochSecond();
            AgentFixture.await("3 scrapes with the new key", Duration.ofSeconds(30), () -> fixture.timestamps(
                    METRIC, "container_name:app").stream().filter(t -> t > rotatedSecond + 2).count() >= 3);

            // Every scrape, including those refused with the old key, reached the intake.
            List<Long> stamps = fixture.timestamps(METRIC, "container_name:app");
            List<Long> gaps = HotReloadIT.gaps(stamps);
            assertTrue(gaps.stream().allMatch(g -> g <= 2), "gaps " + gaps);
            JsonNode status = HotReloadIT.status(fixture.statusPort);
            assertEquals(0, HotReloadIT.sink(status, "datadog-metrics").path("dropped").asLong(), status.toString());
            assertEquals(0, HotReloadIT.sink(status, "datadog-events").path("dropped").asLong(), status.toString());
            assertTrue(status.path("config").path("api_key").path("source").asText().contains(KEY_PARAMETER));
            assertFalse(status.toString().contains(rotated) || status.toString().contains(fixture.apiKey));

            agent.close();
            for (String key : List.of(fixture.apiKey, rotated)) {
                assertFalse(agent.output().stream().anyMatch(l -> l.contains(key)), "a key appeared in the output");
            }
        }
    }
}
