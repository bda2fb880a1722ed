package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The task-role credentials endpoint (what AWS_CONTAINER_CREDENTIALS_FULL_URI points at). */
class EcsMetadataSimulatorCredentialsTest {

    static HttpResponse<String> get(URI uri, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return Http.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesFakeDefaultsToTheRightTokenAndCountsRequests() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.startDemo()) {
            String relative = ecs.credentialsRelativeUri();
            assertTrue(relative.matches("/v2/credentials/[0-9a-f-]{36}"), relative);
            assertEquals(URI.create(ecs.baseUri() + relative), ecs.credentialsFullUri());
            assertEquals("127.0.0.1", ecs.credentialsFullUri().getHost(), "SDKs only accept loopback full URIs");
            assertEquals(Optional.of(EcsMetadataSimulator.DEFAULT_AUTHORIZATION_TOKEN), ecs.credentialsToken());

            Instant before = Instant.now();
            HttpResponse<String> ok = get(ecs.credentialsFullUri(), ecs.credentialsToken().orElseThrow());
            assertEquals(200, ok.statusCode(), ok.body());
            JsonNode body = Http.json(ok.body());
            assertEquals("arn:aws:iam::123456789012:role/test-task-role", body.path("RoleArn").asText());
            assertEquals("ASIATESTACCESSKEYID0", body.path("AccessKeyId").asText());
            assertEquals("test-secret-access-key", body.path("SecretAccessKey").asText());
            assertEquals("test-session-token", body.path("Token").asText());
            Instant expiration = Instant.parse(body.path("Expiration").asText());
            assertTrue(expiration.isAfter(before.plus(Duration.ofHours(5))), "valid for hours: " + expiration);

            assertEquals(401, get(ecs.credentialsFullUri(), null).statusCode(), "no Authorization header");
            HttpResponse<String> wrong = get(ecs.credentialsFullUri(), "not-the-token");
            assertEquals(401, wrong.statusCode());
            assertFalse(wrong.body().contains("test-secret-access-key"), wrong.body());
            assertEquals(404, get(URI.create(ecs.baseUri() + "/v2/credentials/someone-else"),
                    EcsMetadataSimulator.DEFAULT_AUTHORIZATION_TOKEN).statusCode(), "another task's id");

            assertEquals(3, ecs.credentialRequests(), "the 404 is not a credentials request");
            assertEquals(2, ecs.rejectedCredentialRequests());
        }
    }

    @Test
    void environmentWithCredentialsHoldsMetadataFullUriAndToken() {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.startDemo()) {
            Map<String, String> env = ecs.environmentWithCredentials();
            assertEquals(ecs.v4Uri().toString(), env.get("ECS_CONTAINER_METADATA_URI_V4"));
            assertEquals(ecs.v3Uri().toString(), env.get("ECS_CONTAINER_METADATA_URI"));
            assertEquals(ecs.credentialsFullUri().toString(), env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
            assertEquals("test-authorization-token", env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
            assertEquals(4, env.size(), env.toString());
            assertEquals(2, ecs.environment().size(), "environment() is unchanged");
        }
    }

    @Test
    void configuredValuesNoTokenAndRotation() throws Exception {
        var first = new EcsMetadataSimulator.RoleCredentials("arn:aws:iam::111122223333:role/app", "ASIAFIRST",
                "first-secret", "first-session");
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask())
                .roleCredentials(first).credentialsToken(null).credentialsValidity(Duration.ofMinutes(15)).start()) {
            assertEquals(Optional.empty(), ecs.credentialsToken());
            assertFalse(ecs.environmentWithCredentials().containsKey("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
            JsonNode served = Http.json(get(ecs.credentialsFullUri(), null).body());
            assertEquals("arn:aws:iam::111122223333:role/app", served.path("RoleArn").asText());
            assertEquals("first-secret", served.path("SecretAccessKey").asText());
            assertTrue(Instant.parse(served.path("Expiration").asText()).isBefore(Instant.now().plus(Duration.ofMinutes(16))));

            ecs.roleCredentials(new EcsMetadataSimulator.RoleCredentials("arn:aws:iam::111122223333:role/app",
                    "ASIASECOND", "second-secret", "second-session"));
            JsonNode rotated = Http.json(get(ecs.credentialsFullUri(), "anything").body());
            assertEquals("ASIASECOND", rotated.path("AccessKeyId").asText());
            assertEquals("second-session", rotated.path("Token").asText());
            assertEquals(0, ecs.rejectedCredentialRequests());
            assertFalse(first.toString().contains("first-secret") || first.toString().contains("first-session"),
                    first.toString());
        }
    }

    @Test
    void faultsApplyToTheCredentialsEndpointToo() throws Exception {
        try (EcsMetadataSimulator ecs = EcsMetadataSimulator.startDemo()) {
            ecs.failNext(1, 500, ecs.credentialsRelativeUri());
            assertEquals(500, get(ecs.credentialsFullUri(), "test-authorization-token").statusCode());
            assertEquals(200, get(ecs.credentialsFullUri(), "test-authorization-token").statusCode());
            assertEquals(405, Http.client().send(HttpRequest.newBuilder(ecs.credentialsFullUri())
                    .header("Authorization", "test-authorization-token")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
        }
    }
}
