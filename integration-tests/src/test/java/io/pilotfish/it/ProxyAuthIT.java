package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pilotfish.testkit.IntakeRecorder;
import io.pilotfish.testkit.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent behind an authenticating HTTPS proxy ({@code DD_PROXY_HTTPS=http://user:password@proxy:port}), as in a
 * VPC without a NAT gateway: a real Squid with Basic auth, and an HTTPS intake behind it that the agent reaches only
 * through a CONNECT tunnel. With the right password the data arrives through the proxy; with a wrong one the agent,
 * {@code status} and {@code doctor} say that the proxy refused it (407), naming the proxy rather than the intake, and
 * the password shows nowhere.
 */
class ProxyAuthIT {

    /** Not loopback, so the agent sends it through the proxy; Squid resolves it to 127.0.0.1 from its hosts file. */
    private static final String INTAKE_HOST = "intake.pilotfish.test";
    private static final String USER = "pilotfish";
    private static final String METRIC = "ecs.fargate.mem.usage";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A fresh password per run, letters and digits only (Squid hands credentials to its helper URL-escaped). */
    private static String password() {
        return "pw" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /** The agent of {@code fixture}, sending to the HTTPS {@code intake} through {@code proxy} as {@code userInfo}. */
    private static AgentProcess.Builder behindProxy(AgentFixture fixture, IntakeTls tls, IntakeRecorder intake,
                                                    SquidProxy proxy, String userInfo) {
        return tls.trusted(fixture.fastAgent())
                .env("DD_DD_URL", "https://" + INTAKE_HOST + ":" + intake.port())
                .env("DD_PROXY_HTTPS", "http://" + userInfo + "@" + proxy.address())
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort));
    }

    @Test
    void theRightPasswordShipsThroughTheProxyAndNeverReachesTheIntake() throws Exception {
        String password = password();
        IntakeTls tls = IntakeTls.create(dir, INTAKE_HOST);
        try (AgentFixture fixture = AgentFixture.demoTask();
             IntakeRecorder intake = tls.intake(fixture.apiKey);
             SquidProxy proxy = SquidProxy.start(dir, USER, password, Map.of(INTAKE_HOST, "127.0.0.1"))) {
            AgentProcess agent = fixture.start(behindProxy(fixture, tls, intake, proxy, USER + ":" + password));

            intake.awaitSeries(METRIC, Duration.ofSeconds(60));
            assertTrue(agent.awaitLine(line -> line.contains("intake traffic goes through the proxy at "
                    + proxy.address()), Duration.ofSeconds(5)), agent.outputText());
            agent.terminate();
            assertTrue(agent.awaitExit(Duration.ofSeconds(30)) != -1, "the agent exits on SIGTERM");

            // Squid logs a tunnel when it closes: the agent's kept-alive ones close as it exits.
            AgentFixture.await("an authenticated CONNECT to the intake in Squid's log", Duration.ofSeconds(30),
                    () -> tunnels(proxy, intake.port()) > 0);
            for (RecordedRequest request : intake.requests()) {
                assertFalse(request.headers().containsKey("proxy-authorization"),
                        "the proxy's credentials reached the intake: " + request.path());
            }
            assertNoCredentials(password, agent.outputText());
        }
    }

    /** Tunnels Squid opened to the intake for {@link #USER}. */
    private static long tunnels(SquidProxy proxy, int intakePort) {
        try {
            return proxy.accessLog().stream().filter(line -> line.contains("TCP_TUNNEL/200")
                    && line.contains("CONNECT " + INTAKE_HOST + ":" + intakePort + " " + USER + " ")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    void aWrongPasswordIsTheProxysRefusalInTheLogStatusAndDoctor() throws Exception {
        String password = password();
        String wrong = password();
        IntakeTls tls = IntakeTls.create(dir, INTAKE_HOST);
        try (AgentFixture fixture = AgentFixture.demoTask();
             IntakeRecorder intake = tls.intake(fixture.apiKey);
             SquidProxy proxy = SquidProxy.start(dir, USER, password, Map.of(INTAKE_HOST, "127.0.0.1"))) {
            AgentProcess.Builder builder = behindProxy(fixture, tls, intake, proxy, USER + ":" + wrong);
            AgentProcess agent = fixture.start(builder);
            String refusal = "the proxy at " + proxy.address() + " refused the user and password of DD_PROXY_HTTPS "
                    + "(HTTP 407";

            assertTrue(agent.awaitLine(line -> line.contains(refusal), Duration.ofSeconds(60)),
                    "no refusal naming the proxy in the log:\n" + agent.outputText());
            assertTrue(proxy.accessLog().stream().anyMatch(line -> line.contains("TCP_DENIED/407")
                            && line.contains("CONNECT " + INTAKE_HOST + ":" + intake.port() + " " + USER + " ")),
                    "the CONNECT carried no credentials:\n" + String.join("\n", proxy.accessLog()));
            assertEquals(List.of(), intake.requests(), "nothing gets past the proxy");

            List<String> problems = new ArrayList<>();
            AgentFixture.await("status to name the proxy's refusal", Duration.ofSeconds(60), () -> {
                try {
                    problems.clear();
                    HotReloadIT.status(fixture.statusPort).path("problems").forEach(p -> problems.add(p.asText()));
                } catch (Exception | AssertionError notYet) {
                    return false;
                }
                return problems.stream().anyMatch(p -> p.startsWith("sink datadog-metrics: " + refusal));
            });
            assertTrue(fixture.localFigure("pilotfish_sink_requests_proxy_refused_total",
                    "sink=\"datadog-metrics\"") > 0, "the refusals are counted");

            AgentProcess.CommandOutput status = AgentProcess.builder()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .args("status", "--json").runToEnd(COMMAND_TIMEOUT);
            JsonNode statusJson = JSON.readTree(status.stdout());
            assertFalse(statusJson.path("ok").asBoolean(true), status.toString());

            AgentProcess.CommandOutput doctor = builder.args("doctor", "--json", "--timeout", "5s")
                    .runToEnd(COMMAND_TIMEOUT);
            JsonNode checks = JSON.readTree(doctor.stdout()).path("checks");
            JsonNode reach = check(checks, "intake");
            assertEquals("FAIL", reach.path("status").asText(), doctor.toString());
            assertTrue(reach.path("detail").asText().startsWith(refusal), reach.toString());
            assertTrue(reach.path("fix").asText().contains("DD_PROXY_HTTPS"), reach.toString());
            JsonNode key = check(checks, "api-key");
            assertTrue(key.path("detail").asText().startsWith(refusal), key.toString());

            agent.terminate();
            agent.awaitExit(Duration.ofSeconds(30));
            String everything = agent.outputText() + "\n" + status + "\n" + doctor;
            assertFalse(everything.contains(INTAKE_HOST + " answered HTTP 407"),
                    "the intake is named as if it had answered:\n" + everything);
            assertNoCredentials(wrong, everything);
        }
    }

    private static JsonNode check(JsonNode checks, String id) {
        for (JsonNode check : checks) {
            if (check.path("id").asText().equals(id)) {
                return check;
            }
        }
        throw new AssertionError("no check " + id + " in " + checks);
    }

    /** Neither the password nor the Basic value made from it appears in {@code text}. */
    private static void assertNoCredentials(String password, String text) {
        String basic = Base64.getEncoder().encodeToString((USER + ":" + password).getBytes(StandardCharsets.UTF_8));
        assertFalse(text.contains(password), "the proxy password appeared in the output");
        assertFalse(text.contains(basic), "the proxy credentials (Basic) appeared in the output");
    }

    /**
     * A self-signed certificate for the intake's name (made with the JDK's keytool) and a trust store holding it,
     * which the agent is pointed to with the standard {@code javax.net.ssl} properties.
     */
    record IntakeTls(Path keyStore, Path trustStore, String password) {

        static IntakeTls create(Path dir, String host) throws IOException, InterruptedException {
            String password = UUID.randomUUID().toString();
            Path keyStore = dir.resolve("intake.p12");
            Path certificate = dir.resolve("intake.pem");
            Path trustStore = dir.resolve("trust.p12");
            keytool("-genkeypair", "-alias", "intake", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=" + host, "-ext", "SAN=dns:" + host, "-validity", "2",
                    "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", password,
                    "-keypass", password);
            keytool("-exportcert", "-rfc", "-alias", "intake", "-keystore", keyStore.toString(),
                    "-storepass", password, "-file", certificate.toString());
            keytool("-importcert", "-noprompt", "-alias", "intake", "-file", certificate.toString(),
                    "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", password);
            return new IntakeTls(keyStore, trustStore, password);
        }

        private static void keytool(String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
            command.addAll(List.of(args));
            AgentProcess.CommandOutput output = AgentProcess.runToEnd(new ProcessBuilder(command),
                    Duration.ofSeconds(60));
            assertEquals(0, output.exitCode(), "keytool " + args[0] + ": " + output);
        }

        /** The recording intake, serving HTTPS with this certificate. */
        IntakeRecorder intake(String apiKey) {
            return IntakeRecorder.builder().acceptKeys(apiKey).tls(keyStore, password).start();
        }

        /** The agent trusting this certificate (and only it). */
        AgentProcess.Builder trusted(AgentProcess.Builder agent) {
            return agent.property("javax.net.ssl.trustStore", trustStore.toString())
                    .property("javax.net.ssl.trustStoreType", "PKCS12")
                    .property("javax.net.ssl.trustStorePassword", password);
        }
    }
}
