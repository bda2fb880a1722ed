package io.pilotfish.config.ssm;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real SSM (moto in server mode, installed by {@code src/test/moto/ensure-moto.sh}) on loopback, and an ECS
 * container-credentials endpoint the SDK's default chain reads through {@code aws.containerCredentialsFullUri} and
 * {@code aws.containerAuthorizationToken}, exactly as a task role is resolved in ECS.
 */
final class AwsTestEnvironment implements BeforeAllCallback, AfterAllCallback {

    static final String REGION = "eu-west-1";
    static final String TOKEN = "test-container-token";
    static final String ACCESS_KEY = "ASIATESTACCESSKEY000";
    static final String SECRET_KEY = "test-secret-access-key-never-printed";
    static final String SESSION_TOKEN = "test-session-token-never-printed";

    private Process moto;
    private HttpServer credentials;
    private URI endpoint;
    final AtomicInteger credentialRequests = new AtomicInteger();
    final AtomicInteger rejectedCredentialRequests = new AtomicInteger();

    URI endpoint() {
        return endpoint;
    }

    SsmSettings settings() {
        return new SsmSettings(REGION, "123456789012", java.util.Optional.of(endpoint),
                SsmSettings.DEFAULT_API_CALL_TIMEOUT, SsmSettings.DEFAULT_ATTEMPT_TIMEOUT);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        startCredentials();
        System.setProperty("aws.containerCredentialsFullUri",
                "http://127.0.0.1:" + credentials.getAddress().getPort() + "/v2/credentials/task-role");
        System.setProperty("aws.containerAuthorizationToken", TOKEN);
        System.setProperty("aws.region", REGION);
        startMoto();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (moto != null) {
            moto.destroy();
            if (!moto.waitFor(10, TimeUnit.SECONDS)) {
                moto.destroyForcibly();
            }
        }
        if (credentials != null) {
            credentials.stop(0);
        }
        System.clearProperty("aws.containerCredentialsFullUri");
        System.clearProperty("aws.containerAuthorizationToken");
        System.clearProperty("aws.region");
    }

    private void startCredentials() throws IOException {
        credentials = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        credentials.createContext("/v2/credentials/task-role", exchange -> {
            credentialRequests.incrementAndGet();
            byte[] body;
            int status;
            if (!TOKEN.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                rejectedCredentialRequests.incrementAndGet();
                status = 401;
                body = "{\"message\":\"bad token\"}".getBytes(StandardCharsets.UTF_8);
            } else {
                status = 200;
                String expiration = Instant.now().plus(6, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
                body = ("{\"RoleArn\":\"arn:aws:iam::123456789012:role/pilotfish-task\",\"AccessKeyId\":\""
                        + ACCESS_KEY + "\",\"SecretAccessKey\":\"" + SECRET_KEY + "\",\"Token\":\"" + SESSION_TOKEN
                        + "\",\"Expiration\":\"" + expiration + "\"}").getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        credentials.start();
    }

    private void startMoto() throws Exception {
        Path venv = Path.of(System.getProperty("pilotfish.moto.venv",
                System.getProperty("user.home") + "/.cache/pilotfish/moto-5.2.5"));
        Path server = venv.resolve("bin/moto_server");
        if (!Files.isExecutable(server)) {
            throw new IllegalStateException("moto is not installed at " + server
                    + "; run src/test/moto/ensure-moto.sh (the Maven build does it in process-test-resources)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = Path.of("target", "moto-server.log");
        Files.createDirectories(log.getParent());
        moto = new ProcessBuilder(List.of(server.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        endpoint = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!moto.isAlive()) {
                    throw new IllegalStateException("moto_server exited with " + moto.exitValue() + "; see " + log);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("moto_server did not listen on port " + port + "; see " + log);
                }
                Thread.sleep(100);
            }
        }
    }
}
