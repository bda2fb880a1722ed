package io.pilotfish.agent.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskRoleCredentialsCheckTest {

    private static final String ACCESS_KEY = "ASIAEXAMPLEACCESSKEY1";
    private static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
    private static final String AUTH_TOKEN = "auth-token-0123456789";
    private static final String ROLE = "arn:aws:iam::123456789012:role/pilotfish-task";

    private static String credentials(Instant expiration) {
        return "{\"AccessKeyId\":\"" + ACCESS_KEY + "\",\"SecretAccessKey\":\"" + SECRET_KEY + "\",\"Token\":\""
                + SESSION_TOKEN + "\",\"Expiration\":\"" + expiration + "\",\"RoleArn\":\"" + ROLE + "\"}";
    }

    private static CheckResult run(TaskRoleCredentialsCheck check, Map<String, String> env) throws Exception {
        try (DoctorContext context = Fixtures.context(env)) {
            CheckResult result = check.run(context);
            Fixtures.assertNoSecret(result, ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, AUTH_TOKEN);
            return result;
        }
    }

    @Test
    void relativeUriResolvedAgainstTheBaseReportsRoleAndExpirationButNoKeys() throws Exception {
        Instant expires = Instant.now().plus(6, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        HttpServer server = Fixtures.server(exchange -> exchange.getRequestURI().getPath()
                .equals("/v2/credentials/0f1e2d3c") ? new Fixtures.Answer(200, credentials(expires))
                : new Fixtures.Answer(404, ""));
        try {
            CheckResult result = run(new TaskRoleCredentialsCheck(Fixtures.base(server)),
                    Map.of("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/0f1e2d3c"));
            assertEquals(CheckStatus.PASS, result.status(), result.detail());
            assertTrue(result.detail().contains("role " + ROLE), result.detail());
            assertTrue(result.detail().contains("expires " + expires), result.detail());
            // The path grants the credentials: it is not shown.
            assertTrue(!result.detail().contains("0f1e2d3c"), result.detail());
        } finally {
            server.stop(0);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "Content-Length announced: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void anOversizedAnswerIsRefusedUnreadWithoutShowingAnyOfIt(boolean announced) throws Exception {
        long size = announced ? 16L << 20 : 200L << 20;
        try (io.pilotfish.testkit.EcsMetadataSimulator task = io.pilotfish.testkit.EcsMetadataSimulator
                .builder(io.pilotfish.testkit.TaskSpec.fargateDemoTask()).credentialsToken(AUTH_TOKEN)
                .roleCredentials(new io.pilotfish.testkit.EcsMetadataSimulator.RoleCredentials(ROLE, ACCESS_KEY,
                        SECRET_KEY, SESSION_TOKEN)).start()) {
            task.oversizedNext(1, task.credentialsFullUri().getPath(), size, announced);

            CheckResult result = run(new TaskRoleCredentialsCheck(), Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    task.credentialsFullUri().toString(), "AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN));

            assertEquals(CheckStatus.FAIL, result.status(), result.detail());
            assertTrue(result.detail().contains("answered with more than 64 KiB"), result.detail());
            assertTrue(!result.detail().contains(task.credentialsFullUri().getPath()), result.detail());
            long deadline = System.currentTimeMillis() + 20_000;
            while (task.oversizedBodiesCutShort() == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, task.oversizedBodiesCutShort(), "the check closed the connection");
            assertTrue(task.oversizedBytesWritten() < size / 2, task.oversizedBytesWritten() + " of " + size);
        }
    }

    @Test
    void fullUriSendsTheAuthorizationToken(@TempDir Path dir) throws Exception {
        HttpServer server = Fixtures.server(exchange -> AUTH_TOKEN.equals(exchange.getRequestHeaders()
                .getFirst("Authorization")) ? new Fixtures.Answer(200, credentials(Instant.now().plusSeconds(3600)))
                : new Fixtures.Answer(401, "{\"message\":\"unauthorized\"}"));
        try {
            String full = Fixtures.base(server) + "/creds";
            TaskRoleCredentialsCheck check = new TaskRoleCredentialsCheck();
            assertEquals(CheckStatus.PASS, run(check, Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI", full,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)).status());
            Path tokenFile = dir.resolve("token");
            Files.writeString(tokenFile, AUTH_TOKEN + "\n");
            assertEquals(CheckStatus.PASS, run(check, Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI", full,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString())).status());

            CheckResult wrong = run(check, Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI", full,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-value"));
            assertEquals(CheckStatus.FAIL, wrong.status());
            assertTrue(wrong.detail().contains("HTTP 401"), wrong.detail());
            assertTrue(wrong.fix().orElseThrow().contains("AWS_CONTAINER_AUTHORIZATION_TOKEN"));

            CheckResult unreadable = run(check, Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI", full,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.resolve("missing").toString()));
            assertEquals(CheckStatus.FAIL, unreadable.status());
            assertTrue(unreadable.detail().contains("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void missingVariablesFailExplainingTheTaskRoleSymptom() throws Exception {
        CheckResult result = run(new TaskRoleCredentialsCheck(), Map.of());
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.fix().orElseThrow().contains("ECS_ENABLE_TASK_IAM_ROLE=true"));
        assertTrue(result.fix().orElseThrow().contains("taskRoleArn"));
    }

    @Test
    void endpointProblemsFailWithoutEchoingTheBody() throws Exception {
        HttpServer notJson = Fixtures.server(200, "AccessKeyId=" + ACCESS_KEY + " SecretAccessKey=" + SECRET_KEY);
        HttpServer noKeys = Fixtures.server(200, "{\"Code\":\"Error\"}");
        HttpServer expired = Fixtures.server(200, credentials(Instant.now().minusSeconds(60)));
        HttpServer error = Fixtures.server(500, "{\"message\":\"" + SECRET_KEY + "\"}");
        Map<String, String> env = Map.of("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
        try {
            CheckResult a = run(new TaskRoleCredentialsCheck(Fixtures.base(notJson)), env);
            assertEquals(CheckStatus.FAIL, a.status());
            assertTrue(a.detail().contains("not JSON"), a.detail());
            CheckResult b = run(new TaskRoleCredentialsCheck(Fixtures.base(noKeys)), env);
            assertEquals(CheckStatus.FAIL, b.status());
            assertTrue(b.detail().contains("without AccessKeyId"), b.detail());
            CheckResult c = run(new TaskRoleCredentialsCheck(Fixtures.base(expired)), env);
            assertEquals(CheckStatus.FAIL, c.status());
            assertTrue(c.detail().contains("expired"), c.detail());
            CheckResult d = run(new TaskRoleCredentialsCheck(Fixtures.base(error)), env);
            assertEquals(CheckStatus.FAIL, d.status());
            assertTrue(d.detail().contains("HTTP 500"), d.detail());
        } finally {
            notJson.stop(0);
            noKeys.stop(0);
            expired.stop(0);
            error.stop(0);
        }
    }

    @Test
    void unreachableEndpointFails() throws Exception {
        CheckResult result = run(new TaskRoleCredentialsCheck(
                        java.net.URI.create("http://127.0.0.1:" + Fixtures.closedPort())),
                Map.of("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"));
        assertEquals(CheckStatus.FAIL, result.status());
        assertTrue(result.detail().contains("could not be reached"), result.detail());
    }
}
