package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MetadataEndpointCheckTest {

    private static EcsMetadataSimulator ecs;
    private final MetadataEndpointCheck check = new MetadataEndpointCheck();

    @BeforeAll
    static void start() {
        ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).start();
    }

    @AfterAll
    static void stop() {
        ecs.close();
    }

    private CheckResult run(Map<String, String> env) throws Exception {
        try (DoctorContext context = Fixtures.context(env)) {
            return check.run(context);
        }
    }

    @Test
    void v4EndpointPassesWithVersionLaunchTypeAndTask() throws Exception {
        ecs.clearFaults();
        CheckResult result = run(ecs.environment());
        assertEquals(CheckStatus.PASS, result.status(), result.detail());
        assertTrue(result.detail().startsWith("v4 at " + ecs.v4Uri()), result.detail());
        assertTrue(result.detail().contains("FARGATE task shop:7 in cluster demo"), result.detail());
        assertTrue(result.fix().isEmpty());
    }

    @Test
    void onlyV3IsAWarningNamingTheUpgrade() throws Exception {
        ecs.clearFaults();
        CheckResult result = run(Map.of(EcsMetadataSimulator.V3_ENV, ecs.v3Uri().toString()));
        assertEquals(CheckStatus.WARN, result.status(), result.detail());
        assertTrue(result.detail().startsWith("v3 at "), result.detail());
        assertTrue(result.fix().orElseThrow().contains("1.39"));
    }

    @Test
    void noVariableFailsSayingNotInEcs() throws Exception {
        CheckResult result = run(Map.of());
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("not running in an ECS task, or the ECS agent is too old"),
                result.detail());
        assertTrue(result.fix().orElseThrow().contains("1.4.0"));
    }

    @Test
    void variableThatIsNoUrlFails() throws Exception {
        CheckResult result = run(Map.of(EcsMetadataSimulator.V4_ENV, "not a url"));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("not an http URL"), result.detail());
    }

    @Test
    void endpointAnsweringErrorsFails() throws Exception {
        ecs.down();
        try {
            CheckResult result = run(ecs.environment());
            assertEquals(CheckStatus.FAIL, result.status());
            assertTrue(result.detail().contains("503"), result.detail());
        } finally {
            ecs.up();
        }
    }

    @Test
    void bodyThatIsNotTaskMetadataFails() throws Exception {
        ecs.clearFaults();
        ecs.malformedNext(1, "/task");
        CheckResult result = run(ecs.environment());
        ecs.clearFaults();
        assertEquals(CheckStatus.FAIL, result.status(), result.detail());
    }

    @Test
    void unreachableEndpointFails() throws Exception {
        CheckResult result = run(Map.of(EcsMetadataSimulator.V4_ENV,
                "http://127.0.0.1:" + Fixtures.closedPort() + "/v4/abc"));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("could not connect"), result.detail());
        assertTrue(result.fix().orElseThrow().contains("ECS Exec"));
    }
}
