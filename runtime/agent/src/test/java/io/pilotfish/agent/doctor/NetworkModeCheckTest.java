package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.ContainerSpec;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NetworkModeCheckTest {

    private final NetworkModeCheck check = new NetworkModeCheck();

    private CheckResult run(Map<String, String> env) throws Exception {
        try (DoctorContext context = Fixtures.context(env)) {
            return check.run(context);
        }
    }

    @Test
    void awsvpcPassesAndTellsAppsToUseLocalhost() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.startDemo()) {
            CheckResult result = run(ecs.environment());
            assertEquals(CheckStatus.PASS, result.status(), result.detail());
            assertTrue(result.detail().startsWith("awsvpc:"), result.detail());
            assertTrue(result.detail().contains("127.0.0.1:8125"), result.detail());
        }
    }

    private static TaskSpec bridgeTask() {
        return TaskSpec.ec2().cluster("prod").family("web").revision("3").availabilityZone("us-east-1a")
                .networkMode("bridge")
                .container(ContainerSpec.of("app", "app:1"))
                .container(ContainerSpec.of("pilotfish", "pilotfish:1"))
                .selfContainer("pilotfish").build();
    }

    @Test
    void bridgeWarnsThatAppsCannotUseLocalhost() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(bridgeTask()).start()) {
            CheckResult result = run(ecs.environment());
            assertEquals(CheckStatus.WARN, result.status(), result.detail());
            assertTrue(result.detail().startsWith("bridge:"));
            assertTrue(result.fix().orElseThrow().contains("DD_DOGSTATSD_NON_LOCAL_TRAFFIC=true"));
        }
    }

    @Test
    void bridgeWithNonLocalTrafficPasses() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(bridgeTask()).start()) {
            CheckResult result = run(Fixtures.env(ecs.environment(), "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "true",
                    "DD_APM_NON_LOCAL_TRAFFIC", "true"));
            assertEquals(CheckStatus.PASS, result.status(), result.detail());
        }
    }

    @Test
    void hostModePassesAndSaysPortsAreShared() throws Exception {
        String task = """
                {"Cluster":"prod","TaskARN":"arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef",
                 "Family":"web","Revision":"4","KnownStatus":"RUNNING","LaunchType":"EC2",
                 "Containers":[{"DockerId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                   "Name":"pilotfish","Type":"NORMAL","KnownStatus":"RUNNING",
                   "Networks":[{"NetworkMode":"host","IPv4Addresses":["10.0.0.5"]}]}]}
                """;
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.recorded(task.getBytes(StandardCharsets.UTF_8), null)
                .start()) {
            CheckResult result = run(ecs.environment());
            assertEquals(CheckStatus.PASS, result.status(), result.detail());
            assertTrue(result.detail().startsWith("host:"), result.detail());
        }
    }

    @Test
    void skippedWithoutMetadata() throws Exception {
        assertEquals(CheckStatus.SKIP, run(Map.of()).status());
        CheckResult unreachable = run(Map.of(EcsMetadataSimulator.V4_ENV,
                "http://127.0.0.1:" + Fixtures.closedPort() + "/v4/x"));
        assertEquals(CheckStatus.SKIP, unreachable.status());
    }
}
