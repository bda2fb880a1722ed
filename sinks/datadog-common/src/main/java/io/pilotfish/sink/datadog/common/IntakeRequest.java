package io.pilotfish.sink.datadog.common;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * The request every Datadog intake takes: a POST with the key, the body's content type and a compressed body. JSON
 * for the public APIs (series, events), protobuf for the Agent's payloads (sketches).
 */
public final class IntakeRequest {

    /** {@code Content-Type} of the JSON intakes. */
    public static final String JSON = "application/json";
    /** {@code Content-Type} of the Agent's protobuf payloads ({@code agent-payload}), e.g. sketches. */
    public static final String PROTOBUF = "application/x-protobuf";

    private IntakeRequest() {
    }

    /**
     * {@code POST uri} with {@code DD-API-KEY}, {@code Content-Type: <contentType>}, {@code Content-Encoding} and
     * {@code User-Agent: pilotfish/<agentVersion>}.
     *
     * @param contentType the body's media type, e.g. {@link #JSON} or {@link #PROTOBUF}
     * @param body        compressed bytes {@code [0, length)}
     * @throws IllegalArgumentException when a header value is refused by the JDK (e.g. an odd agent version);
     *                                  retrying cannot help, and the message may contain the key: redact it
     */
    public static HttpRequest post(URI uri, ApiKey key, String contentType, Compression compression,
                                   String agentVersion, Duration timeout, byte[] body, int length) {
        return HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header(ApiKey.HEADER, key.headerValue())
                .header("Content-Type", contentType)
                .header("Content-Encoding", compression.contentEncoding())
                .header("User-Agent", "pilotfish/" + agentVersion)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body, 0, length))
                .build();
    }
}
