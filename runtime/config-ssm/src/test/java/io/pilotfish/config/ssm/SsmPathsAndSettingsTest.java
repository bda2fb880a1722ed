package io.pilotfish.config.ssm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SsmPathsAndSettingsTest {

    @Test
    void defaultPathsFromTheTask() {
        var resolved = SsmPaths.defaults().resolve(Tasks.task("prod", "web", "web-svc"));
        assertEquals(List.of("/pilotfish/defaults", "/pilotfish/prod", "/pilotfish/prod/web"), resolved.paths());
        assertTrue(resolved.skipped().isEmpty());
    }

    @Test
    void unresolvablePlaceholdersAreSkippedWithAReason() {
        var paths = new SsmPaths(List.of("/pf/{account}/{region}", "/pf/{service}", "/pf/{nope}", "/pf/{cluster}/"));
        var resolved = paths.resolve(Tasks.bare("eu-west-1a", "arn:aws:ecs:eu-west-1:1:task/c/x"));
        assertEquals(List.of("/pf/c"), resolved.paths());
        assertEquals(3, resolved.skipped().size());
        assertEquals("{account} is not known for this task", resolved.skipped().get(0).reason());
        assertEquals("{service} is not known for this task", resolved.skipped().get(1).reason());
        assertTrue(resolved.skipped().get(2).reason().startsWith("unknown placeholder {nope}"));
        var noTask = SsmPaths.defaults().resolve(null);
        assertEquals(List.of("/pilotfish/defaults"), noTask.paths());
        assertEquals("{cluster} is not known for this task (task metadata unavailable)",
                noTask.skipped().get(0).reason());
    }

    @Test
    void aPathThatResolvesToAnInvalidNameIsSkipped() {
        var resolved = new SsmPaths(List.of("/pf/{cluster}")).resolve(Tasks.task("has space", "web", "s"));
        assertTrue(resolved.paths().isEmpty());
        assertTrue(resolved.skipped().get(0).reason().contains("not a valid SSM path"));
    }

    @Test
    void regionFromEnvironmentThenTask() {
        var task = Tasks.bare("ap-southeast-2c", "arn:aws:ecs:us-east-2:1:task/c/x");
        assertEquals("eu-central-1", SsmSettings.fromEnvironment(Map.of("AWS_REGION", "eu-central-1",
                "AWS_DEFAULT_REGION", "us-west-2"), task).region());
        assertEquals("us-west-2", SsmSettings.fromEnvironment(Map.of("AWS_DEFAULT_REGION", "us-west-2"), task).region());
        assertEquals("ap-southeast-2", SsmSettings.fromEnvironment(Map.of(), task).region(), "from the zone");
        assertEquals("us-east-2", SsmSettings.fromEnvironment(Map.of(), Tasks.bare("use2-az1",
                "arn:aws:ecs:us-east-2:1:task/c/x")).region(), "zone id is not a zone name: from the ARN");
        var e = assertThrows(IllegalArgumentException.class, () -> SsmSettings.fromEnvironment(Map.of(), null));
        assertTrue(e.getMessage().contains("AWS_REGION"));
    }

    @Test
    void endpointOverrideSsmSpecificFirst() {
        var task = Tasks.task("prod", "web", "s");
        assertEquals(Optional.of(URI.create("http://ssm.local:4566")), SsmSettings.fromEnvironment(Map.of(
                "AWS_ENDPOINT_URL", "http://all.local", "AWS_ENDPOINT_URL_SSM", "http://ssm.local:4566"), task).endpoint());
        assertEquals(Optional.of(URI.create("http://all.local")),
                SsmSettings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "http://all.local"), task).endpoint());
        assertEquals(Optional.empty(), SsmSettings.fromEnvironment(Map.of(), task).endpoint());
        assertEquals("123456789012", SsmSettings.fromEnvironment(Map.of(), task).accountId());
        var e = assertThrows(IllegalArgumentException.class,
                () -> SsmSettings.fromEnvironment(Map.of("AWS_ENDPOINT_URL_SSM", "not a url"), task));
        assertTrue(e.getMessage().startsWith("AWS_ENDPOINT_URL_SSM=\"not a url\""));
    }

    @Test
    void secretReferences() {
        assertEquals("/pilotfish/prod/api-key", SecretReference.parse("ssm:/pilotfish/prod/api-key").parameterName());
        assertEquals("/aws/reference/secretsmanager/dd/key", SecretReference.parse("secretsmanager:dd/key").parameterName());
        String arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dd-key-AbCdEf";
        assertEquals("/aws/reference/secretsmanager/dd-key", SecretReference.parse(arn).parameterName());
        assertEquals("/aws/reference/secretsmanager/dd-key", SecretReference.parse("secretsmanager:" + arn).parameterName());
        assertEquals("/aws/reference/secretsmanager/prod/dd", SecretReference.parse(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/dd").parameterName(), "partial ARN");
        for (String bad : new String[] {"", "ssm:relative", "vault:x", "secretsmanager:", "arn:aws:s3:::bucket",
                "arn:aws:secretsmanager:eu-west-1:1:notsecret:x"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> SecretReference.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("expected "), e.getMessage());
        }
    }
}
