package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the moto the build installs (scripts/ensure-moto.sh, run by this module's pom). */
class MotoServerTest {

    /** SSM's JSON protocol: one POST with an X-Amz-Target; moto does not check the signature's validity. */
    static HttpResponse<String> ssm(URI endpoint, String action, String json) throws Exception {
        return Http.client().send(HttpRequest.newBuilder(endpoint)
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "AmazonSSM." + action)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/ssm/aws4_request, "
                        + "SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void startsAnswersSsmResetsAndStops() throws Exception {
        URI endpoint;
        Path log;
        try (MotoServer moto = MotoServer.start()) {
            endpoint = moto.endpoint();
            log = moto.log();
            assertEquals("127.0.0.1", endpoint.getHost());
            assertTrue(moto.isRunning());
            HttpResponse<String> put = ssm(endpoint, "PutParameter",
                    "{\"Name\":\"/pilotfish/defaults/tags\",\"Value\":\"team:a\",\"Type\":\"String\"}");
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> read = ssm(endpoint, "GetParameter", "{\"Name\":\"/pilotfish/defaults/tags\"}");
            assertTrue(read.body().contains("team:a"), read.body());

            moto.reset();
            assertEquals(400, ssm(endpoint, "GetParameter", "{\"Name\":\"/pilotfish/defaults/tags\"}").statusCode(),
                    "reset forgets the parameter");
        }
        assertThrows(ConnectException.class, () -> Http.get(endpoint), "stopped on close");
        assertFalse(Files.exists(log), "its log is removed");
    }

    @Test
    void aMissingVenvNamesTheScriptToRun(@TempDir Path empty) {
        var e = assertThrows(IllegalStateException.class, () -> MotoServer.start(empty.resolve("no-venv")));
        assertTrue(e.getMessage().startsWith("moto is not installed: no executable " + empty.resolve("no-venv")),
                e.getMessage());
        assertTrue(e.getMessage().contains("run scripts/ensure-moto.sh"), e.getMessage());
    }

    @Test
    void aBrokenVenvSaysSoInsteadOfWaiting(@TempDir Path venv) throws Exception {
        Path bin = Files.createDirectories(venv.resolve("bin"));
        Path fake = Files.writeString(bin.resolve("moto_server"), "#!/bin/sh\necho 'No module named moto' >&2\nexit 1\n");
        assertTrue(fake.toFile().setExecutable(true));
        var e = assertThrows(IllegalStateException.class, () -> MotoServer.start(venv));
        assertTrue(e.getMessage().startsWith("moto_server exited with 1"), e.getMessage());
        assertTrue(e.getMessage().contains("No module named moto"), e.getMessage());
        assertFalse(e.getMessage().contains(" see "), "the output is quoted, no log to keep: " + e.getMessage());
    }
}
