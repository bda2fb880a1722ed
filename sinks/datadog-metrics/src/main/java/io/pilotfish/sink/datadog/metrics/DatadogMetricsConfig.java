package io.pilotfish.sink.datadog.metrics;

import io.pilotfish.sink.datadog.common.Compression;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated settings of one {@code datadog-metrics} sink.
 *
 * @param url                  an explicit intake base URL (key {@code url}); empty to use {@code DD_DD_URL} or the site
 * @param compression          body compression (key {@code compression})
 * @param maxPayloadBytes      largest compressed body sent (key {@code max-payload-bytes})
 * @param maxUncompressedBytes largest JSON body before compression (key {@code max-uncompressed-bytes})
 */
public record DatadogMetricsConfig(Optional<URI> url, Compression compression, int maxPayloadBytes,
                                   int maxUncompressedBytes) {

    /** The intake's limit for a compressed body (OpenAPI SubmitMetrics: 500 KB). */
    public static final int INTAKE_MAX_PAYLOAD_BYTES = 512_000;
    /** The intake's limit for a body once decompressed (OpenAPI SubmitMetrics: 5 MB). */
    public static final int INTAKE_MAX_UNCOMPRESSED_BYTES = 5_242_880;

    public static final DatadogMetricsConfig DEFAULTS = new DatadogMetricsConfig(Optional.empty(), Compression.DEFLATE,
            INTAKE_MAX_PAYLOAD_BYTES, INTAKE_MAX_UNCOMPRESSED_BYTES);

    public DatadogMetricsConfig {
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
