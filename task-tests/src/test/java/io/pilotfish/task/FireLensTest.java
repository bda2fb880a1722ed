package io.pilotfish.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ECS's FireLens part of the simulated task, without containers: the generated configuration and the start order. */
class FireLensTest {

    static final FireLens.Task TASK = new FireLens.Task("arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
            "arn:aws:ecs:eu-west-1:123456789012:task/prod/0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7", "shop-firelens", "3");

    @Test
    void theDeployedDefinitionGetsEcsGeneratedConfiguration() throws Exception {
        TaskDefinition definition = TaskDefinition.read(TaskWorld.deployDir().resolve(FirelensTaskIT.FILE));
        assertEquals("""
                [INPUT]
                    Name forward
                    unix_path /var/run/fluent.sock

                [INPUT]
                    Name forward
                    Listen 127.0.0.1
                    Port 24224

                [INPUT]
                    Name tcp
                    Tag firelens-healthcheck
                    Listen 127.0.0.1
                    Port 8877

                [FILTER]
                    Name record_modifier
                    Match *
                    Record ecs_cluster arn:aws:ecs:eu-west-1:123456789012:cluster/prod
                    Record ecs_task_arn arn:aws:ecs:eu-west-1:123456789012:task/prod/0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7
                    Record ecs_task_definition shop-firelens:3

                [OUTPUT]
                    Name null
                    Match firelens-healthcheck

                [OUTPUT]
                    Name datadog
                    Match checkout-firelens*
                    Host http-intake.logs.datadoghq.eu
                    TLS on
                    apikey ${apikey_0}
                    dd_message_key log
                    dd_service checkout
                    dd_source java
                    dd_tags team:payments
                    provider ecs

                """, FireLens.generatedConfig(definition, TASK));
        assertEquals(Map.of("apikey_0", "value of /pilotfish/shop/api-key"),
                FireLens.routerEnvironment(definition, name -> "value of " + name));
    }

    @Test
    void patternsBecomeGrepFiltersAndAnAppWithoutDependencyStartsAfterTheRouter(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("task.json"), """
                {"family": "batch", "networkMode": "awsvpc", "containerDefinitions": [
                  {"name": "router", "image": "pilotfish", "firelensConfiguration":
                    {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "false"}}},
                  {"name": "job", "image": "job", "logConfiguration": {"logDriver": "awsfirelens", "options":
                    {"Name": "datadog", "include-pattern": "^order", "exclude-pattern": "health",
                     "log-driver-buffer-limit": "2097152", "dd_service": "job"}}},
                  {"name": "other", "image": "other", "logConfiguration": {"logDriver": "awslogs", "options": {}}}
                ]}
                """);
        TaskDefinition definition = TaskDefinition.read(file);
        String config = FireLens.generatedConfig(definition, TASK);
        assertTrue(config.contains("""
                [FILTER]
                    Name grep
                    Match job-firelens*
                    Regex log ^order

                [FILTER]
                    Name grep
                    Match job-firelens*
                    Exclude log health

                [OUTPUT]
                    Name null"""), config);
        assertTrue(config.endsWith("""
                [OUTPUT]
                    Name datadog
                    Match job-firelens*
                    dd_service job

                """), config);
        assertFalse(config.contains("record_modifier"), "enable-ecs-log-metadata false: " + config);
        try (EcsTask task = new EcsTask(definition, Map.of())) {
            assertEquals(List.of(new TaskDefinition.DependsOn("router", "START")),
                    task.dependsOn(definition.container("job")), "ECS starts the router first");
            assertEquals(List.of(), task.dependsOn(definition.container("other")), "not an awsfirelens container");
        }
    }

    @Test
    void aSecretOptionNamesAnSsmParameter() {
        assertEquals("/pilotfish/shop/api-key",
                FireLens.parameterName("arn:aws:ssm:eu-west-1:123456789012:parameter/pilotfish/shop/api-key"));
        assertEquals("/pilotfish/shop/api-key", FireLens.parameterName("/pilotfish/shop/api-key"));
        assertThrows(IllegalArgumentException.class, () -> FireLens.parameterName(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dd-api-key-AbCdEf"));
    }
}
