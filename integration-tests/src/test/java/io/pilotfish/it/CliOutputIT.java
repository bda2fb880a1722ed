package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a script reads from the packaged agent's commands: on stdout only the command's own output (no log or
 * framework lines), and with {@code --json} a document the real {@code jq} accepts, also when no agent answers.
 * {@code ./pilotfish health} (the launcher's probe, no Quarkus) and the Quarkus {@code health} command say the same.
 */
class CliOutputIT {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    /** The start of a log line in the agent's format ({@code 2026-12-05T02:07:15.354Z INFO ...}). */
    private static final Pattern LOG_LINE = Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT");
    /** Quarkus' own start and stop lines: on no stream of a CLI command. */
    private static final List<String> FRAMEWORK_LINES = List.of("Quarkus", "Installed features",
            "Profile prod activated", "stopped in");

    @Test
    void configJsonIsOneJsonDocumentAndTheTextHasNoLogLines() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            AgentProcess.CommandOutput json = fixture.agent().args("config", "--json").runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, json.exitCode(), json.toString());
            assertOnlyCommandOutput("config --json", json);
            assertJq("config --json", json.stdout(), ".valid == true and (.keys | length > 0)");
            assertFalse(json.stdout().contains(fixture.apiKey), "config --json printed the API key");

            AgentProcess.CommandOutput text = fixture.agent().args("config").runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, text.exitCode(), text.toString());
            assertOnlyCommandOutput("config", text);
            assertTrue(text.stdout().contains("pilotfish.datadog.url"), text.toString());
        }
    }

    @Test
    void configMasksTheCredentialsOfUrlsInTextJsonAndErrors() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            String intake = "http://ddu:ddpass@127.0.0.1:" + fixture.intake.uri().getPort() + "/";
            for (String[] args : new String[][] {{"config"}, {"config", "--json"}}) {
                AgentProcess.CommandOutput output = fixture.agent().env("DD_DD_URL", intake)
                        .env("DD_PROXY_HTTPS", "http://pxu:pxpass@proxy.internal:3128").args(args)
                        .runToEnd(COMMAND_TIMEOUT);
                assertEquals(0, output.exitCode(), output.toString());
                assertNoUrlCredentials(output);
                assertTrue(output.stdout().contains("http://***@127.0.0.1:" + fixture.intake.uri().getPort() + "/")
                        && output.stdout().contains("http://***@proxy.internal:3128"), output.toString());
            }

            AgentProcess.CommandOutput badScheme = fixture.agent().env("DD_DD_URL", "ftp://ddu:ddpass@intake.example/")
                    .env("DD_PROXY_HTTPS", "pxu:pxpass@proxy.internal:3128").args("config").runToEnd(COMMAND_TIMEOUT);
            assertTrue(badScheme.exitCode() != 0, badScheme.toString());
            assertNoUrlCredentials(badScheme);
            assertTrue(badScheme.stdout().contains("pilotfish.datadog.url=\"ftp://***@intake.example/\"")
                    && badScheme.stdout().contains("pilotfish.proxy.https=\"***@proxy.internal:3128\""),
                    badScheme.toString());
        }
    }

    private static void assertNoUrlCredentials(AgentProcess.CommandOutput output) {
        for (String credential : List.of("ddpass", "ddu:", "pxpass", "pxu:")) {
            assertFalse(output.stdout().contains(credential) || output.stderr().contains(credential),
                    credential + " printed: " + output);
        }
    }

    @Test
    void doctorJsonIsOneJsonDocumentAndTheTextHasNoLogLines() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            // No agent on this port: the running-agent check is skipped, the others run against the fixture.
            String port = Integer.toString(AgentFixture.freePort());
            AgentProcess.CommandOutput json = fixture.agent().property("pilotfish.status.port", port)
                    .args("doctor", "--json", "--timeout", "1s").runToEnd(COMMAND_TIMEOUT);
            assertTrue(json.exitCode() == 0 || json.exitCode() == 1, json.toString());
            assertOnlyCommandOutput("doctor --json", json);
            assertJq("doctor --json", json.stdout(), "(.checks | length > 0) and (.ok | type == \"boolean\")");

            AgentProcess.CommandOutput text = fixture.agent().property("pilotfish.status.port", port)
                    .args("doctor", "--timeout", "1s").runToEnd(COMMAND_TIMEOUT);
            assertOnlyCommandOutput("doctor", text);
            assertTrue(text.stdout().contains("PASS"), text.toString());
        }
    }

    @Test
    void withAnAgentRunningStatusIsJsonAndHealthSaysHealthy() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            String port = Integer.toString(fixture.statusPort);
            AgentProcess agent = fixture.start(fixture.agent().property("pilotfish.status.port", port));
            assertTrue(agent.awaitLine(l -> l.contains("ready in"), Duration.ofSeconds(60)), agent.outputText());
            // Healthy once every part has started; the probe is what ECS runs, so wait on it.
            AgentFixture.await("./pilotfish health to say healthy", Duration.ofSeconds(60),
                    () -> launcherHealth("--port", port).stdout().equals("healthy\n"));

            AgentProcess.CommandOutput json = fixture.agent().property("pilotfish.status.port", port)
                    .args("status", "--json").runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, json.exitCode(), json.toString());
            assertOnlyCommandOutput("status --json", json);
            assertJq("status --json", json.stdout(), "type == \"object\" and has(\"collectors\")");

            AgentProcess.CommandOutput text = fixture.agent().property("pilotfish.status.port", port)
                    .args("status").runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, text.exitCode(), text.toString());
            assertOnlyCommandOutput("status", text);
            assertTrue(text.stdout().startsWith("Pilotfish "), text.toString());

            AgentProcess.CommandOutput launcher = launcherHealth("--port", port);
            assertEquals(new AgentProcess.CommandOutput(0, "healthy\n", ""), launcher);
            AgentProcess.CommandOutput quarkus = fixture.agent().property("pilotfish.status.port", port)
                    .args("health").runToEnd(COMMAND_TIMEOUT);
            assertEquals(0, quarkus.exitCode(), quarkus.toString());
            assertOnlyCommandOutput("health", quarkus);
            assertEquals("healthy\n", quarkus.stdout(), quarkus.toString());
        }
    }

    @Test
    void withNoAgentStatusJsonIsStillJsonAndHealthSaysUnhealthy() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            String port = Integer.toString(AgentFixture.freePort());
            AgentProcess.CommandOutput json = fixture.agent().property("pilotfish.status.port", port)
                    .args("status", "--json").runToEnd(COMMAND_TIMEOUT);
            assertEquals(1, json.exitCode(), json.toString());
            assertOnlyCommandOutput("status --json", json);
            assertJq("status --json (no agent)", json.stdout(), ".ok == false and .running == false and "
                    + "(.error | contains(\"no Pilotfish agent answers on http://127.0.0.1:" + port + "/status\"))");

            AgentProcess.CommandOutput text = fixture.agent().property("pilotfish.status.port", port)
                    .args("status").runToEnd(COMMAND_TIMEOUT);
            assertEquals(1, text.exitCode(), text.toString());
            assertEquals("", text.stdout(), text.toString());
            assertTrue(text.stderr().contains("no Pilotfish agent answers on http://127.0.0.1:" + port + "/status"),
                    text.toString());

            String unhealthy = "unhealthy: no agent answers on 127.0.0.1:" + port + " (connection refused)\n";
            assertEquals(new AgentProcess.CommandOutput(1, unhealthy, ""), launcherHealth("--port", port));
            // The port from the environment, as a task definition would set it.
            assertEquals(new AgentProcess.CommandOutput(1, unhealthy, ""),
                    launcher(List.of("PILOTFISH_STATUS_PORT", port), "health"));
            AgentProcess.CommandOutput quarkus = fixture.agent().property("pilotfish.status.port", port)
                    .args("health").runToEnd(COMMAND_TIMEOUT);
            assertEquals(1, quarkus.exitCode(), quarkus.toString());
            assertOnlyCommandOutput("health", quarkus);
            assertEquals(unhealthy, quarkus.stdout(), "the Quarkus command and the probe say the same");
        }
    }

    /** {@code ./pilotfish health ARGS}: the launcher at the root of the checkout, as a user runs it. */
    static AgentProcess.CommandOutput launcherHealth(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "health";
        System.arraycopy(args, 0, command, 1, args.length);
        return launcher(List.of(), command);
    }

    /** @param env name, value, name, value... added to a clean environment */
    static AgentProcess.CommandOutput launcher(List<String> env, String... args) {
        Path agentDir = Path.of(System.getProperty("pilotfish.agent.dir", "../runtime/agent/target/quarkus-app"))
                .toAbsolutePath().normalize();
        Path root = agentDir.getParent().getParent().getParent().getParent(); // quarkus-app, target, agent, runtime
        Path script = root.resolve("pilotfish");
        assertTrue(Files.isExecutable(script), "no launcher at " + script);
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().add(script.toString());
        builder.command().addAll(List.of(args));
        builder.environment().keySet().removeIf(k -> k.startsWith("DD_") || k.startsWith("ECS_")
                || k.startsWith("PILOTFISH_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        for (int i = 0; i < env.size(); i += 2) {
            builder.environment().put(env.get(i), env.get(i + 1));
        }
        try {
            return AgentProcess.runToEnd(builder, COMMAND_TIMEOUT);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void assertOnlyCommandOutput(String command, AgentProcess.CommandOutput output) {
        assertFalse(LOG_LINE.matcher(output.stdout()).find(), command + ": a log line on stdout\n" + output);
        for (String framework : FRAMEWORK_LINES) {
            assertFalse(output.stdout().contains(framework), command + ": \"" + framework + "\" on stdout\n" + output);
            assertFalse(output.stderr().contains(framework), command + ": \"" + framework + "\" on stderr\n" + output);
        }
    }

    /**
     * Pipes {@code stdout} through the real {@code jq -e FILTER}: it must be JSON, and the filter true. With
     * {@code -e}, jq also fails on empty input, which plain {@code jq .} accepts.
     */
    static void assertJq(String command, String stdout, String filter) throws Exception {
        Path input = Files.createTempFile("pilotfish-json", ".txt");
        try {
            Files.writeString(input, stdout, StandardCharsets.UTF_8);
            AgentProcess.CommandOutput jq;
            try {
                jq = AgentProcess.runToEnd(new ProcessBuilder("jq", "-e", filter).redirectInput(input.toFile()),
                        Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new AssertionError("jq is not installed, and these tests check JSON output with it: install "
                        + "it (apt-get install jq; .ci/run does)", e);
            }
            assertEquals(0, jq.exitCode(), command + ": jq -e '" + filter + "' refused stdout (" + jq.stderr().strip()
                    + ")\n--- stdout was:\n" + stdout);
        } finally {
            Files.deleteIfExists(input);
        }
    }
}
