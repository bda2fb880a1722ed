package io.pilotfish.config.ssm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * SSM and the task-role credentials endpoint answering far more than any real answer (16 MB announced, or 200 MB
 * chunked): the answer is refused at its limit, counted, not retried, and reported on the path; the server gets to
 * write only a fraction of it because the client stops reading.
 */
class OversizedAnswerTest {

    private static final long ANNOUNCED = 16L << 20;
    private static final long CHUNKED = 200L << 20;
    private static final long WAIT_MILLIS = 20_000;

    private StreamingServer ssm;
    private EcsMetadataSimulator task;

    @AfterEach
    void stop() {
        if (ssm != null) {
            ssm.close();
        }
        if (task != null) {
            task.close();
        }
        for (String property : List.of("aws.accessKeyId", "aws.secretAccessKey", "aws.containerCredentialsFullUri",
                "aws.containerAuthorizationToken")) {
            System.clearProperty(property);
        }
    }

    private SsmSettings settings() {
        return new SsmSettings("eu-west-1", "123456789012", Optional.of(ssm.uri()), Duration.ofSeconds(20),
                Duration.ofSeconds(10));
    }

    @ParameterizedTest(name = "Content-Length announced: {0}")
    @ValueSource(booleans = {true, false})
    void anOversizedSsmAnswerIsRefusedCountedAndNotRetried(boolean announced) {
        long size = announced ? ANNOUNCED : CHUNKED;
        ssm = new StreamingServer(size, announced);
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "not-a-secret");
        long before = ResponseLimits.Route.SSM.refused();

        SsmSettings settings = settings();
        try (SsmClient client = settings.createClient()) {
            PathStatus status = new SsmConfigLoader(client, settings).load(List.of("/pilotfish/prod")).paths().get(0);

            assertEquals(PathStatus.State.FAILED, status.state(), status.describe());
            assertTrue(status.detail().contains("refused: the answer is larger than the limit of 2 MiB"),
                    status.describe());
            assertTrue(status.fix().contains("AWS_ENDPOINT_URL_SSM"), status.describe());
            assertEquals(before + 1, ResponseLimits.Route.SSM.refused());
            assertEquals(before + 1, agentFigure("ssm.answers_dropped"), "what the running agent reports");
            assertEquals(1, ssm.requests.get(), "a refusal is not retried");
            ssm.assertReadStopped();

            var secret = assertThrows(SecretReference.SecretUnavailableException.class,
                    () -> SecretReference.parse("ssm:/pilotfish/key").read(client));
            assertTrue(secret.getMessage().startsWith("ssm:/pilotfish/key: POST " + ssm.uri()), secret.getMessage());
            assertTrue(secret.getMessage().contains("refused"), secret.getMessage());
            assertEquals(before + 2, ResponseLimits.Route.SSM.refused());
        }
    }

    @ParameterizedTest(name = "Content-Length announced: {0}")
    @ValueSource(booleans = {true, false})
    void anOversizedCredentialsAnswerIsRefusedBeforeSsmIsAsked(boolean announced) {
        long size = announced ? ANNOUNCED : CHUNKED;
        ssm = new StreamingServer(size, announced);
        task = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).credentialsToken("test-token").start();
        task.oversizedNext(1, task.credentialsFullUri().getPath(), size, announced);
        System.setProperty("aws.containerCredentialsFullUri", task.credentialsFullUri().toString());
        System.setProperty("aws.containerAuthorizationToken", "test-token");
        long before = ResponseLimits.Route.CREDENTIALS.refused();

        SsmSettings settings = settings();
        try (SsmClient client = settings.createClient()) {
            PathStatus status = new SsmConfigLoader(client, settings).load(List.of("/pilotfish/prod")).paths().get(0);

            assertEquals(PathStatus.State.FAILED, status.state(), status.describe());
            assertTrue(status.detail().contains("(task-role credentials) refused: the answer is larger than the "
                    + "limit of 64 KiB"), status.describe());
            assertFalse(status.detail().contains(task.credentialsFullUri().getPath()),
                    "the credentials path grants them: never shown");
            assertEquals(before + 1, ResponseLimits.Route.CREDENTIALS.refused());
            assertEquals(before + 1, agentFigure("credentials.answers_dropped"), "what the running agent reports");
            assertEquals(0, ssm.requests.get(), "no credentials, no request to SSM");
            waitFor(task::oversizedBodiesCutShort, "the client to close the credentials answer");
            assertEquals(0, task.oversizedBodiesCompleted());
            assertTrue(task.oversizedBytesWritten() < size / 2, task.oversizedBytesWritten() + " of " + size);
        }
    }

    /** The figure as the agent's registry reads it ({@code pilotfish.<name>{reason:body_too_large}}). */
    private static double agentFigure(String name) {
        TelemetryRegistry registry = new TelemetryRegistry();
        ResponseLimits.countIn(registry);
        return registry.snapshot().get(name + "{reason:body_too_large}");
    }

    private static void waitFor(LongSupplier count, String what) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (count.getAsLong() == 0) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Answers every request with 200 and {@code size} bytes of JSON-looking padding, announced or chunked, and
     * writes until the client closes the connection.
     */
    private static final class StreamingServer implements AutoCloseable {
        private static final byte[] CHUNK = "x".repeat(64 * 1024).getBytes();

        final AtomicInteger requests = new AtomicInteger();
        final AtomicLong written = new AtomicLong();
        final AtomicInteger cutShort = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        private final HttpServer server;
        private final long size;

        StreamingServer(long size, boolean announced) {
            this.size = size;
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/", exchange -> answer(exchange, announced));
            server.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        private void answer(HttpExchange exchange, boolean announced) throws IOException {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            exchange.sendResponseHeaders(200, announced ? size : 0);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] head = "{\"Parameters\":[],\"Padding\":\"".getBytes();
                byte[] tail = "\"}".getBytes();
                out.write(head);
                long left = size - head.length - tail.length;
                while (left > 0) {
                    int n = (int) Math.min(CHUNK.length, left);
                    out.write(CHUNK, 0, n);
                    written.addAndGet(n);
                    left -= n;
                }
                out.write(tail);
                completed.incrementAndGet();
            } catch (IOException closedByTheClient) {
                cutShort.incrementAndGet();
            } finally {
                exchange.close();
            }
        }

        void assertReadStopped() {
            waitFor(cutShort::get, "the client to close the oversized answer's connection");
            assertEquals(0, completed.get(), "the oversized body was never written to its end");
            assertTrue(written.get() < size / 2, "the server wrote " + written.get() + " of " + size + " bytes");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
