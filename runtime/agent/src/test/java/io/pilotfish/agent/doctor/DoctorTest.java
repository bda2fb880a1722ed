package io.pilotfish.agent.doctor;

import static io.pilotfish.agent.doctor.Fixtures.API_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.IntakeRecorder;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class DoctorTest {

    private static DoctorCheck check(String id, ThrowingRun body) {
        return new DoctorCheck() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String title() {
                return id + " title";
            }

            @Override
            public CheckResult run(DoctorContext context) throws Exception {
                return body.run(this);
            }
        };
    }

    interface ThrowingRun {
        CheckResult run(DoctorCheck self) throws Exception;
    }

    private static DoctorReport run(List<DoctorCheck> checks, Duration timeout, DatadogTarget target) {
        try (DoctorContext context = new DoctorContext(Map.of(), timeout, target)) {
            return new Doctor(checks).run(context);
        }
    }

    @Test
    void aThrowingOrHangingCheckFailsAndTheOthersStillRun() {
        CountDownLatch never = new CountDownLatch(1);
        DoctorReport report = run(List.of(
                check("boom", self -> {
                    throw new IllegalStateException("broken");
                }),
                check("hang", self -> {
                    never.await();
                    return CheckResult.pass(self, "unreachable");
                }),
                check("fine", self -> CheckResult.pass(self, "ok"))), Duration.ofMillis(300), Fixtures.target());
        List<CheckStatus> statuses = report.results().stream().map(CheckResult::status).toList();
        assertEquals(List.of(CheckStatus.FAIL, CheckStatus.FAIL, CheckStatus.PASS), statuses);
        assertTrue(report.results().get(0).detail().contains("IllegalStateException: broken"));
        assertEquals("did not finish within 300ms", report.results().get(1).detail());
        assertEquals(1, report.exitCode());
        assertFalse(report.ok());
    }

    @Test
    void secretsAreScrubbedFromWhateverACheckWrites() {
        DoctorReport report = run(List.of(check("leaky", self -> CheckResult.fail(self, "sent " + API_KEY,
                "rotate " + API_KEY))), Duration.ofSeconds(1), Fixtures.target("pilotfish.datadog.api-key", API_KEY));
        assertEquals("sent ****", report.results().get(0).detail());
        assertEquals(Optional.of("rotate ****"), report.results().get(0).fix());
    }

    @Test
    void whatAnEndpointEchoedIsScrubbedInEveryFormAndKeptOnOneLine() {
        Map<String, String> forms = io.pilotfish.testkit.SecretEchoes.of(API_KEY);
        DoctorReport report = run(List.of(check("echo", self -> CheckResult.fail(self, "answered "
                + String.join(" ", forms.values()) + " via http://user:pass@proxy:3128 \u001b[2J\rdone",
                "check " + forms.get("base64")))), Duration.ofSeconds(1),
                Fixtures.target("pilotfish.datadog.api-key", API_KEY));
        String text = report.text();
        assertEquals(List.of(), io.pilotfish.testkit.SecretEchoes.leaked(API_KEY, List.of(text)), text);
        // The doctor's report makes a line break "; " (as for config problem lists); ESC is escaped.
        assertTrue(text.contains("http://***@proxy:3128 \\x1b[2J; done"), text);
        assertFalse(text.contains("pass@") || text.contains("\u001b"), text);
    }

    @Test
    void warningsAndSkipsKeepExitCodeZero() {
        DoctorReport report = run(List.of(
                check("a", self -> CheckResult.pass(self, "fine")),
                check("b", self -> CheckResult.warn(self, "meh", "do x")),
                check("c", self -> CheckResult.skip(self, "n/a"))), Duration.ofSeconds(1), Fixtures.target());
        assertTrue(report.ok());
        assertEquals(0, report.exitCode());
        String[] lines = report.text().split("\\R");
        assertEquals(5, lines.length, report.text());
        assertEquals("PASS  a title   fine", lines[0]);
        assertEquals("WARN  b title   meh", lines[1]);
        assertEquals("      fix: do x", lines[2]);
        assertEquals("SKIP  c title   n/a", lines[3]);
        assertEquals("3 checks: 1 passed, 1 warnings, 0 failed, 1 skipped. No failures.", lines[4]);
    }

    @Test
    void multiLineMessagesBecomeOneLine() {
        ConfigCheck config = new ConfigCheck(Optional.of("Configuration has 2 error(s):\n  - a.b=\"x\": bad\n"
                + "  - c.d=\"****\" (from environment): worse"), "");
        DoctorReport report = run(List.of(config), Duration.ofSeconds(1), Fixtures.target());
        assertEquals("Configuration has 2 error(s): a.b=\"x\": bad; c.d=\"****\" (from environment): worse",
                report.results().get(0).detail());
        assertEquals(2, report.text().split("\\R").length - 1);
    }

    /** Every standard check against the simulators: all pass, then a rejected key fails; no secret is printed. */
    @Test
    void standardChecksAgainstSimulatedTaskAndIntake() throws Exception {
        String secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        HttpServer credentials = Fixtures.server(200, "{\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\""
                + secretKey + "\",\"Token\":\"tok\",\"Expiration\":\"" + Instant.now().plusSeconds(3600)
                + "\",\"RoleArn\":\"arn:aws:iam::123456789012:role/pilotfish\"}");
        int udp;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            udp = socket.getLocalPort();
        }
        int tcp = Fixtures.closedPort();
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.startDemo();
             IntakeRecorder intake = IntakeRecorder.builder().acceptKeys(API_KEY).start()) {
            Map<String, String> env = Fixtures.env(ecs.environment(),
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI", Fixtures.base(credentials) + "/creds",
                    "DD_API_KEY", API_KEY, "DD_DD_URL", intake.uri().toString(),
                    "DD_DOGSTATSD_PORT", String.valueOf(udp), "DD_APM_RECEIVER_PORT", String.valueOf(tcp));
            DoctorReport good = runStandard(env, Optional.empty());
            assertTrue(good.ok(), good.text());
            assertEquals(0, good.exitCode());
            assertEquals(List.of("config", "metadata", "credentials", "network", "api-key", "intake", "ports"),
                    good.results().stream().map(CheckResult::id).toList());
            assertTrue(good.results().stream().allMatch(r -> r.status() == CheckStatus.PASS), good.text());
            assertNoSecrets(good, secretKey);

            intake.acceptKeys("some-other-key-123456");
            DoctorReport rejected = runStandard(env, Optional.of("Configuration has 1 error(s):\n  - pilotfish.x=\"1\""
                    + " (from environment): unknown key"));
            assertEquals(1, rejected.exitCode());
            assertEquals(CheckStatus.FAIL, rejected.results().get(0).status());
            assertEquals(CheckStatus.FAIL, rejected.results().get(4).status());
            // The invalid config did not stop the other checks.
            assertEquals(CheckStatus.PASS, rejected.results().get(1).status());
            assertNoSecrets(rejected, secretKey);
            assertTrue(rejected.text().contains("fix: Check DD_API_KEY"), rejected.text());

            JsonNode json = new ObjectMapper().readTree(rejected.json());
            assertFalse(json.get("ok").asBoolean());
            assertEquals(7, json.get("checks").size());
            List<String> fields = new ArrayList<>();
            json.get("checks").get(4).fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("id", "title", "status", "detail", "fix"), fields);
            assertEquals("api-key", json.get("checks").get(4).get("id").asText());
            assertEquals("FAIL", json.get("checks").get(4).get("status").asText());
            assertTrue(json.get("checks").get(1).get("fix").isNull());
        } finally {
            credentials.stop(0);
        }
    }

    private static DoctorReport runStandard(Map<String, String> env, Optional<String> configProblems) {
        try (DoctorContext context = new DoctorContext(env, Duration.ofSeconds(2), DatadogTarget.from(Map.of(), env))) {
            return new Doctor(Doctor.standardChecks(new ConfigCheck(configProblems, "2 collectors, 2 sinks enabled"),
                    env)).run(context);
        }
    }

    private static void assertNoSecrets(DoctorReport report, String... more) {
        for (String output : List.of(report.text(), report.json())) {
            assertFalse(output.contains(API_KEY), output);
            for (String secret : more) {
                assertFalse(output.contains(secret), output);
            }
        }
    }
}
