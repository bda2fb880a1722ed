package io.pilotfish.sink.datadog.common;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;

/** The request every Datadog JSON intake takes: a POST with the key, JSON content type and a compressed body. */
public final class IntakeRequest {

    private IntakeRequest() {
    }

    /**
     * {@code POST uri} with {@code DD-API-KEY}, {@code Content-Type: application/json}, {@code Content-Encoding} and
     * {@code User-Agent: pilotfish/<agentVersion>}.
     *
     * @param body compressed bytes {@code [0, length)}
     * @throws IllegalArgumentException when a header value is refused by the JDK (e.g. an odd agent version);
     *                                  retrying cannot help, and the message may contain the key: redact it
     */
    public static HttpRequest jsonPost(URI uri, ApiKey key, Compression compression, String agentVersion,
                                       Duration timeout, byte[] body, int length) {
        return HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header(ApiKey.HEADER, key.headerValue())
                .header("Content-Type", "application/json")
                .header("Content-Encoding", compression.contentEncoding())
                .header("User-Agent", "pilotfish/" + agentVersion)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body, 0, length))
                .build();
    }
}
