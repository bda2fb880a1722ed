package io.pilotfish.sink.datadog.metrics;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The benchmarks' door to the package-private {@link SeriesEncoder} (it lives in the sink's package for that reason
 * alone; the benchmarks run from the class path, where a package may span jars). Each method does what
 * {@code DatadogMetricsSink.export} does with a batch, minus the HTTP request.
 */
public final class SeriesEncoderAccess {

    private static final JsonFactory JSON = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private final SeriesEncoder encoder;
    private final TagSet globalTags;

    private SeriesEncoderAccess(SeriesEncoder encoder, TagSet globalTags) {
        this.encoder = encoder;
        this.globalTags = globalTags;
    }

    /**
     * @param contentEncoding {@code deflate} or {@code gzip}
     * @param globalTags      the agent's global tags, merged into every series
     */
    public static SeriesEncoderAccess of(String contentEncoding, TagSet globalTags) {
        // Found through the config rather than by name, so this class survives Compression moving to another module.
        for (var compression : DatadogMetricsConfig.DEFAULTS.compression().getDeclaringClass().getEnumConstants()) {
            if (compression.contentEncoding().equals(contentEncoding)) {
                return new SeriesEncoderAccess(new SeriesEncoder(compression,
                        DatadogMetricsConfig.INTAKE_MAX_PAYLOAD_BYTES,
                        DatadogMetricsConfig.INTAKE_MAX_UNCOMPRESSED_BYTES), globalTags);
            }
        }
        throw new IllegalArgumentException("unknown content encoding " + contentEncoding);
    }

    /** Sorts the batch into series; returns the number of series. */
    public static int group(List<? extends Signal> batch) {
        return SeriesEncoder.group(batch).series().size();
    }

    /** Groups and writes the JSON payload, uncompressed, to {@code out}. */
    public void writeJson(List<? extends Signal> batch, OutputStream out) {
        SeriesEncoder.Grouped grouped = SeriesEncoder.group(batch);
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            SeriesEncoder.writePayload(grouped.series(), globalTags, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Groups, encodes and compresses, as the sink does before sending. */
    public Body encode(List<? extends Signal> batch) {
        SeriesEncoder.Outcome outcome = encoder.encode(SeriesEncoder.group(batch), globalTags);
        if (outcome instanceof SeriesEncoder.Encoded encoded) {
            return new Body(encoded.body(), encoded.length(), encoded.uncompressedLength());
        }
        throw new IllegalStateException("the batch cannot be sent: " + outcome);
    }

    /** @param bytes compressed body {@code [0, length)} */
    public record Body(byte[] bytes, int length, long uncompressedLength) {
    }
}
