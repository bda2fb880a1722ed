package io.pilotfish.sink.datadog.metrics;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.pilotfish.sink.datadog.common.Compression;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;

/**
 * Turns a batch of metric points into a compressed {@code MetricPayload} for {@code POST /api/v2/series}: points of
 * the same series share one {@code MetricSeries}; JSON is streamed straight into the compressor.
 *
 * <p>Each series carries what the Datadog Agent puts on its series: the {@code host} resource (named even when the
 * host is empty, as on Fargate), the interval when there is one, and the origin in {@code metadata.origin} under the
 * names Datadog's own JSON senders use (see the README).
 */
final class SeriesEncoder {

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    /** Everything that makes two points belong to the same series: every field a {@code MetricSeries} carries. */
    record SeriesKey(String name, MetricType type, long interval, TagSet tags, String host, String unit,
                     MetricOrigin origin) {

        static SeriesKey of(Metric metric) {
            // No interval (0) and a nonsensical negative one are the same on the wire: none.
            long interval = Math.max(0, metric.intervalSeconds());
            return new SeriesKey(metric.name(), metric.type(), interval, metric.tags(), metric.host(), metric.unit(),
                    metric.origin());
        }
    }

    /**
     * A batch sorted into series.
     *
     * @param invalidValues points dropped because NaN or infinite values are not JSON numbers
     * @param invalidNames  points dropped because they had no metric name
     * @param unsupported   signals that are not metrics
     */
    record Grouped(Map<SeriesKey, List<Metric>> series, int points, int invalidValues, int invalidNames,
                   int unsupported) {
    }

    /** The result of encoding: a body to send, or why it may not be sent. */
    sealed interface Outcome {
    }

    /** @param body compressed bytes {@code [0, length)} */
    record Encoded(byte[] body, int length, long uncompressedLength) implements Outcome {
    }

    record OverLimit(String reason) implements Outcome {
    }

    private final Compression compression;
    private final int maxPayloadBytes;
    private final int maxUncompressedBytes;

    SeriesEncoder(Compression compression, int maxPayloadBytes, int maxUncompressedBytes) {
        this.compression = compression;
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxUncompressedBytes = maxUncompressedBytes;
    }

    static Grouped group(List<? extends Signal> batch) {
        Map<SeriesKey, List<Metric>> series = new LinkedHashMap<>();
        int points = 0;
        int invalidValues = 0;
        int invalidNames = 0;
        int unsupported = 0;
        for (Signal signal : batch) {
            if (!(signal instanceof Metric metric)) {
                unsupported++;
            } else if (!Double.isFinite(metric.value())) {
                invalidValues++;
            } else if (metric.name().isBlank()) {
                invalidNames++;
            } else {
                series.computeIfAbsent(SeriesKey.of(metric), k -> new ArrayList<>(4)).add(metric);
                points++;
            }
        }
        return new Grouped(series, points, invalidValues, invalidNames, unsupported);
    }

    /** Encodes and compresses, or reports which limit the batch exceeds (nothing is sent then). */
    Outcome encode(Grouped grouped, TagSet globalTags) {
        // Metric JSON compresses roughly tenfold; start near that to avoid regrowing the buffer.
        Body compressed = new Body(Math.min(maxPayloadBytes, 64 + grouped.points() * 16));
        Deflater deflater = compression.newDeflater();
        CountingStream counting = null;
        try {
            try (OutputStream compressing = compression.compressing(compressed, deflater)) {
                counting = new CountingStream(compressing, maxUncompressedBytes);
                try (JsonGenerator json = JSON.createGenerator(counting, JsonEncoding.UTF8)) {
                    writePayload(grouped.series(), globalTags, json);
                }
            }
        } catch (OverLimitException e) {
            return new OverLimit("the payload of " + grouped.points() + " points is over " + maxUncompressedBytes
                    + " bytes before compression (max-uncompressed-bytes)");
        } catch (IOException e) {
            // Only in-memory streams are involved; an IOException here is a bug, not a condition to classify.
            throw new UncheckedIOException(e);
        } finally {
            deflater.end();
        }
        if (compressed.size() > maxPayloadBytes) {
            return new OverLimit("the payload of " + grouped.points() + " points is " + compressed.size()
                    + " bytes compressed, over " + maxPayloadBytes + " (max-payload-bytes)");
        }
        return new Encoded(compressed.array(), compressed.size(), counting.count);
    }

    /** Writes {@code {"series":[...]}}. Tags are the series' tags merged with the global tags. */
    static void writePayload(Map<SeriesKey, List<Metric>> series, TagSet globalTags, JsonGenerator json)
            throws IOException {
        json.writeStartObject();
        json.writeArrayFieldStart("series");
        for (Map.Entry<SeriesKey, List<Metric>> entry : series.entrySet()) {
            SeriesKey key = entry.getKey();
            json.writeStartObject();
            json.writeStringField("metric", key.name());
            json.writeNumberField("type", intakeType(key.type()));
            if (key.interval() > 0) {
                json.writeNumberField("interval", key.interval());
            }
            json.writeArrayFieldStart("points");
            for (Metric point : entry.getValue()) {
                json.writeStartObject();
                json.writeNumberField("timestamp", point.timestamp());
                json.writeNumberField("value", point.value());
                json.writeEndObject();
            }
            json.writeEndArray();
            // The Agent writes the host resource on every series, its name empty where there is no host (Fargate).
            json.writeArrayFieldStart("resources");
            json.writeStartObject();
            json.writeStringField("type", "host");
            json.writeStringField("name", key.host());
            json.writeEndObject();
            json.writeEndArray();
            if (!key.tags().isEmpty() || !globalTags.isEmpty()) {
                json.writeArrayFieldStart("tags");
                writeUnion(key.tags(), globalTags, json);
                json.writeEndArray();
            }
            if (!key.unit().isEmpty()) {
                json.writeStringField("unit", key.unit());
            }
            if (key.origin().specified()) {
                writeOrigin(key.origin(), json);
            }
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /**
     * {@code "metadata":{"origin":{...}}} with the Agent's product, category and service codes under the names
     * Datadog's own JSON senders use ({@code origin_product}, {@code origin_sub_product},
     * {@code origin_product_detail}); the published schema's {@code product}/{@code service} are older fields its
     * OpenTelemetry exporter avoids as deprecated, and have no place for the category.
     */
    static void writeOrigin(MetricOrigin origin, JsonGenerator json) throws IOException {
        json.writeObjectFieldStart("metadata");
        json.writeObjectFieldStart("origin");
        json.writeNumberField("origin_product", origin.product());
        json.writeNumberField("origin_sub_product", origin.category());
        json.writeNumberField("origin_product_detail", origin.service());
        json.writeEndObject();
        json.writeEndObject();
    }

    /** OpenAPI {@code MetricIntakeType}: 1 count, 2 rate, 3 gauge. */
    static int intakeType(MetricType type) {
        return switch (type) {
            case COUNT -> 1;
            case RATE -> 2;
            case GAUGE -> 3;
        };
    }

    /** Both sets are sorted and de-duplicated, so one merge pass writes their union without building a new set. */
    private static void writeUnion(TagSet a, TagSet b, JsonGenerator json) throws IOException {
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            int order = a.get(i).compareTo(b.get(j));
            if (order < 0) {
                json.writeString(a.get(i++));
            } else if (order > 0) {
                json.writeString(b.get(j++));
            } else {
                json.writeString(a.get(i++));
                j++;
            }
        }
        while (i < a.size()) {
            json.writeString(a.get(i++));
        }
        while (j < b.size()) {
            json.writeString(b.get(j++));
        }
    }

    /** A byte buffer whose array can be handed to the HTTP client without a copy. */
    private static final class Body extends ByteArrayOutputStream {
        Body(int initialSize) {
            super(Math.max(32, initialSize));
        }

        byte[] array() {
            return buf;
        }
    }

    /** Counts bytes on their way to the compressor and stops the encoding as soon as the limit is passed. */
    private static final class CountingStream extends FilterOutputStream {
        private final long limit;
        private long count;

        CountingStream(OutputStream out, long limit) {
            super(out);
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            advance(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            advance(len);
            out.write(b, off, len);
        }

        private void advance(int len) throws OverLimitException {
            count += len;
            if (count > limit) {
                throw new OverLimitException();
            }
        }
    }

    private static final class OverLimitException extends IOException {
        OverLimitException() {
            super("over the uncompressed limit");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // control flow only; a stack trace would be wasted work
        }
    }
}
