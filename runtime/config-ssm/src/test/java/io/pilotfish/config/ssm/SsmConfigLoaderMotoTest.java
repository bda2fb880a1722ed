package io.pilotfish.config.ssm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.spi.Secret;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/** Against moto's SSM, with credentials from the container-credentials endpoint. */
class SsmConfigLoaderMotoTest {

    @RegisterExtension
    static final AwsTestEnvironment AWS = new AwsTestEnvironment();

    static final String API_KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run
    static final String DOC_SECRET = "doc-secret-value-7f3a";
    static final String SM_SECRET = "secretsmanager-api-key-9c1e";
    static final Instant NOW = Instant.parse("2026-11-25T01:00:00Z");

    static SsmClient ssm;

    @BeforeAll
    static void seed() {
        ssm = AWS.settings().createClient();
        put("/pilotfish/defaults/tags", "team:core", ParameterType.STRING);
        put("/pilotfish/defaults/site", "datadoghq.com", ParameterType.STRING);
        put("/pilotfish/defaults/collectors/ecs/interval", "30s", ParameterType.STRING);
        put("/pilotfish/prod/tags", "env:prod,team:core", ParameterType.STRING_LIST);
        put("/pilotfish/prod/collectors.ecs.interval", "20s", ParameterType.STRING);
        put("/pilotfish/prod/config", """
                # cluster-wide settings
                pilotfish.hostname = prod-host
                pilotfish.collectors.stats.enabled=false
                """, ParameterType.STRING);
        // Another family's parameters under the cluster path must not leak into this task's keys.
        put("/pilotfish/prod/api/tags", "service:api", ParameterType.STRING);
        put("/pilotfish/prod/web/tags", "env:prod,service:web", ParameterType.STRING_LIST);
        put("/pilotfish/prod/web/collectors/dogstatsd/port", "8125", ParameterType.STRING);
        put("/pilotfish/prod/web/datadog/api-key", API_KEY, ParameterType.SECURE_STRING);
        // 12 more, so this path needs two pages (GetParametersByPath pages at 10).
        for (int i = 0; i < 12; i++) {
            put("/pilotfish/prod/web/collectors/c" + i + "/interval", (i + 1) + "s", ParameterType.STRING);
        }
        put("/pilotfish/bad/web/pilotfish.tags", "x", ParameterType.STRING);
        put("/pilotfish/bad/web/good", "fine", ParameterType.STRING);
        put("/pilotfish/bad/web/app.properties", """
                pilotfish.env=staging
                this line has no separator
                other.key=outside
                =novalue
                pilotfish.datadog.api-key-copy: ok
                """, ParameterType.STRING);
        put("/pilotfish/bad/web/secret/config", "pilotfish.secret.value=" + DOC_SECRET + "\nbroken " + DOC_SECRET + "\n",
                ParameterType.SECURE_STRING);
        put("/pilotfish/keys/datadog", API_KEY, ParameterType.SECURE_STRING);
        try (SecretsManagerClient sm = SecretsManagerClient.builder().region(Region.of(AwsTestEnvironment.REGION))
                .endpointOverride(AWS.endpoint()).credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            sm.createSecret(b -> b.name("pilotfish/datadog-api-key").secretString(SM_SECRET));
        }
    }

    @AfterAll
    static void close() {
        ssm.close();
    }

    static void put(String name, String value, ParameterType type) {
        ssm.putParameter(b -> {
            b.name(name).value(value).type(type).overwrite(true);
            if (type == ParameterType.SECURE_STRING) {
                b.keyId("alias/aws/ssm");
            }
        });
    }

    /** Counts the continuation calls, to prove a path really spanned pages. */
    static final java.util.concurrent.atomic.AtomicInteger continuations = new java.util.concurrent.atomic.AtomicInteger();

    static SsmClient counting() {
        return new SsmClient() {
            @Override
            public software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse getParametersByPath(
                    software.amazon.awssdk.services.ssm.model.GetParametersByPathRequest request) {
                if (request.nextToken() != null) {
                    continuations.incrementAndGet();
                }
                return ssm.getParametersByPath(request);
            }

            @Override
            public String serviceName() {
                return "ssm";
            }

            @Override
            public void close() {
            }
        };
    }

    static SsmConfigLoader loader() {
        return new SsmConfigLoader(counting(), AwsTestEnvironment.REGION, "123456789012",
                Clock.fixed(NOW, ZoneOffset.UTC), d -> { });
    }

    @Test
    void layeredPathsFromTaskMetadataMergeWithTheMoreSpecificWinning() {
        List<String> paths = SsmPaths.defaults().resolve(Tasks.task("prod", "web", "web-svc")).paths();
        continuations.set(0);
        SsmLoad load = loader().load(paths);
        assertTrue(continuations.get() >= 1, "the family path must have needed a second page");

        assertEquals(List.of(), load.problems());
        assertEquals("env:prod,service:web", load.values().get("pilotfish.tags").value(), "family overrides cluster");
        assertEquals("ssm:/pilotfish/prod/web/tags (version 1)", load.values().get("pilotfish.tags").source());
        assertEquals("datadoghq.com", load.values().get("pilotfish.site").value(), "defaults fill the rest");
        assertTrue(load.values().values().stream().allMatch(v -> v.ordinal() == io.pilotfish.core.config.ConfigValue.SSM),
                "every value carries the SSM ordinal");
        assertEquals("20s", load.values().get("pilotfish.collectors.ecs.interval").value(),
                "cluster (dotted name) overrides defaults (nested name)");
        assertEquals("8125", load.values().get("pilotfish.collectors.dogstatsd.port").value());
        assertEquals("prod-host", load.values().get("pilotfish.hostname").value());
        assertEquals("ssm:/pilotfish/prod/config (version 1) line 3",
                load.values().get("pilotfish.collectors.stats.enabled").source());
        for (int i = 0; i < 12; i++) {
            assertEquals((i + 1) + "s", load.values().get("pilotfish.collectors.c" + i + ".interval").value(),
                    "second page read");
        }
        assertFalse(load.values().containsKey("pilotfish.api.tags"), "other family's parameter leaked");
        assertEquals(API_KEY, load.values().get("pilotfish.datadog.api-key").value(), "SecureString decrypted");
        assertTrue(load.isSecret("pilotfish.datadog.api-key"));
        assertFalse(load.isSecret("pilotfish.tags"));
        assertEquals(NOW, load.fetchedAt());

        assertEquals(List.of("/pilotfish/defaults", "/pilotfish/prod", "/pilotfish/prod/web"),
                load.paths().stream().map(PathStatus::path).toList());
        assertTrue(load.allPathsReadable());
        assertEquals(15, load.paths().get(2).parameters(), "more than one page (moto pages at 10)");
        assertTrue(AWS.credentialRequests() > 0, "credentials came from the container endpoint");
        assertEquals(0, AWS.rejectedCredentialRequests());
        assertFalse(load.toString().contains(API_KEY), load.toString().replace(API_KEY, "<leak>"));
    }

    @Test
    void eachBadParameterIsReportedByNameWithoutStoppingTheRest() {
        SsmLoad load = loader().load(List.of("/pilotfish/bad/web"));

        assertEquals("fine", load.values().get("pilotfish.good").value());
        assertEquals("staging", load.values().get("pilotfish.env").value());
        assertEquals("ok", load.values().get("pilotfish.datadog.api-key-copy").value());
        assertEquals(DOC_SECRET, load.values().get("pilotfish.secret.value").value());
        assertTrue(load.isSecret("pilotfish.secret.value"), "keys of a SecureString document are secret");

        List<String> lines = load.problems().stream().map(ConfigProblem::describe).toList();
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pilotfish.pilotfish.tags")
                && l.contains("ssm:/pilotfish/bad/web/pilotfish.tags")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("ssm:/pilotfish/bad/web/app.properties (version 1) line 2")
                && l.contains("key=value")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("other.key") && l.contains("line 3")
                && l.contains("must start with pilotfish.")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("app.properties (version 1) line 4")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("ssm:/pilotfish/bad/web/secret/config (version 1) line 2")));
        for (String line : lines) {
            assertFalse(line.contains(DOC_SECRET), "secret echoed in a problem");
        }
        assertFalse(load.toString().contains(DOC_SECRET));
    }

    @Test
    void aPathWithNoParametersIsReportedNotFound() {
        SsmLoad load = loader().load(List.of("/pilotfish/nothing-here"));
        PathStatus status = load.paths().get(0);
        assertEquals(PathStatus.State.NOT_FOUND, status.state());
        assertTrue(status.fix().contains("/pilotfish/nothing-here"));
        assertTrue(load.values().isEmpty());
        assertTrue(load.allPathsReadable(), "an empty layer is not an error");
    }

    @Test
    void apiKeyFromAnSsmParameter() {
        Secret secret = SecretReference.parse("ssm:/pilotfish/keys/datadog").read(ssm);
        assertEquals(API_KEY, secret.reveal());
        assertFalse(secret.toString().contains(API_KEY));
    }

    @Test
    void apiKeyFromSecretsManagerThroughTheSsmReferencePath() {
        assertEquals(SM_SECRET, SecretReference.parse("secretsmanager:pilotfish/datadog-api-key").read(ssm).reveal());
    }

    @Test
    void apiKeyFromASecretArn() {
        String arn;
        try (SecretsManagerClient sm = SecretsManagerClient.builder().region(Region.of(AwsTestEnvironment.REGION))
                .endpointOverride(AWS.endpoint()).credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            arn = sm.describeSecret(b -> b.secretId("pilotfish/datadog-api-key")).arn();
        }
        assertTrue(arn.startsWith("arn:aws:secretsmanager:eu-west-1:"), arn);
        assertEquals(SM_SECRET, SecretReference.parse(arn).read(ssm).reveal());
    }

    @Test
    void missingSecretNamesTheReferenceAndTheFix() {
        var e = assertThrows(SecretReference.SecretUnavailableException.class,
                () -> SecretReference.parse("ssm:/pilotfish/keys/absent").read(ssm));
        assertEquals("ssm:/pilotfish/keys/absent: not found; create it or fix the reference", e.getMessage());
    }

    @Test
    void noCredentialOrSecretInAnyText() {
        SsmLoad load = loader().load(new ArrayList<>(List.of("/pilotfish/defaults", "/pilotfish/prod/web",
                "/pilotfish/bad/web", "/pilotfish/keys")));
        String all = load.toString() + load.problems() + load.paths();
        for (String secret : List.of(API_KEY, DOC_SECRET, AwsTestEnvironment.SECRET_KEY,
                AwsTestEnvironment.SESSION_TOKEN, AwsTestEnvironment.TOKEN)) {
            assertFalse(all.contains(secret), "leaked a secret");
        }
    }
}
