package io.pilotfish.core.ecs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.ContainerMetadata;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.signal.TagSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class EcsTaggerTest {

    private static final String FARGATE_TASK_ARN =
            "arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/67cd8a22b533459696d4ccab5278e009";
    private static final String DD_AGENT_ID = "67cd8a22b533459696d4ccab5278e009-2860414825";
    private static final String FARGATE_CLUSTER_ARN =
            "arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira-fargate-check-cluster";

    private static EcsTaskSnapshot snapshot(String file, String version) {
        return new EcsTaskSnapshot(TaskMetadataParser.parseTask(EcsTestData.bytes(file), version),
                Instant.parse("2024-01-01T00:00:00Z"));
    }

    private static String idOf(TaskMetadata task, String name) {
        return task.containers().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().dockerId();
    }

    @Test
    void fargateDdAgentContainerAtHighCardinality() {
        EcsTaskSnapshot snapshot = snapshot("fargate/task.json", "v4");
        TagSet tags = snapshot.containerTags(DD_AGENT_ID, Cardinality.HIGH);
        // The tags upstream's ecs_fargate tests expect for this container (docker_image excepted: the real tagger
        // adds it on the Docker runtime only, and Fargate is not Docker).
        for (String expected : List.of(
                "image_name:public.ecr.aws/b1o7r7e0/akira-agent-fgcheck",
                "short_image:akira-agent-fgcheck",
                "image_tag:9",
                "ecs_container_name:dd-agent",
                "container_id:" + DD_AGENT_ID,
                "container_name:dd-agent",
                "cluster_name:akira-fargate-check-cluster",
                "task_family:akira-fargate-check",
                "task_version:1",
                "task_arn:" + FARGATE_TASK_ARN)) {
            assertTrue(tags.contains(expected), "missing " + expected + " in " + tags);
        }
        Set<String> exact = new TreeSet<>(List.of(
                "availability-zone:ap-northeast-1d",
                "availability_zone:ap-northeast-1d",
                "aws_account:601427279990",
                "cluster_arn:" + FARGATE_CLUSTER_ARN,
                "cluster_name:akira-fargate-check-cluster",
                "container_id:" + DD_AGENT_ID,
                "container_name:dd-agent",
                "ecs_cluster_name:akira-fargate-check-cluster",
                "ecs_container_name:dd-agent",
                "image_id:sha256:9d285ef4b9bac6f4c58211b711436dd507db7ba1f52605ae463102ee31b0f49b",
                "image_name:public.ecr.aws/b1o7r7e0/akira-agent-fgcheck",
                "image_tag:9",
                "region:ap-northeast-1",
                "short_image:akira-agent-fgcheck",
                "task_arn:" + FARGATE_TASK_ARN,
                "task_family:akira-fargate-check",
                "task_name:akira-fargate-check",
                "task_version:1"));
        assertEquals(exact, new TreeSet<>(tags));
        assertNull(tags.valueOf("docker_image"));
    }

    @Test
    void cardinalityLevelsAddTaskArnThenContainerIdentity() {
        EcsTaskSnapshot snapshot = snapshot("fargate/task.json", "v4");
        TagSet low = snapshot.containerTags(DD_AGENT_ID, Cardinality.LOW);
        TagSet orchestrator = snapshot.containerTags(DD_AGENT_ID, Cardinality.ORCHESTRATOR);
        TagSet high = snapshot.containerTags(DD_AGENT_ID, Cardinality.HIGH);
        assertNull(low.valueOf("task_arn"));
        assertNull(low.valueOf("container_id"));
        assertEquals(FARGATE_TASK_ARN, orchestrator.valueOf("task_arn"));
        assertNull(orchestrator.valueOf("container_id"));
        assertNull(orchestrator.valueOf("container_name"));
        assertEquals(low.with("task_arn:" + FARGATE_TASK_ARN), orchestrator);
        assertEquals(orchestrator.with("container_id:" + DD_AGENT_ID, "container_name:dd-agent"), high);

        TagSet taskLow = snapshot.taskTags(Cardinality.LOW);
        assertEquals(Set.of("availability-zone:ap-northeast-1d", "availability_zone:ap-northeast-1d",
                "aws_account:601427279990", "cluster_arn:" + FARGATE_CLUSTER_ARN,
                "cluster_name:akira-fargate-check-cluster", "ecs_cluster_name:akira-fargate-check-cluster", "region:ap-northeast-1",
                "task_family:akira-fargate-check", "task_name:akira-fargate-check", "task_version:1"),
                Set.copyOf(taskLow));
        assertEquals(snapshot.taskTags(Cardinality.ORCHESTRATOR), snapshot.taskTags(Cardinality.HIGH));
    }

    /**
     * As the Agent's tagger does (comp/core/tagger/collectors/workloadmeta_extract.go, handleECSTask): service_arn and
     * cluster_arn at low cardinality, task_definition_arn at orchestrator cardinality, on the task and its containers,
     * the ARNs as given while ecs_service is lowercased; and only where the endpoint gives the ARN.
     */
    @Test
    void serviceClusterAndTaskDefinitionArnsAtTheAgentsCardinalityWhereTheEndpointGivesThem() {
        EcsTaskSnapshot snapshot = new EcsTaskSnapshot(
                TaskMetadataParser.parseTask(EcsTestData.resource("task-with-arns.json"), "v4"),
                Instant.parse("2025-03-04T10:16:00Z"));
        String serviceArn = "arn:aws:ecs:eu-west-1:123456789012:service/shop/Checkout-API";
        String clusterArn = "arn:aws:ecs:eu-west-1:123456789012:cluster/shop";
        String taskDefinitionArn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/checkout:42";
        String api = idOf(snapshot.task(), "api");
        for (TagSet low : List.of(snapshot.taskTags(Cardinality.LOW), snapshot.containerTags(api, Cardinality.LOW))) {
            assertEquals(serviceArn, low.valueOf("service_arn"), low.toString());
            assertEquals(clusterArn, low.valueOf("cluster_arn"), low.toString());
            assertEquals("checkout-api", low.valueOf("ecs_service"), low.toString());
            assertNull(low.valueOf("task_definition_arn"), low.toString());
        }
        for (Cardinality level : List.of(Cardinality.ORCHESTRATOR, Cardinality.HIGH)) {
            for (TagSet tags : List.of(snapshot.taskTags(level), snapshot.containerTags(api, level))) {
                assertEquals(taskDefinitionArn, tags.valueOf("task_definition_arn"), tags.toString());
                assertEquals(serviceArn, tags.valueOf("service_arn"), tags.toString());
                assertEquals(clusterArn, tags.valueOf("cluster_arn"), tags.toString());
            }
        }

        // The recorded captures carry no service or task-definition ARN; Fargate names its cluster by its ARN.
        Map<String, String> clusterArnByCapture = new TreeMap<>(Map.of(
                "fargate/task.json", FARGATE_CLUSTER_ARN,
                "fargate/task-with-stopped-container.json",
                "arn:aws:ecs:us-east-1:829490980523:cluster/prom-ecs-exporter-sandbox",
                "ec2/task-awsvpc.json", "",
                "ec2/task-bridge-with-stopped-container.json", "",
                "ec2/task-with-tags.json", "",
                "v3/task.json", ""));
        clusterArnByCapture.forEach((file, expectedClusterArn) -> {
            EcsTaskSnapshot recorded = snapshot(file, file.startsWith("v3/") ? "v3" : "v4");
            List<TagSet> everyTagSet = new ArrayList<>(List.of(recorded.taskTags(Cardinality.HIGH)));
            recorded.task().containers().forEach(c -> everyTagSet.add(
                    recorded.containerTags(c.dockerId(), Cardinality.HIGH)));
            for (TagSet tags : everyTagSet) {
                assertEquals(expectedClusterArn.isEmpty() ? null : expectedClusterArn, tags.valueOf("cluster_arn"),
                        file + ": " + tags);
                assertNull(tags.valueOf("service_arn"), file + ": " + tags);
                assertNull(tags.valueOf("task_definition_arn"), file + ": " + tags);
            }
        });
    }

    @Test
    void unknownContainerGetsTaskTags() {
        EcsTaskSnapshot snapshot = snapshot("fargate/task.json", "v4");
        assertEquals(snapshot.taskTags(Cardinality.HIGH), snapshot.containerTags("nope", Cardinality.HIGH));
        assertEquals(snapshot.taskTags(Cardinality.LOW), snapshot.containerTags(null, Cardinality.LOW));
    }

    @Test
    void tagSetsArePrecomputed() {
        EcsTaskSnapshot snapshot = snapshot("fargate/task.json", "v4");
        assertSame(snapshot.containerTags(DD_AGENT_ID, Cardinality.HIGH),
                snapshot.containerTags(DD_AGENT_ID, Cardinality.HIGH));
        assertSame(snapshot.taskTags(Cardinality.LOW), snapshot.taskTags(Cardinality.LOW));
    }

    @Test
    void ec2AwsvpcTask() {
        EcsTaskSnapshot snapshot = snapshot("ec2/task-awsvpc.json", "v4");
        String curl = idOf(snapshot.task(), "curl");
        TagSet tags = snapshot.containerTags(curl, Cardinality.HIGH);
        assertEquals(Set.of(
                "aws_account:111122223333",
                "cluster_name:default",
                "container_id:" + curl,
                "container_name:ecs-curltest-26-curl-a0e7dba5aca6d8cb2e00",
                "docker_image:111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
                "ecs_cluster_name:default",
                "ecs_container_name:curl",
                "ecs_service:myservice",
                "image_id:sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553",
                "image_name:111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest",
                "image_tag:latest",
                "region:us-west-2",
                "short_image:curltest",
                "task_arn:arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c",
                "task_family:curltest",
                "task_name:curltest",
                "task_version:26"), Set.copyOf(tags));

        // The pause container has no ImageID, so no image_id tag.
        TagSet pause = snapshot.containerTags(idOf(snapshot.task(), "~internal~ecs~pause"), Cardinality.LOW);
        assertNull(pause.valueOf("image_id"));
        assertEquals("amazon/amazon-ecs-pause:0.1.0", pause.valueOf("docker_image"));
        assertEquals("amazon-ecs-pause", pause.valueOf("short_image"));
    }

    @Test
    void ec2BridgeTaskUsesServiceNameLowercased() {
        EcsTaskSnapshot snapshot = snapshot("ec2/task-bridge-with-stopped-container.json", "v4");
        TagSet tags = snapshot.containerTags(idOf(snapshot.task(), "prometheus"), Cardinality.LOW);
        assertEquals("prom-ecs-exporter-sandbox-main-ec2", tags.valueOf("ecs_service"));
        assertEquals("prom/prometheus:v3.1.0", tags.valueOf("docker_image"));
        assertEquals("v3.1.0", tags.valueOf("image_tag"));
        assertEquals("prom/prometheus", tags.valueOf("image_name"));
        assertNull(tags.valueOf("availability-zone"), "availability zone tags are Fargate-only");
    }

    @Test
    void v3TaskWithoutLaunchTypeIsTreatedAsEc2() {
        EcsTaskSnapshot snapshot = snapshot("v3/task.json", "v3");
        TagSet tags = snapshot.containerTags(idOf(snapshot.task(), "nginx-curl"), Cardinality.LOW);
        assertEquals("nrdlngr/nginx-curl:latest", tags.valueOf("docker_image"));
        assertEquals("nginx-curl", tags.valueOf("short_image"));
        assertEquals("us-east-2", tags.valueOf("region"));
        assertEquals("012345678910", tags.valueOf("aws_account"));
        assertNull(tags.valueOf("availability-zone"));
        assertNull(tags.valueOf("ecs_service"));
    }

    @Test
    void taskWithoutLaunchTypeButFargateIdsIsFargate() {
        ContainerMetadata container = new ContainerMetadata("cd189a933e5849daa93386466019ab50-2495160603", "curl",
                "curl", "curl:1", "", java.util.Map.of(), "RUNNING", "RUNNING", java.util.OptionalInt.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), "NORMAL", java.util.OptionalInt.empty(),
                java.util.Optional.empty(), List.of());
        TaskMetadata task = new TaskMetadata("v3", "c", "c", "arn:aws:ecs:us-west-2:1:task/c/x", "f", "1",
                "RUNNING", "RUNNING", "", "us-west-2a", "us-west-2", "1", "", java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), List.of(container));
        assertTrue(task.isFargate());
        assertFalse(task.runsOnDocker());
        TagSet tags = EcsTagger.containerTags(task, container, Cardinality.LOW);
        assertEquals("us-west-2a", tags.valueOf("availability-zone"));
        assertNull(tags.valueOf("docker_image"));
    }

    @Test
    void imageParsing() {
        assertEquals(new EcsTagger.ImageRef("public.ecr.aws/b1o7r7e0/akira-agent-fgcheck", "akira-agent-fgcheck",
                "9", "public.ecr.aws"), EcsTagger.parseImage("public.ecr.aws/b1o7r7e0/akira-agent-fgcheck:9"));
        // a registry port is not a tag; a digest is dropped; no tag means latest
        assertEquals(new EcsTagger.ImageRef("localhost:5000/app", "app", "latest", ""),
                EcsTagger.parseImage("localhost:5000/app@sha256:" + "a".repeat(64)));
        assertEquals(new EcsTagger.ImageRef("localhost:5000/team/app", "app", "1.2", "localhost:5000"),
                EcsTagger.parseImage("localhost:5000/team/app:1.2@sha256:" + "b".repeat(64)));
        assertEquals(new EcsTagger.ImageRef("redis", "redis", "latest", ""), EcsTagger.parseImage("redis"));
        assertEquals(new EcsTagger.ImageRef("library/redis", "redis", "7", ""),
                EcsTagger.parseImage("library/redis:7"));
        String bareId = "sha256:" + "c".repeat(64);
        assertEquals(new EcsTagger.ImageRef(bareId, "", "", ""), EcsTagger.parseImage(bareId));
        assertNull(EcsTagger.parseImage(""));
        assertNull(EcsTagger.parseImage(null));
    }

    @Test
    void bareImageIdGetsOnlyImageName() {
        String bareId = "sha256:" + "c".repeat(64);
        ContainerMetadata container = new ContainerMetadata("id1", "app", "app", bareId, "",
                java.util.Map.of(), "RUNNING", "RUNNING", java.util.OptionalInt.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), "NORMAL", java.util.OptionalInt.empty(), java.util.Optional.empty(),
                List.of());
        TaskMetadata task = new TaskMetadata("v4", "c", "c", "arn:aws:ecs:us-west-2:1:task/c/x", "f", "1",
                "RUNNING", "RUNNING", "EC2", "", "us-west-2", "1", "", java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), List.of(container));
        TagSet tags = EcsTagger.containerTags(task, container, Cardinality.LOW);
        assertEquals(bareId, tags.valueOf("image_name"));
        assertNull(tags.valueOf("short_image"));
        assertNull(tags.valueOf("image_tag"));
        assertNull(tags.valueOf("docker_image"));
    }
}
