package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.MotoServer;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The promise: one container added to a task definition, everything else (the API key, tags, intervals)
 * from SSM Parameter Store, read with the task role. The packaged agent runs against moto (a real SSM) and gets its
 * credentials from the simulated ECS container-credentials endpoint; no DD_API_KEY anywhere.
 */
class SsmConfigIT {

    /** Cluster short name and family of {@code TaskSpec.fargateDemoTask()}: the task's own SSM path. */
    static final String TASK_PATH = "/pilotfish/demo/shop";
    static final String KEY_PARAMETER = "/pilotfish/secrets/dd-api-key";
    static final String METRIC = "ecs.fargate.mem.usage";

    /**
     * More than one page of {@code GetParametersByPath} (SSM pages at 10) under the task's path: the 2 s interval
     * plus keys set to their defaults, harmless to the run.
     */
    static final Map<String, String> TASK_PARAMETERS = taskParameters();

    static Map<String, String> taskParameters() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("collectors/container-stats/interval", "2s");
        parameters.put("collectors/container-stats/include-internal", "false");
        parameters.put("collectors/ecs-metadata/include-internal", "false");
        parameters.put("sinks/console/format", "text");
        parameters.put("sinks/console/request-timeout", "15s");
        parameters.put("sinks/console/batch/max-items", "10000");
        parameters.put("sinks/console/batch/max-bytes", "4194304");
        parameters.put("sinks/console/batch/timeout", "1s");
        parameters.put("sinks/console/queue/max-bytes", "33554432");
        parameters.put("sinks/console/retry/initial-backoff", "500ms");
        parameters.put("sinks/console/retry/max-backoff", "1m");
        parameters.put("sinks/console/retry/max-age", "1h");
        parameters.put("shutdown/deadline", "20s");
        return parameters;
    }

    @Test
    void apiKeyTagsAndIntervalComeFromSsmThroughTheTaskRole() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = admin(moto)) {
            put(admin, KEY_PARAMETER, fixture.apiKey, ParameterType.SECURE_STRING);
            put(admin, "/pilotfish/defaults/datadog/api-key-from", "ssm:" + KEY_PARAMETER, ParameterType.STRING);
            put(admin, "/pilotfish/defaults/tags", "team:ssm", ParameterType.STRING);
            TASK_PARAMETERS.forEach((name, value) -> put(admin, TASK_PATH + "/" + name, value, ParameterType.STRING));

            AgentProcess agent = fixture.start(fixture.ssmAgent(moto.endpoint()));
            RecordedSeries first = fixture.intake.awaitSeries(METRIC, s -> s.hasTags("container_name:app"),
                    Duration.ofSeconds(60));
            assertTrue(first.hasTags("team:ssm"), "the global tag from SSM: " + first.tags());
            AgentFixture.await("5 scrapes of " + METRIC, Duration.ofSeconds(60),
                    () -> fixture.timestamps(METRIC, "container_name:app").size() >= 5);

            // The 2 s interval from the task's path, not the 10 s default: consecutive points ~2 s apart.
            List<Long> stamps = fixture.timestamps(METRIC, "container_name:app");
            List<Long> gaps = new ArrayList<>();
            for (int i = 1; i < stamps.size(); i++) {
                gaps.add(stamps.get(i) - stamps.get(i - 1));
            }
            assertTrue(gaps.stream().allMatch(g -> g >= 1 && g <= 3), "gaps " + gaps);
            double mean = gaps.stream().mapToLong(Long::longValue).average().orElseThrow();
            assertTrue(mean >= 1.5 && mean <= 2.5, "mean gap " + mean + " s: " + gaps);
            assertTrue(fixture.accepted(METRIC, "container_name:app").stream().allMatch(s -> s.hasTags("team:ssm")));

            // The intake only accepts the key from SSM: every series request carried it.
            List<RecordedRequest> series = fixture.intake.requests("/api/v2/series");
            assertFalse(series.isEmpty());
            for (RecordedRequest request : series) {
                assertTrue(request.accepted() && request.apiKeyMatches(fixture.apiKey),
                        "request " + request.sequence() + " was refused or had another key");
            }
            // SSM was read with the task role from the container-credentials endpoint, with the right token.
            assertTrue(fixture.task.credentialRequests() > 0, "the agent never asked the credentials endpoint");
            assertEquals(0, fixture.task.rejectedCredentialRequests());

            AgentProcess doctor = fixture.start(fixture.ssmAgent(moto.endpoint()).args("doctor"));
            assertNotEquals(-1, doctor.awaitExit(Duration.ofSeconds(90)), "doctor did not finish");
            assertTrue(doctor.output().stream().anyMatch(line -> line.startsWith("PASS") && line.contains("SSM")),
                    doctor.outputText());

            AgentProcess config = fixture.start(fixture.ssmAgent(moto.endpoint()).args("config"));
            assertEquals(0, config.awaitExit(Duration.ofSeconds(90)), config.outputText());
            String tags = line(config, "pilotfish.tags ");
            assertTrue(tags.matches("pilotfish\\.tags\\s+=\\s+team:ssm\\s+ssm:/pilotfish/defaults/tags\\b.*"), tags);
            String key = line(config, "pilotfish.datadog.api-key ");
            assertTrue(key.contains("****") && key.contains("ssm:" + KEY_PARAMETER), key);
            String interval = line(config, "pilotfish.collectors.container-stats.interval ");
            assertTrue(interval.contains("2s") && interval.contains("ssm:" + TASK_PATH + "/"), interval);
            long fromTaskPath = config.output().stream().filter(l -> l.contains(" ssm:" + TASK_PATH + "/")).count();
            assertEquals(TASK_PARAMETERS.size(), fromTaskPath, "both pages of " + TASK_PATH + ":\n"
                    + config.outputText());

            agent.close();
            for (AgentProcess process : List.of(agent, doctor, config)) {
                assertFalse(process.output().stream().anyMatch(l -> l.contains(fixture.apiKey)),
                        "the API key appeared in the output");
            }
        }
    }

    /** The one line of {@code pilotfish config} for a key (the prefix ends with a space, so it is exact). */
    static String line(AgentProcess config, String keyAndSpace) {
        return config.output().stream().filter(l -> l.startsWith(keyAndSpace)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + keyAndSpace.trim() + " in:\n" + config.outputText()));
    }

    /** An administrator's client; moto accepts any signature, and these are not the task role. */
    static SsmClient admin(MotoServer moto) {
        return SsmClient.builder().region(Region.US_EAST_1).endpointOverride(moto.endpoint())
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
}
