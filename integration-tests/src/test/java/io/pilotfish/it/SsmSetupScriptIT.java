package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.testkit.MotoServer;
import io.pilotfish.testkit.RecordedRequest;
import io.pilotfish.testkit.RecordedSeries;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterStringFilter;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * {@code deploy/ssm-setup.sh} as a user runs it: the real AWS CLI (the pinned v1 that {@code scripts/ensure-awscli.sh}
 * installs) against moto, with only the CLI's usual environment. What it writes is read back with the SDK, and the
 * packaged agent of a task of that cluster and family starts from it with no configuration of its own.
 */
class SsmSetupScriptIT {

    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    /** The cluster and family of {@code TaskSpec.fargateDemoTask()}, which the agent's paths are made from. */
    private static final String CLUSTER = "demo";
    private static final String FAMILY = "shop";
    private static final String KEY = "/pilotfish/secrets/dd-api-key";
    private static final String CONFIG_DOCUMENT = """
            # shop's agent: scrape every 2 s so the test sees several points quickly
            pilotfish.collectors.container-stats.interval=2s
            pilotfish.sinks.console.format: text
            """;
    private static final List<String> SETUP_ARGS = List.of("--cluster", CLUSTER, "--family", FAMILY,
            "--site", "datadoghq.eu", "--env", "prod", "--tags", "team:payments,tier:1", "--config");

    @TempDir
    Path temp;

    @Test
    void createsTheLayoutTheAgentReadsAndASecondRunChangesNothing() throws Exception {
        try (MotoServer moto = MotoServer.start();
             AgentFixture fixture = AgentFixture.demoTask();
             SsmClient admin = SsmConfigIT.admin(moto)) {
            Path config = Files.writeString(temp.resolve("shop.properties"), CONFIG_DOCUMENT);
            List<String> args = new ArrayList<>(SETUP_ARGS);
            args.add(config.toString());

            // The key on standard input, as `deploy/ssm-setup.sh ... < key.txt` gives it.
            Path keyFile = Files.writeString(temp.resolve("key.txt"), fixture.apiKey + "\n");
            AgentProcess.CommandOutput first = runScript(moto.endpoint(), Map.of(), keyFile, args);
            assertEquals(0, first.exitCode(), first.toString());
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put(KEY, "SecureString");
            expected.put("/pilotfish/defaults/datadog/api-key-from", "String");
            expected.put("/pilotfish/defaults/datadog/site", "String");
            expected.put("/pilotfish/demo/env", "String");
            expected.put("/pilotfish/demo/shop/tags", "StringList");
            expected.put("/pilotfish/demo/shop/config", "String");
            expected.forEach((name, type) -> assertTrue(Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s+"
                    + type + "\\s.*\\[created, version 1]$").matcher(first.stdout()).find(),
                    name + " (" + type + ") not reported as created:\n" + first));

            // (a) What the script wrote, read back as the agent's SDK reads it.
            Map<String, Parameter> stored = new LinkedHashMap<>();
            for (Parameter p : admin.getParametersByPath(b -> b.path("/pilotfish").recursive(true).withDecryption(true))
                    .parameters()) {
                stored.put(p.name(), p);
            }
            assertEquals(expected.keySet(), stored.keySet(), "exactly the documented layout");
            assertEquals(ParameterType.SECURE_STRING, stored.get(KEY).type());
            assertEquals(fixture.apiKey, stored.get(KEY).value(), "the key without its newline");
            assertEquals("ssm:" + KEY, stored.get("/pilotfish/defaults/datadog/api-key-from").value());
            assertEquals("datadoghq.eu", stored.get("/pilotfish/defaults/datadog/site").value());
            assertEquals("prod", stored.get("/pilotfish/demo/env").value());
            assertEquals(ParameterType.STRING_LIST, stored.get("/pilotfish/demo/shop/tags").type());
            assertEquals("team:payments,tier:1", stored.get("/pilotfish/demo/shop/tags").value());
            assertEquals(CONFIG_DOCUMENT.strip(), stored.get("/pilotfish/demo/shop/config").value());
            ParameterStringFilter byName = ParameterStringFilter.builder().key("Name").option("Equals").values(KEY)
                    .build();
            String keyId = admin.describeParameters(b -> b.parameterFilters(byName)).parameters().get(0).keyId();
            assertEquals("alias/aws/ssm", keyId);

            // (d) Again, with the key in DD_API_KEY and nothing on stdin. AWS_REGION wins over AWS_DEFAULT_REGION as
            // in the CLI v2 and the SDKs (v1 alone would write to eu-west-1): nothing changes, no new versions.
            AgentProcess.CommandOutput second = runScript(moto.endpoint(),
                    Map.of("DD_API_KEY", fixture.apiKey, "AWS_DEFAULT_REGION", "eu-west-1"), null, args);
            assertEquals(0, second.exitCode(), second.toString());
            expected.forEach((name, type) -> assertTrue(Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s+"
                    + type + "\\s.*\\[unchanged]$").matcher(second.stdout()).find(),
                    name + " not reported unchanged:\n" + second));
            for (Parameter p : admin.getParametersByPath(b -> b.path("/pilotfish").recursive(true)).parameters()) {
                assertEquals(1L, p.version(), p.name() + " was written again");
            }

            // (c) The key is in no output of either run.
            for (AgentProcess.CommandOutput run : List.of(first, second)) {
                assertFalse(run.stdout().contains(fixture.apiKey) || run.stderr().contains(fixture.apiKey),
                        "the script printed the API key");
            }

            // (b) A task of cluster demo, family shop, with no configuration of its own, starts from the layout.
            AgentProcess agent = fixture.start(fixture.ssmAgent(moto.endpoint()));
            RecordedSeries series = fixture.intake.awaitSeries(SsmConfigIT.METRIC,
                    s -> s.hasTags("container_name:app"), Duration.ofSeconds(60));
            assertTrue(series.hasTags("team:payments", "tier:1", "env:prod"), "the tags from SSM: " + series.tags());
            List<RecordedRequest> requests = fixture.intake.requests("/api/v2/series");
            assertFalse(requests.isEmpty());
            for (RecordedRequest request : requests) {
                assertTrue(request.accepted() && request.apiKeyMatches(fixture.apiKey),
                        "request " + request.sequence() + " was refused or carried another key");
            }

            AgentProcess.CommandOutput shown = fixture.ssmAgent(moto.endpoint()).args("config")
                    .runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, shown.exitCode(), shown.toString());
            assertLine(shown, "pilotfish.datadog.site ", "datadoghq.eu", "ssm:/pilotfish/defaults/datadog/site ");
            assertLine(shown, "pilotfish.datadog.api-key ", "****", "ssm:" + KEY);
            assertLine(shown, "pilotfish.tags ", "team:payments,tier:1", "ssm:/pilotfish/demo/shop/tags ");
            assertLine(shown, "pilotfish.env ", "prod", "ssm:/pilotfish/demo/env ");
            assertLine(shown, "pilotfish.collectors.container-stats.interval ", "2s",
                    "ssm:/pilotfish/demo/shop/config (version 1) line 2");
            assertFalse(shown.stdout().contains(fixture.apiKey) || shown.stderr().contains(fixture.apiKey));
            agent.close();
            assertFalse(agent.output().stream().anyMatch(l -> l.contains(fixture.apiKey)), "the agent printed the key");
        }
    }

    @Test
    void badInputIsRefusedWithTheOptionAndTheFixAndWritesNothing() throws Exception {
        try (MotoServer moto = MotoServer.start(); SsmClient admin = SsmConfigIT.admin(moto)) {
            Path key = Files.writeString(temp.resolve("key.txt"), "not-a-real-key-0001\n");
            Path empty = Files.writeString(temp.resolve("empty.txt"), "\n");
            Path plainKeyConfig = Files.writeString(temp.resolve("plain.properties"),
                    "pilotfish.tags=a:b\npilotfish.datadog.api-key=not-a-real-key-0002\n");
            record Case(Map<String, String> env, Path stdin, List<String> args, int exitCode, String message) {
            }
            List<Case> cases = List.of(
                    new Case(Map.of(), key, List.of("--family", FAMILY), 2, "--cluster is required"),
                    new Case(Map.of(), key, List.of("--cluster", "my cluster", "--family", FAMILY), 2,
                            "--cluster 'my cluster': an ECS cluster name has only letters, digits, '-' and '_'"),
                    new Case(Map.of(), key, List.of("--cluster", CLUSTER, "--family", "shop/web"), 2,
                            "--family 'shop/web': an ECS task family has only letters, digits, '-' and '_'"),
                    new Case(Map.of(), key, List.of("--cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                            "--family", FAMILY), 2, "give the short name after the last '/', e.g. --cluster prod"),
                    new Case(Map.of(), empty, List.of("--cluster", CLUSTER, "--family", FAMILY), 2,
                            "no API key: pipe it on stdin or set DD_API_KEY"),
                    new Case(Map.of("DD_API_KEY", ""), key, List.of("--cluster", CLUSTER, "--family", FAMILY), 2,
                            "DD_API_KEY is set but empty"),
                    new Case(Map.of(), null, List.of("--cluster", CLUSTER, "--family", FAMILY, "--api-key",
                            "not-a-real-key-0003"), 2, "--api-key: the API key is never an argument"),
                    new Case(Map.of(), key, List.of("--cluster", CLUSTER, "--family", FAMILY, "--site",
                            "https://app.datadoghq.eu"), 2, "--site 'https://app.datadoghq.eu': give the site's host name only"),
                    new Case(Map.of(), key, List.of("--cluster", CLUSTER, "--family", FAMILY, "--config",
                            plainKeyConfig.toString()), 2, "line 2: pilotfish.datadog.api-key in a plain String document"),
                    new Case(Map.of(), null, List.of("--cluster", CLUSTER, "--family", FAMILY, "--keep-key"), 1,
                            "--keep-key, but " + KEY + " is not there"));
            for (Case c : cases) {
                AgentProcess.CommandOutput run = runScript(moto.endpoint(), c.env(), c.stdin(), c.args());
                String what = String.join(" ", c.args()) + ": " + run;
                assertEquals(c.exitCode(), run.exitCode(), what);
                assertTrue(run.stderr().startsWith("ssm-setup: ") && run.stderr().contains(c.message()), what);
                for (String secret : List.of("not-a-real-key-0001", "not-a-real-key-0002", "not-a-real-key-0003")) {
                    assertFalse(run.stdout().contains(secret) || run.stderr().contains(secret), "key echoed: " + what);
                }
            }
            assertEquals(List.of(), admin.describeParameters(b -> { }).parameters(), "a refused run wrote something");
        }
    }

    /** The one line of {@code pilotfish config} for a key holds each of {@code parts}. */
    private static void assertLine(AgentProcess.CommandOutput config, String keyAndSpace, String... parts) {
        String line = config.stdout().lines().filter(l -> l.startsWith(keyAndSpace)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + keyAndSpace.trim() + " in:\n" + config));
        for (String part : parts) {
            assertTrue(line.contains(part), "'" + part + "' not in: " + line);
        }
    }

    /**
     * Runs {@code deploy/ssm-setup.sh} as a user's shell would: the pinned AWS CLI first on PATH, moto as
     * AWS_ENDPOINT_URL, placeholder credentials and AWS_REGION, an empty home (no profile of the machine's user), and
     * {@code stdin} (or nothing) on standard input.
     */
    private AgentProcess.CommandOutput runScript(URI endpoint, Map<String, String> extraEnv, Path stdin,
                                                 List<String> args) throws IOException, InterruptedException {
        Path deploy = Path.of(System.getProperty("pilotfish.deploy.dir", "../deploy"));
        Path script = deploy.resolve("ssm-setup.sh");
        assertTrue(Files.isRegularFile(script), "no " + script);
        Path awsBin = awsCliVenv().resolve("bin");
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        Path home = Files.createDirectories(temp.resolve("home"));
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", awsBin + ":/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("LANG", "C.UTF-8");
        env.put("AWS_ENDPOINT_URL", endpoint.toString());
        env.put("AWS_ACCESS_KEY_ID", "test-admin");
        env.put("AWS_SECRET_ACCESS_KEY", "test-admin-secret");
        env.put("AWS_REGION", "us-east-1");
        env.putAll(extraEnv);
        builder.redirectInput(stdin != null ? ProcessBuilder.Redirect.from(stdin.toFile())
                : ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return AgentProcess.runToEnd(builder, SCRIPT_TIMEOUT);
    }

    /** The venv {@code scripts/ensure-awscli.sh} made; the build runs it before the integration tests. */
    private static Path awsCliVenv() {
        String version = System.getProperty("pilotfish.awscli.version", "1.46.2");
        Path venv = Path.of(System.getProperty("pilotfish.awscli.venv",
                System.getProperty("user.home") + "/.cache/pilotfish/awscli-" + version));
        if (!Files.isExecutable(venv.resolve("bin/aws"))) {
            throw new IllegalStateException("the AWS CLI is not installed: no executable " + venv.resolve("bin/aws")
                    + "; run scripts/ensure-awscli.sh " + venv + " " + version
                    + " (the Maven build runs it before the integration tests)");
        }
        return venv;
    }
}
