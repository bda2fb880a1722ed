package io.pilotfish.config.ssm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** Throttling, access denied and timeouts, which moto does not produce on demand. */
class SsmFailureTest {

    /** An SSM client whose first {@code failures} calls fail with the given AWS error code. */
    static final class FailingSsm implements SsmClient {
        final String code;
        final int status;
        int failures;
        int calls;

        FailingSsm(String code, int status, int failures) {
            this.code = code;
            this.status = status;
            this.failures = failures;
        }

        @Override
        public GetParametersByPathResponse getParametersByPath(GetParametersByPathRequest request) {
            calls++;
            if (failures-- > 0) {
                throw (SsmException) SsmException.builder().statusCode(status)
                        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("nope").build())
                        .build();
            }
            return GetParametersByPathResponse.builder().parameters(Parameter.builder()
                    .name(request.path() + "/tags").value("env:test").type(ParameterType.STRING).version(2L).build())
                    .build();
        }

        @Override
        public String serviceName() {
            return "ssm";
        }

        @Override
        public void close() {
        }
    }

    final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    SsmConfigLoader loader(SsmClient client) {
        return new SsmConfigLoader(client, "eu-west-1", "123456789012", Clock.systemUTC(), sleeps::add);
    }

    @Test
    void throttlingIsRetriedWithBackoffThenSucceeds() {
        FailingSsm ssm = new FailingSsm("ThrottlingException", 400, 2);
        SsmLoad load = loader(ssm).load(List.of("/pilotfish/prod"));
        assertEquals(PathStatus.State.READ, load.paths().get(0).state());
        assertEquals("env:test", load.values().get("pilotfish.tags").value());
        assertEquals("ssm:/pilotfish/prod/tags (version 2)", load.values().get("pilotfish.tags").source());
        assertEquals(3, ssm.calls);
        assertEquals(2, sleeps.size());
    }

    @Test
    void persistentThrottlingIsBoundedAndReported() {
        FailingSsm ssm = new FailingSsm("ThrottlingException", 400, 100);
        SsmLoad load = loader(ssm).load(List.of("/pilotfish/prod", "/pilotfish/prod/web"));
        assertEquals(SsmConfigLoader.MAX_THROTTLED_ATTEMPTS, ssm.calls, "the second path is not tried after "
                + "SSM throttled the first one to the end");
        assertEquals(PathStatus.State.THROTTLED, load.paths().get(0).state());
        assertEquals(PathStatus.State.THROTTLED, load.paths().get(1).state());
        assertTrue(load.paths().get(1).detail().startsWith("not tried"), load.paths().get(1).describe());
        assertFalse(load.allPathsReadable());
        assertTrue(load.values().isEmpty());
        for (Duration sleep : sleeps) {
            assertTrue(sleep.compareTo(SsmConfigLoader.MAX_BACKOFF) <= 0 && !sleep.isNegative(), sleep.toString());
        }
    }

    @Test
    void backoffGrowsWithJitterAndIsCapped() {
        for (int i = 0; i < 50; i++) {
            Duration first = SsmConfigLoader.backoff(1);
            assertTrue(first.toMillis() >= 100 && first.toMillis() <= 200, first.toString());
            Duration late = SsmConfigLoader.backoff(30);
            assertTrue(late.toMillis() >= 1500 && late.toMillis() <= 3000, late.toString());
        }
    }

    @Test
    void accessDeniedNamesThePermissionAndResource() {
        SsmLoad load = loader(new FailingSsm("AccessDeniedException", 400, 1)).load(List.of("/pilotfish/prod"));
        PathStatus status = load.paths().get(0);
        assertEquals(PathStatus.State.ACCESS_DENIED, status.state());
        assertEquals("grant ssm:GetParametersByPath on arn:aws:ssm:eu-west-1:123456789012:parameter/pilotfish/prod "
                + "to the task role (and kms:Decrypt on the key of any SecureString)", status.fix());
        assertTrue(sleeps.isEmpty(), "access denied is not retried");
    }

    @Test
    void anEndpointThatNeverAnswersIsATimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accept, then never answer
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            SsmSettings settings = new SsmSettings("eu-west-1", "123456789012",
                    Optional.of(URI.create("http://127.0.0.1:" + silent.getLocalPort())),
                    Duration.ofMillis(1500), Duration.ofMillis(500));
            try (SsmClient client = SsmClient.builder().region(Region.EU_WEST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "x")))
                    .endpointOverride(settings.endpoint().get())
                    .httpClient(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(30)).build())
                    .overrideConfiguration(ClientOverrideConfiguration.builder()
                            .apiCallTimeout(settings.apiCallTimeout()).build())
                    .build()) {
                SsmLoad load = new SsmConfigLoader(client, settings).load(List.of("/pilotfish/prod"));
                PathStatus status = load.paths().get(0);
                assertEquals(PathStatus.State.TIMEOUT, status.state(), status.describe());
                assertTrue(status.fix().contains("VPC endpoint"));

                var e = assertThrows(SecretReference.SecretUnavailableException.class,
                        () -> SecretReference.parse("ssm:/pilotfish/key").read(client));
                assertEquals("ssm:/pilotfish/key: SSM did not answer in time", e.getMessage());
            }
            acceptor.interrupt();
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void settingsBuiltClientTimesOutToo() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            SsmSettings settings = new SsmSettings("eu-west-1", "", Optional.of(URI.create("http://127.0.0.1:"
                    + silent.getLocalPort())), Duration.ofMillis(1500), Duration.ofMillis(400));
            System.setProperty("aws.accessKeyId", "AKIDTEST");
            System.setProperty("aws.secretAccessKey", "not-a-secret");
            try (SsmClient client = settings.createClient()) {
                PathStatus status = new SsmConfigLoader(client, settings).load(List.of("/pilotfish/prod")).paths().get(0);
                assertEquals(PathStatus.State.TIMEOUT, status.state(), status.describe());
            } finally {
                System.clearProperty("aws.accessKeyId");
                System.clearProperty("aws.secretAccessKey");
            }
            acceptor.interrupt();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
