package io.pilotfish.core.ecs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TaskMetadataParserTest {

    private static TaskMetadata task(String file, String version) {
        return TaskMetadataParser.parseTask(EcsTestData.bytes(file), version);
    }

    private static ContainerMetadata named(TaskMetadata task, String name) {
        return task.containers().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void fargateTask() {
        TaskMetadata task = task("fargate/task.json", "v4");
        assertEquals("v4", task.metadataVersion());
        assertEquals("arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira-fargate-check-cluster", task.cluster());
        assertEquals("akira-fargate-check-cluster", task.clusterName());
        assertEquals("ap-northeast-1", task.region());
        assertEquals("601427279990", task.accountId());
        assertEquals("akira-fargate-check", task.family());
        assertEquals("1", task.revision());
        assertEquals("67cd8a22b533459696d4ccab5278e009", task.taskId());
        assertEquals("FARGATE", task.launchType());
        assertTrue(task.isFargate());
        assertEquals("ap-northeast-1d", task.availabilityZone());
        assertEquals("", task.serviceName());
        assertEquals(Optional.of(1.0), task.cpuLimitVcpu());
        assertEquals(Optional.of(3072L), task.memoryLimitMiB());
        assertEquals(Optional.of(new TaskMetadata.EphemeralStorage(2925, 21499)), task.ephemeralStorage());
        assertEquals(Optional.of(Instant.parse("2023-06-20T01:13:03.763177835Z")), task.pullStartedAt());
        assertEquals(2, task.containers().size());

        ContainerMetadata agent = named(task, "dd-agent");
        assertEquals("67cd8a22b533459696d4ccab5278e009-2860414825", agent.dockerId());
        assertEquals("dd-agent", agent.dockerName());
        assertEquals("public.ecr.aws/b1o7r7e0/akira-agent-fgcheck:9", agent.image());
        assertEquals("sha256:9d285ef4b9bac6f4c58211b711436dd507db7ba1f52605ae463102ee31b0f49b", agent.imageId());
        assertEquals("1", agent.labels().get("com.amazonaws.ecs.task-definition-version"));
        assertTrue(agent.isRunning());
        assertEquals(OptionalInt.empty(), agent.exitCode());
        assertEquals(Optional.of(2.0), agent.cpuLimitUnits());
        assertEquals(Optional.empty(), agent.memoryLimitMiB());
        // nanosecond precision is kept
        assertEquals(Optional.of(Instant.parse("2023-06-20T01:13:35.073930071Z")), agent.startedAt());
        assertEquals(Optional.empty(), agent.finishedAt());
        assertEquals("NORMAL", agent.type());
        assertFalse(agent.isInternal());
        assertEquals(List.of("awsvpc"), agent.networkModes());
        assertEquals(OptionalInt.empty(), agent.restartCount());
    }

    @Test
    void fargateTaskWithStoppedContainer() {
        TaskMetadata task = task("fargate/task-with-stopped-container.json", "v4");
        assertEquals("prom-ecs-exporter-sandbox", task.clusterName());
        assertEquals("us-east-1", task.region());
        assertEquals("829490980523", task.accountId());
        assertEquals(Optional.of(0.25), task.cpuLimitVcpu());
        assertEquals(Optional.of(512L), task.memoryLimitMiB());
        ContainerMetadata stopped = named(task, "nonessential");
        assertTrue(stopped.isStopped());
        assertEquals(OptionalInt.of(0), stopped.exitCode());
        assertEquals(Optional.of(Instant.parse("2025-02-27T05:06:19.219711004Z")), stopped.finishedAt());
        assertEquals(3, task.containers().size());
    }

    @Test
    void ec2AwsvpcTaskWithPauseContainerAndNoTaskLimits() {
        TaskMetadata task = task("ec2/task-awsvpc.json", "v4");
        assertEquals("default", task.cluster());
        assertEquals("default", task.clusterName());
        assertEquals("us-west-2", task.region());
        assertEquals("111122223333", task.accountId());
        assertEquals("MyService", task.serviceName());
        assertEquals("EC2", task.launchType());
        assertEquals("26", task.revision());
        assertEquals(Optional.empty(), task.cpuLimitVcpu());
        assertEquals(Optional.empty(), task.memoryLimitMiB());
        assertEquals(Optional.empty(), task.ephemeralStorage());
        ContainerMetadata pause = named(task, "~internal~ecs~pause");
        assertTrue(pause.isInternal());
        assertEquals("", pause.imageId());
        assertEquals("RESOURCES_PROVISIONED", pause.knownStatus());
        ContainerMetadata curl = named(task, "curl");
        assertEquals("ecs-curltest-26-curl-a0e7dba5aca6d8cb2e00", curl.dockerName());
        assertEquals(Optional.of(128L), curl.memoryLimitMiB());
        assertEquals(Optional.of(10.0), curl.cpuLimitUnits());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ec2/task-with-tags.json", "ec2/task-with-tags-errors.json"})
    void taskWithTagsParsesLikeTask(String file) {
        TaskMetadata task = task(file, "v4");
        assertEquals("curltest", task.family());
        assertEquals(2, task.containers().size());
        assertEquals("us-west-2d", task.availabilityZone());
    }

    @Test
    void ec2BridgeTaskWithStoppedContainer() {
        TaskMetadata task = task("ec2/task-bridge-with-stopped-container.json", "v4");
        assertEquals("prom-ecs-exporter-sandbox", task.clusterName());
        assertEquals("prom-ecs-exporter-sandbox-main-ec2", task.serviceName());
        ContainerMetadata stopped = named(task, "nonessential");
        assertTrue(stopped.isStopped());
        assertEquals(OptionalInt.of(0), stopped.exitCode());
        assertEquals(Optional.of(256L), stopped.memoryLimitMiB());
        assertEquals(Optional.of(128.0), stopped.cpuLimitUnits());
        assertEquals(List.of("bridge"), stopped.networkModes());
    }

    @Test
    void v3TaskHasNoLaunchType() {
        TaskMetadata task = task("v3/task.json", "v3");
        assertEquals("v3", task.metadataVersion());
        assertEquals("", task.launchType());
        assertFalse(task.isFargate());
        assertEquals("us-east-2", task.region());
        assertEquals("012345678910", task.accountId());
        assertEquals("9781c248-0edd-4cdb-9a93-f63cb662a5d3", task.taskId());
        assertEquals("us-east-2b", task.availabilityZone());
        assertEquals(Optional.of(Instant.parse("2018-02-01T20:55:10.552018345Z")), task.pullStoppedAt());
        assertEquals("nrdlngr/nginx-curl", named(task, "nginx-curl").image());
    }

    @ParameterizedTest
    @ValueSource(strings = {"fargate/container.json", "ec2/container.json", "v3/container.json"})
    void containerEndpoint(String file) {
        ContainerMetadata container = TaskMetadataParser.parseContainer(EcsTestData.bytes(file));
        assertFalse(container.dockerId().isEmpty());
        assertTrue(container.name().equals("curl") || container.name().equals("nginx-curl"));
        assertTrue(container.isRunning());
        assertTrue(container.labels().containsKey("com.amazonaws.ecs.task-arn"));
        assertTrue(container.memoryLimitMiB().isPresent());
        assertTrue(container.startedAt().isPresent());
        assertEquals(List.of("awsvpc"), container.networkModes());
    }

    @Test
    void toleratesMissingAndOddlyTypedFields() {
        String json = """
                {"TaskARN": "arn:aws:ecs:eu-west-1:123456789012:task/c/abc", "Revision": 7,
                 "SomeFutureField": {"x": [1, 2]},
                 "Limits": {"CPU": "0.5"},
                 "Containers": [{"DockerId": "abc", "Name": "app", "ExitCode": 137, "RestartCount": 2,
                                 "StartedAt": "2023-07-21T15:45:44.954460792Z", "FinishedAt": "not a time",
                                 "CreatedAt": "0001-01-01T00:00:00Z", "Health": {"status": "HEALTHY"}}]}
                """;
        TaskMetadata task = TaskMetadataParser.parseTask(json.getBytes(StandardCharsets.UTF_8), "v4");
        assertEquals("7", task.revision());
        assertEquals("", task.cluster());
        assertEquals("", task.clusterName());
        assertEquals("eu-west-1", task.region());
        assertEquals(Optional.of(0.5), task.cpuLimitVcpu());
        ContainerMetadata app = task.containers().get(0);
        assertEquals(java.util.Map.of(), app.labels());
        assertEquals(OptionalInt.of(137), app.exitCode());
        assertEquals(OptionalInt.of(2), app.restartCount());
        assertEquals(Optional.of(Instant.parse("2023-07-21T15:45:44.954460792Z")), app.startedAt());
        assertEquals(Optional.empty(), app.finishedAt());
        assertEquals(Optional.empty(), app.createdAt()); // Go's zero time means unset
        assertEquals(Optional.of("HEALTHY"), app.healthStatus());
        assertEquals("", app.type());
        assertFalse(app.isInternal());
    }

    private static final String SHOP_CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/shop";
    private static final String CHECKOUT_SERVICE_ARN = "arn:aws:ecs:eu-west-1:123456789012:service/shop/Checkout-API";
    private static final String CHECKOUT_TASK_DEFINITION_ARN =
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/checkout:42";

    @Test
    void clusterServiceAndTaskDefinitionArnsWhenTheEndpointGivesThem() {
        TaskMetadata task = TaskMetadataParser.parseTask(EcsTestData.resource("task-with-arns.json"), "v4");
        assertEquals("shop", task.cluster());
        assertEquals("shop", task.clusterName());
        assertEquals(SHOP_CLUSTER_ARN, task.clusterArn());
        assertEquals("Checkout-API", task.serviceName());
        assertEquals(CHECKOUT_SERVICE_ARN, task.serviceArn());
        assertEquals(CHECKOUT_TASK_DEFINITION_ARN, task.taskDefinitionArn());
    }

    @Test
    void arnFieldsSpelledWithCapitalArnAreReadAndValuesThatAreNoArnAreNot() {
        String capitalized = """
                {"TaskARN": "arn:aws:ecs:eu-west-1:123456789012:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                 "Cluster": "shop", "ClusterARN": "%s", "ServiceARN": "%s", "TaskDefinitionARN": "%s"}
                """.formatted(SHOP_CLUSTER_ARN, CHECKOUT_SERVICE_ARN, CHECKOUT_TASK_DEFINITION_ARN);
        TaskMetadata task = TaskMetadataParser.parseTask(capitalized.getBytes(StandardCharsets.UTF_8), "v4");
        assertEquals(SHOP_CLUSTER_ARN, task.clusterArn());
        assertEquals(CHECKOUT_SERVICE_ARN, task.serviceArn());
        assertEquals(CHECKOUT_TASK_DEFINITION_ARN, task.taskDefinitionArn());

        String notArns = """
                {"TaskARN": "arn:aws:ecs:eu-west-1:123456789012:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                 "Cluster": "shop", "ClusterArn": "shop", "ServiceArn": "Checkout-API",
                 "TaskDefinitionArn": "checkout:42"}
                """;
        TaskMetadata plain = TaskMetadataParser.parseTask(notArns.getBytes(StandardCharsets.UTF_8), "v4");
        assertEquals("", plain.clusterArn());
        assertEquals("", plain.serviceArn());
        assertEquals("", plain.taskDefinitionArn());
    }

    /** The ECS agent serves no service or task-definition ARN; Fargate names the cluster by its ARN, EC2 does not. */
    @ParameterizedTest
    @CsvSource({
            "fargate/task.json, v4, arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira-fargate-check-cluster",
            "fargate/task-with-stopped-container.json, v4, "
                    + "arn:aws:ecs:us-east-1:829490980523:cluster/prom-ecs-exporter-sandbox",
            "ec2/task-awsvpc.json, v4, ''",
            "ec2/task-bridge-with-stopped-container.json, v4, ''",
            "ec2/task-with-tags.json, v4, ''",
            "v3/task.json, v3, ''"})
    void recordedTasksCarryOnlyTheClusterArnAndOnlyOnFargate(String file, String version, String clusterArn) {
        TaskMetadata task = task(file, version);
        assertEquals(clusterArn, task.clusterArn());
        assertEquals("", task.serviceArn());
        assertEquals("", task.taskDefinitionArn());
    }

    @Test
    void taskWithoutContainersIsAllowed() {
        TaskMetadata task = TaskMetadataParser.parseTask(
                "{\"TaskARN\":\"arn:aws:ecs:us-east-1:1:task/x\"}".getBytes(StandardCharsets.UTF_8), "v4");
        assertEquals(List.of(), task.containers());
    }

    @Test
    void clusterShortName() {
        assertEquals("default", TaskMetadataParser.clusterShortName("default"));
        assertEquals("prod", TaskMetadataParser.clusterShortName("arn:aws:ecs:us-east-1:1:cluster/prod"));
        assertEquals("", TaskMetadataParser.clusterShortName(""));
    }

    private static MetadataException badTask(String body) {
        return assertThrows(MetadataException.class,
                () -> TaskMetadataParser.parseTask(body.getBytes(StandardCharsets.UTF_8), "v4"));
    }

    @Test
    void malformedJsonNamesTheProblemAndPosition() {
        MetadataException e = badTask("{\"TaskARN\": \"arn:aws:ecs:x\", \"Containers\": [");
        assertTrue(e.getMessage().startsWith("The /task response is not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void trailingGarbageIsRejected() {
        MetadataException e = badTask("{\"TaskARN\": \"arn:aws:ecs:us-east-1:1:task/x\"} {\"more\": 1}");
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void emptyBodyIsRejected() {
        assertTrue(badTask("").getMessage().contains("is empty"));
        assertTrue(badTask("   ").getMessage().contains("is empty"));
    }

    @Test
    void wrongTopLevelShapeIsRejected() {
        MetadataException array = badTask("[{\"TaskARN\": \"x\"}]");
        assertEquals("The /task response is a JSON array; expected a JSON object", array.getMessage());
        MetadataException string = badTask("\"hello\"");
        assertEquals("The /task response is a JSON string; expected a JSON object", string.getMessage());
    }

    @Test
    void objectWithoutTaskArnIsNotATask() {
        MetadataException e = badTask("{\"DockerId\": \"abc\", \"Name\": \"app\"}");
        assertTrue(e.getMessage().contains("has no TaskARN"), e.getMessage());
        assertTrue(e.getMessage().contains("DockerId, Name"), e.getMessage());
    }

    @Test
    void containersMustBeAnArrayOfObjects() {
        MetadataException notArray = badTask("{\"TaskARN\": \"arn:a\", \"Containers\": {\"a\": 1}}");
        assertTrue(notArray.getMessage().contains("\"Containers\" of type OBJECT"), notArray.getMessage());
        MetadataException notObject = badTask("{\"TaskARN\": \"arn:a\", \"Containers\": [\"x\"]}");
        assertEquals("The Containers[0] is a JSON string; expected a JSON object", notObject.getMessage());
        MetadataException noId = badTask("{\"TaskARN\": \"arn:a\", \"Containers\": [{\"Name\": \"x\"}]}");
        assertTrue(noId.getMessage().contains("Containers[0] has no DockerId"), noId.getMessage());
    }

    @Test
    void containerEndpointGivenTaskJsonIsRejected() {
        MetadataException e = assertThrows(MetadataException.class,
                () -> TaskMetadataParser.parseContainer(EcsTestData.bytes("fargate/task.json")));
        assertTrue(e.getMessage().contains("has no DockerId"), e.getMessage());
    }
}
