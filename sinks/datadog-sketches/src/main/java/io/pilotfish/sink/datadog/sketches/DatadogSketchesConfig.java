package io.pilotfish.sink.datadog.sketches;

import io.pilotfish.sink.datadog.common.Compression;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-sketches} sink.
 *
 * @param url                  an explicit intake base URL (key {@code url}); empty to use {@code DD_DD_URL} or the site
 * @param compression          body compression (key {@code compression})
 * @param maxPayloadBytes      largest compressed body sent (key {@code max-payload-bytes})
 * @param maxUncompressedBytes largest protobuf body before compression (key {@code max-uncompressed-bytes})
 */
public record DatadogSketchesConfig(Optional<URI> url, Compression compression, int maxPayloadBytes,
                                    int maxUncompressedBytes) {

    /**
     * The largest compressed body: the series intake's 512 000 bytes. The Agent allows sketch payloads up to
     * 2 621 440 ({@code serializer_max_payload_size}); the smaller figure keeps each request small and is safe.
     */
    public static final int INTAKE_MAX_PAYLOAD_BYTES = 512_000;
    /**
     * The largest body once decompressed: the Agent's {@code serializer_max_uncompressed_payload_size} for
     * sketches, 4 194 304 bytes ("payloads will get dropped by Datadog's intake" beyond it), below the series
     * intake's 5 242 880.
     */
    public static final int INTAKE_MAX_UNCOMPRESSED_BYTES = 4_194_304;

    public static final DatadogSketchesConfig DEFAULTS = new DatadogSketchesConfig(Optional.empty(),
            Compression.DEFLATE, INTAKE_MAX_PAYLOAD_BYTES, INTAKE_MAX_UNCOMPRESSED_BYTES);

    public DatadogSketchesConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(compression, "compression");
        if (maxPayloadBytes < 1 || maxPayloadBytes > INTAKE_MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("max-payload-bytes must be from 1 to " + INTAKE_MAX_PAYLOAD_BYTES);
        }
        if (maxUncompressedBytes < 1 || maxUncompressedBytes > INTAKE_MAX_UNCOMPRESSED_BYTES) {
            throw new IllegalArgumentException(
                    "max-uncompressed-bytes must be from 1 to " + INTAKE_MAX_UNCOMPRESSED_BYTES);
        }
    }
}
