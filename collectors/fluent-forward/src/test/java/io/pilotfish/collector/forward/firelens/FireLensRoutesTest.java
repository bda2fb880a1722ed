package io.pilotfish.collector.forward.firelens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.signal.TagSet;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FireLensRoutesTest {

    private static final String KEY = "0123456789abcdef0123456789abcdef";

    private static Path generated() throws URISyntaxException {
        return Path.of(FireLensRoutesTest.class.getResource("/firelens/generated-fluent-bit.conf").toURI());
    }

    private static FireLensRoutes routes() throws Exception {
        return FireLensRoutes.of(FluentBitConfig.read(generated(), Map.of("FIRELENS_TEST_KEY", KEY,
                "FIRELENS_TEST_SOURCE", "java")));
    }

    @Test
    void aContainersDatadogOptionsApplyToItsRecordsOnly() throws Exception {
        FireLensRoutes routes = routes();

        FireLensRoutes.DatadogRoute checkout = routes.route("checkout-firelens-0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7")
                .orElseThrow();
        assertEquals("checkout", checkout.service());
        assertEquals("java", checkout.source());
        assertEquals(TagSet.of("team:payments", "env:prod"), checkout.tags());
        assertEquals("log", checkout.messageKey());
        assertTrue(checkout.ecsProvider());
        assertEquals("java", checkout.source(), "${VAR} from the environment");
        assertFalse(checkout.toString().contains(KEY), "the output's apikey is not kept: " + checkout);

        assertTrue(routes.route("worker-firelens-0f7c9d2e").isEmpty(), "cloudwatch_logs is not ours to send");
        assertTrue(routes.route("firelens-healthcheck").isEmpty());
        assertTrue(routes.route("sidecar-firelens-1").isEmpty(), "no output matches: not sent, as in Fluent Bit");
    }

    @Test
    void theIncludedFileIsFollowedWithItsSetVariablesAndCaseInsensitiveKeys() throws Exception {
        FireLensRoutes.DatadogRoute batch = routes().route("batch-nightly").orElseThrow();
        assertEquals("batch-eu-west-1", batch.service());
        assertFalse(batch.ecsProvider());
    }

    @Test
    void otherOutputsAreListedForTheStartUpLog() throws Exception {
        List<String> ignored = routes().ignoredOutputs();
        assertEquals(1, ignored.size(), ignored.toString());
        assertTrue(ignored.get(0).contains("cloudwatch_logs") && ignored.get(0).contains("worker-firelens*"),
                ignored.get(0));
    }

    @Test
    void matchIsFluentBitsGlob() {
        FireLensRoutes.DatadogRoute route = new FireLensRoutes.DatadogRoute("app-*-firelens*", "", "", TagSet.EMPTY,
                "", false, "");
        assertTrue(route.matches("app-web-firelens-123"));
        assertTrue(route.matches("app--firelens"));
        assertFalse(route.matches("app-web-firelen"));
        assertFalse(route.matches("xapp-web-firelens"));
        FireLensRoutes.DatadogRoute all = new FireLensRoutes.DatadogRoute("*", "", "", TagSet.EMPTY, "", false, "");
        assertTrue(all.matches(""));
        // A pathological pattern against a long tag finishes (no exponential backtracking).
        FireLensRoutes.DatadogRoute stars = new FireLensRoutes.DatadogRoute("*a*a*a*a*a*a*a*a*b", "", "",
                TagSet.EMPTY, "", false, "");
        assertFalse(stars.matches("a".repeat(5_000)));
    }

    @Test
    void aMultilineFilterForTheDriversPiecesIsWhatTheReceiverDoesAnyOtherIsListedAsNotApplied(@TempDir Path dir)
            throws Exception {
        Path conf = dir.resolve("fluent-bit.conf");
        Files.writeString(conf, """
                [FILTER]
                    name                  multiline
                    match                 *
                    multiline.key_content log
                    mode                  partial_message
                [FILTER]
                    name                  multiline
                    match                 app-firelens*
                    multiline.parser      java
                [OUTPUT]
                    Name  datadog
                    Match *
                """);
        List<String> ignored = FireLensRoutes.of(FluentBitConfig.read(conf, Map.of())).ignoredOutputs();
        assertEquals(1, ignored.size(), ignored.toString());
        assertTrue(ignored.get(0).contains("multiline for 'app-firelens*'") && ignored.get(0).contains("not applied"),
                ignored.get(0));
    }

    @Test
    void awsImagesBuiltInConfigurationsReadAsTheirFiltersAndUnknownOnesAreNamed(@TempDir Path dir) throws Exception {
        // Only AWS's Fluent Bit image has that directory; where it exists its files are read from disk instead.
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(FluentBitConfig.AWS_CONFIGS),
                "this machine has AWS's own files there");
        Path conf = dir.resolve("fluent-bit.conf");
        for (String builtIn : List.of("parse-json.conf", "multiline-parse-json.conf", "parse-multiline-json.conf",
                "minimize-log-loss.conf")) {
            // What ECS generates for config-file-type file: the user's file included ahead of its own sections.
            Files.writeString(conf, "@INCLUDE /fluent-bit/configs/" + builtIn + "\n[OUTPUT]\n    Name datadog\n"
                    + "    Match *\n");
            FluentBitConfig read = FluentBitConfig.read(conf, Map.of());
            assertEquals(List.of(), FireLensRoutes.of(read).ignoredOutputs(), builtIn + ": JSON lifting and the "
                    + "joining of pieces are what the receiver does");
            boolean parsesJson = read.sections("FILTER").stream()
                    .anyMatch(f -> f.get("name").orElse("").equals("parser") && f.get("parser").orElse("").equals("json"));
            assertEquals(!builtIn.startsWith("minimize"), parsesJson, builtIn);
        }
        Files.writeString(conf, "@INCLUDE /fluent-bit/configs/parse-yaml.conf\n");
        FluentBitConfigException e = assertThrows(FluentBitConfigException.class,
                () -> FluentBitConfig.read(conf, Map.of()));
        assertTrue(e.getMessage().contains("/fluent-bit/configs/parse-yaml.conf")
                && e.getMessage().contains("parse-json.conf"), e.getMessage());

        Files.writeString(conf, """
                [FILTER]
                    Name     parser
                    Match    *
                    Key_Name msg
                    Parser   logfmt
                [OUTPUT]
                    Name  datadog
                    Match *
                """);
        List<String> ignored = FireLensRoutes.of(FluentBitConfig.read(conf, Map.of())).ignoredOutputs();
        assertTrue(ignored.size() == 1 && ignored.get(0).contains("parser") && ignored.get(0).contains("not applied"),
                "another parser is not: " + ignored);
    }

    @Test
    void aBrokenConfigurationIsRefusedNamingTheFileAndLineButNoValue(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("fluent-bit.conf");
        Files.writeString(bad, "[OUTPUT]\n    Name datadog\n    Match *\n    apikey " + KEY + "\n[BROKEN\n");
        FluentBitConfigException e = assertThrows(FluentBitConfigException.class,
                () -> FluentBitConfig.read(bad, Map.of()));
        assertTrue(e.getMessage().contains("fluent-bit.conf:5"), e.getMessage());
        assertFalse(e.getMessage().contains(KEY), e.getMessage());

        Files.writeString(bad, "    apikey " + KEY + "\n");
        e = assertThrows(FluentBitConfigException.class, () -> FluentBitConfig.read(bad, Map.of()));
        assertTrue(e.getMessage().contains("outside any section"), e.getMessage());
        assertFalse(e.getMessage().contains(KEY), e.getMessage());

        Files.writeString(bad, "@INCLUDE fluent-bit.conf\n");
        e = assertThrows(FluentBitConfigException.class, () -> FluentBitConfig.read(bad, Map.of()));
        assertTrue(e.getMessage().contains("includes itself"), e.getMessage());

        Files.writeString(bad, "[OUTPUT]\n    Name datadog\n");
        FluentBitConfig noMatch = FluentBitConfig.read(bad, Map.of());
        e = assertThrows(FluentBitConfigException.class, () -> FireLensRoutes.of(noMatch));
        assertTrue(e.getMessage().contains("without Match"), e.getMessage());
    }

    @Test
    void theEcsProviderMovesEcsFieldsToTagsAsFluentBitDoes() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("container_id", "0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-1234567890");
        fields.put("container_name", "/checkout");
        fields.put("ecs_cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/payments");
        fields.put("ecs_task_arn", "arn:aws:ecs:eu-west-1:123456789012:task/payments/0f7c9d2e");
        fields.put("ecs_task_definition", "checkout:42");
        fields.put("source", "stdout");
        fields.put("ecs_task_definition_bad", 7);
        EcsProviderTags.Remapped remapped = EcsProviderTags.remap(fields);

        assertEquals(List.of("container_id:0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-1234567890", "container_name:checkout",
                "cluster_name:payments", "task_arn:arn:aws:ecs:eu-west-1:123456789012:task/payments/0f7c9d2e",
                "region:eu-west-1", "task_id:payments/0f7c9d2e", "task_family:checkout", "task_version:42"),
                remapped.tags());
        assertEquals(Map.of("source", "stdout", "ecs_task_definition_bad", 7), remapped.attributes());
        // Values not in the ARN or family:revision form keep their whole value, as Fluent Bit keeps them.
        Map<String, Object> odd = new LinkedHashMap<>();
        odd.put("ecs_cluster", "plain");
        odd.put("ecs_task_arn", "odd");
        odd.put("ecs_task_definition", "nocolon");
        assertEquals(List.of("cluster_name:plain", "task_arn:odd", "task_id:odd", "ecs_task_definition:nocolon"),
                EcsProviderTags.remap(odd).tags());
    }
}
