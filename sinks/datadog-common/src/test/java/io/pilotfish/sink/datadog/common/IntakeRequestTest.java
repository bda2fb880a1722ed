package io.pilotfish.sink.datadog.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.sink.datadog.common.testing.FakeIntake;
import io.pilotfish.sink.datadog.common.testing.TestContext;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The request, the bounded body reading and the request counters against a loopback intake. */
class IntakeRequestTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final byte[] JSON = "[{\"check\":\"app.up\",\"status\":0}]".getBytes(StandardCharsets.UTF_8);

    private FakeIntake intake;
    private ApiKey key;

    @BeforeEach
    void start() {
        intake = FakeIntake.start();
        AgentSettings agent = new AgentSettings("1.2.3", "", TagSet.EMPTY, "", Optional.empty(),
                () -> Optional.of(new Secret(TestContext.API_KEY)));
        key = ((ApiKey.Usable) ApiKey.lookup(agent)).key();
    }

    @AfterEach
    void stop() {
        intake.close();
    }

    @AfterAll
    static void closeClient() {
        HTTP.close();
    }

    @Test
    void aJsonPostCarriesKeyTypeEncodingAndAgentVersion() throws Exception {
        byte[] body = Compression.GZIP.compress(JSON, 0, JSON.length);
        URI uri = DatadogEndpoints.withPath(intake.baseUri(), "/api/v1/check_run");

        HttpResponse<byte[]> response = HTTP.send(IntakeRequest.post(uri, key, IntakeRequest.JSON, Compression.GZIP, "1.2.3",
                Duration.ofSeconds(5), body, body.length), BoundedBody.handler(1024));

        assertEquals(202, response.statusCode());
        FakeIntake.Request request = intake.take();
        assertEquals("POST", request.method());
        assertEquals("/api/v1/check_run", request.path());
        assertEquals(TestContext.API_KEY, request.header("DD-API-KEY"));
        assertEquals("application/json", request.header("Content-Type"));
        assertEquals("gzip", request.header("Content-Encoding"));
        assertEquals("pilotfish/1.2.3", request.header("User-Agent"));
        assertArrayEquals(JSON, request.decodedBody());
    }

    @Test
    void aProtobufPostCarriesItsContentTypeAndTheSameHeaders() throws Exception {
        byte[] proto = {0x0a, 0x03, 0x0a, 0x01, 0x6d};
        byte[] body = Compression.DEFLATE.compress(proto, 0, proto.length);
        URI uri = DatadogEndpoints.withPath(intake.baseUri(), "/api/beta/sketches");

        HttpResponse<byte[]> response = HTTP.send(IntakeRequest.post(uri, key, IntakeRequest.PROTOBUF,
                Compression.DEFLATE, "1.2.3", Duration.ofSeconds(5), body, body.length), BoundedBody.handler(1024));

        assertEquals(202, response.statusCode());
        FakeIntake.Request request = intake.take();
        assertEquals("/api/beta/sketches", request.path());
        assertEquals(TestContext.API_KEY, request.header("DD-API-KEY"));
        assertEquals("application/x-protobuf", request.header("Content-Type"));
        assertEquals("deflate", request.header("Content-Encoding"));
        assertEquals("pilotfish/1.2.3", request.header("User-Agent"));
        assertArrayEquals(proto, request.decodedBody());
    }

    @Test
    void onlyTheGivenLengthOfTheBufferIsSent() throws Exception {
        byte[] padded = java.util.Arrays.copyOf(Compression.DEFLATE.compress(JSON, 0, JSON.length), 4096);
        int length = Compression.DEFLATE.compress(JSON, 0, JSON.length).length;

        HTTP.send(IntakeRequest.post(intake.baseUri(), key, IntakeRequest.JSON, Compression.DEFLATE, "1.2.3", Duration.ofSeconds(5),
                padded, length), BoundedBody.handler(1024));

        FakeIntake.Request request = intake.take();
        assertEquals(length, request.body().length);
        assertArrayEquals(JSON, request.decodedBody());
    }

    @Test
    void aHeaderValueTheJdkRefusesIsAnIllegalArgument() {
        assertThrows(IllegalArgumentException.class, () -> IntakeRequest.post(intake.baseUri(), key,
                IntakeRequest.JSON, Compression.GZIP, "1.0\r\nX-Injected: yes", Duration.ofSeconds(5), JSON,
                JSON.length));
    }

    @Test
    void aLargeAnswerIsReadToTheEndButOnlyItsStartIsKept() throws Exception {
        String answer = "{\"errors\":[\"" + "y".repeat(100_000) + "\"]}";
        intake.answer(400, Map.of(), answer);

        HttpResponse<byte[]> response = HTTP.send(IntakeRequest.post(intake.baseUri(), key, IntakeRequest.JSON, Compression.GZIP,
                "1.2.3", Duration.ofSeconds(5), JSON, JSON.length), BoundedBody.handler(64));

        assertEquals(400, response.statusCode());
        assertEquals(64, response.body().length);
        assertEquals(answer.substring(0, 64), new String(response.body(), StandardCharsets.UTF_8));
    }

    @Test
    void requestCountersGoByStatusClass() {
        TestContext context = new TestContext(HTTP, Clock.systemUTC(), "", Optional.empty(), TagSet.EMPTY);
        RequestCounters counters = new RequestCounters(context.telemetry);

        counters.answered(202, 100);
        counters.answered(204, 50);
        counters.answered(302, 1);
        counters.answered(404, 1);
        counters.answered(503, 1);
        counters.failed();

        assertEquals(2, context.counter("sink.requests", "status_class:2xx"));
        assertEquals(1, context.counter("sink.requests", "status_class:3xx"));
        assertEquals(1, context.counter("sink.requests", "status_class:4xx"));
        assertEquals(1, context.counter("sink.requests", "status_class:5xx"));
        assertEquals(1, context.counter("sink.requests", "status_class:error"));
        assertEquals(153, context.counter("sink.bytes.sent"));
        assertTrue(context.counter("sink.requests", "status_class:1xx") == 0);
    }
}
