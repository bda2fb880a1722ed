package io.pilotfish.sink.datadog.sketches;

import io.pilotfish.sink.datadog.common.Compression;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a batch of {@link Sketch}es into a compressed protobuf {@code SketchPayload} for
 * {@code POST /api/beta/sketches} (agent-payload {@code proto/metrics/agent_payload.proto}):
 *
 * <pre>
 * SketchPayload { repeated Sketch sketches = 1; }                      (metadata = 2 is left out)
 * Sketch        { string metric = 1; string host = 2; repeated string tags = 4; repeated Dogsketch dogsketches = 7;
 *                 Metadata metadata = 8; }
 * Dogsketch     { int64 ts = 1; int64 cnt = 2; double min = 3; double max = 4; double avg = 5; double sum = 6;
 *                 repeated sint32 k = 7 [packed]; repeated uint32 n = 8 [packed]; }
 * Metadata      { Origin origin = 1; }
 * Origin        { uint32 origin_product = 4; uint32 origin_category = 5; uint32 origin_service = 6; }
 * </pre>
 *
 * Points of the same series (name, host, and tags including the agent's global tags) share one {@code Sketch}, in
 * ascending time. The payload is sized before it is written, so a batch over the uncompressed limit is refused
 * without encoding anything.
 */
final class SketchEncoder {

    // SketchPayload
    private static final int PAYLOAD_SKETCHES = 1;
    // Sketch
    private static final int SKETCH_METRIC = 1;
    private static final int SKETCH_HOST = 2;
    private static final int SKETCH_TAGS = 4;
    private static final int SKETCH_DOGSKETCHES = 7;
    private static final int SKETCH_METADATA = 8;
    // Metadata
    private static final int METADATA_ORIGIN = 1;
    // Origin
    private static final int ORIGIN_PRODUCT = 4;
    private static final int ORIGIN_CATEGORY = 5;
    private static final int ORIGIN_SERVICE = 6;
    // Dogsketch
    private static final int DOGSKETCH_TS = 1;
    private static final int DOGSKETCH_CNT = 2;
    private static final int DOGSKETCH_MIN = 3;
    private static final int DOGSKETCH_MAX = 4;
    private static final int DOGSKETCH_AVG = 5;
    private static final int DOGSKETCH_SUM = 6;
    private static final int DOGSKETCH_K = 7;
    private static final int DOGSKETCH_N = 8;

    /**
     * The origin of every sketch. The SPI {@code Sketch} says none: sketches only come from DogStatsD distributions,
     * which the Agent marks as DogStatsD (product Agent, category DogStatsD, no service).
     */
    static final MetricOrigin ORIGIN = MetricOrigin.DOGSTATSD;
    /** The {@code Metadata} message of {@link #ORIGIN}, the same bytes in every sketch. */
    private static final byte[] METADATA = metadata(ORIGIN);

    /** Everything that makes two points belong to the same {@code Sketch} message; tags include the global tags. */
    record SeriesKey(String name, String host, TagSet tags) {
    }

    /**
     * A batch sorted into series.
     *
     * @param points        the sketches to send
     * @param invalidValues sketches dropped for a non-finite min, max or sum, a count below 1 or min above max
     * @param invalidBins   sketches dropped for bins outside the key range, out of order, negative, or not adding
     *                      up to the count
     * @param invalidNames  sketches dropped because they had no metric name
     * @param unsupported   signals that are not sketches
     */
    record Grouped(Map<SeriesKey, List<Sketch>> series, int points, int invalidValues, int invalidBins,
                   int invalidNames, int unsupported) {
    }

    /** The result of encoding: a body to send, or why it may not be sent. */
    sealed interface Outcome {
    }

    /** @param body compressed bytes {@code [0, length)} */
    record Encoded(byte[] body, int length, int uncompressedLength) implements Outcome {
    }

    record OverLimit(String reason) implements Outcome {
    }

    private final Compression compression;
    private final int maxPayloadBytes;
    private final int maxUncompressedBytes;

    SketchEncoder(Compression compression, int maxPayloadBytes, int maxUncompressedBytes) {
        this.compression = compression;
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxUncompressedBytes = maxUncompressedBytes;
    }

    /** Sorts the batch into series, the agent's global tags merged into each sketch's own; counts what is dropped. */
    static Grouped group(List<? extends Signal> batch, TagSet globalTags) {
        Map<SeriesKey, List<Sketch>> series = new LinkedHashMap<>();
        // Most sketches of a batch share a few tag sets: merge each distinct set with the global tags once.
        Map<TagSet, TagSet> merged = new HashMap<>();
        int points = 0;
        int invalidValues = 0;
        int invalidBins = 0;
        int invalidNames = 0;
        int unsupported = 0;
        for (Signal signal : batch) {
            if (!(signal instanceof Sketch sketch)) {
                unsupported++;
            } else if (sketch.name().isBlank()) {
                invalidNames++;
            } else if (!validSummary(sketch)) {
                invalidValues++;
            } else if (!validBins(sketch)) {
                invalidBins++;
            } else {
                TagSet tags = merged.computeIfAbsent(sketch.tags(), own -> own.with(globalTags));
                series.computeIfAbsent(new SeriesKey(sketch.name(), sketch.host(), tags), k -> new ArrayList<>(2))
                        .add(sketch);
                points++;
            }
        }
        // Stable: points with the same timestamp keep their order in the batch.
        series.values().forEach(list -> list.sort(Comparator.comparingLong(Sketch::timestamp)));
        return new Grouped(series, points, invalidValues, invalidBins, invalidNames, unsupported);
    }

    /** Min, max and sum are protobuf doubles, but the intake cannot use NaN or infinities in a summary. */
    private static boolean validSummary(Sketch sketch) {
        return Double.isFinite(sketch.min()) && Double.isFinite(sketch.max()) && Double.isFinite(sketch.sum())
                && sketch.count() >= 1 && sketch.min() <= sketch.max();
    }

    /**
     * Keys within the Agent's key space (±32767, the infinities included), ascending; counts not negative (they are
     * uint32 on the wire) and adding up to the sketch's count, which is what quantiles are computed against.
     */
    private static boolean validBins(Sketch sketch) {
        int[] keys = sketch.keys();
        int[] counts = sketch.counts();
        long total = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] < -Sketch.INFINITE_KEY || keys[i] > Sketch.INFINITE_KEY || i > 0 && keys[i] < keys[i - 1]
                    || counts[i] < 0) {
                return false;
            }
            total += counts[i];
        }
        return total == sketch.count();
    }

    /** {@code Metadata { Origin origin = 1; }}, codes at 0 left out. */
    static byte[] metadata(MetricOrigin origin) {
        int originSize = ProtoWriter.varintFieldSize(ORIGIN_PRODUCT, origin.product())
                + ProtoWriter.varintFieldSize(ORIGIN_CATEGORY, origin.category())
                + ProtoWriter.varintFieldSize(ORIGIN_SERVICE, origin.service());
        ProtoWriter out = new ProtoWriter((int) ProtoWriter.lengthDelimitedFieldSize(METADATA_ORIGIN, originSize));
        out.lengthDelimited(METADATA_ORIGIN, originSize);
        out.varintField(ORIGIN_PRODUCT, origin.product());
        out.varintField(ORIGIN_CATEGORY, origin.category());
        out.varintField(ORIGIN_SERVICE, origin.service());
        return out.buffer();
    }

    /** Encodes and compresses, or reports which limit the batch exceeds (nothing is sent then). */
    Outcome encode(Grouped grouped) {
        List<SizedSeries> sized = new ArrayList<>(grouped.series().size());
        long payloadSize = 0;
        for (Map.Entry<SeriesKey, List<Sketch>> entry : grouped.series().entrySet()) {
            SizedSeries series = SizedSeries.of(entry.getKey(), entry.getValue());
            sized.add(series);
            payloadSize += ProtoWriter.lengthDelimitedFieldSize(PAYLOAD_SKETCHES, series.size);
            if (payloadSize > maxUncompressedBytes) {
                return new OverLimit("the payload of " + grouped.points() + " sketches is over "
                        + maxUncompressedBytes + " bytes before compression (max-uncompressed-bytes)");
            }
        }
        ProtoWriter out = new ProtoWriter((int) payloadSize);
        for (SizedSeries series : sized) {
            out.lengthDelimited(PAYLOAD_SKETCHES, (int) series.size);
            series.writeTo(out);
        }
        if (out.position() != payloadSize) {
            // The sizes and the writing disagree: a bug that would put a corrupt payload on the wire.
            throw new IllegalStateException("sketch payload sized " + payloadSize + " bytes but " + out.position()
                    + " were written");
        }
        byte[] compressed = compression.compress(out.buffer(), 0, out.position());
        if (compressed.length > maxPayloadBytes) {
            return new OverLimit("the payload of " + grouped.points() + " sketches is " + compressed.length
                    + " bytes compressed, over " + maxPayloadBytes + " (max-payload-bytes)");
        }
        return new Encoded(compressed, compressed.length, out.position());
    }

    /** One {@code Sketch} message with the sizes of its parts, computed once for sizing and used again to write. */
    private static final class SizedSeries {
        private final byte[] metric;
        private final byte[] host;
        private final byte[][] tags;
        private final List<Sketch> points;
        private final int[] keyBytes;
        private final int[] countBytes;
        private final long[] pointSizes;
        private long size;

        private SizedSeries(SeriesKey key, List<Sketch> points) {
            this.metric = key.name().getBytes(StandardCharsets.UTF_8);
            this.host = key.host().getBytes(StandardCharsets.UTF_8);
            this.tags = new byte[key.tags().size()][];
            for (int i = 0; i < tags.length; i++) {
                tags[i] = key.tags().get(i).getBytes(StandardCharsets.UTF_8);
            }
            this.points = points;
            this.keyBytes = new int[points.size()];
            this.countBytes = new int[points.size()];
            this.pointSizes = new long[points.size()];
        }

        static SizedSeries of(SeriesKey key, List<Sketch> points) {
            SizedSeries series = new SizedSeries(key, points);
            series.size = series.computeSize();
            return series;
        }

        private long computeSize() {
            long total = ProtoWriter.lengthDelimitedFieldSize(SKETCH_METRIC, metric.length);
            if (host.length > 0) {
                total += ProtoWriter.lengthDelimitedFieldSize(SKETCH_HOST, host.length);
            }
            for (byte[] tag : tags) {
                total += ProtoWriter.lengthDelimitedFieldSize(SKETCH_TAGS, tag.length);
            }
            for (int i = 0; i < points.size(); i++) {
                Sketch point = points.get(i);
                int[] keys = point.keys();
                int[] counts = point.counts();
                int kBytes = 0;
                int nBytes = 0;
                for (int b = 0; b < keys.length; b++) {
                    kBytes += ProtoWriter.sint32Size(keys[b]);
                    nBytes += ProtoWriter.varintSize(counts[b]);
                }
                keyBytes[i] = kBytes;
                countBytes[i] = nBytes;
                long pointSize = ProtoWriter.varintFieldSize(DOGSKETCH_TS, point.timestamp())
                        + ProtoWriter.varintFieldSize(DOGSKETCH_CNT, point.count())
                        + ProtoWriter.doubleFieldSize(DOGSKETCH_MIN, point.min())
                        + ProtoWriter.doubleFieldSize(DOGSKETCH_MAX, point.max())
                        + ProtoWriter.doubleFieldSize(DOGSKETCH_AVG, point.avg())
                        + ProtoWriter.doubleFieldSize(DOGSKETCH_SUM, point.sum());
                if (keys.length > 0) {
                    pointSize += ProtoWriter.lengthDelimitedFieldSize(DOGSKETCH_K, kBytes)
                            + ProtoWriter.lengthDelimitedFieldSize(DOGSKETCH_N, nBytes);
                }
                pointSizes[i] = pointSize;
                total += ProtoWriter.lengthDelimitedFieldSize(SKETCH_DOGSKETCHES, pointSize);
            }
            return total + ProtoWriter.lengthDelimitedFieldSize(SKETCH_METADATA, METADATA.length);
        }

        void writeTo(ProtoWriter out) {
            out.bytesField(SKETCH_METRIC, metric);
            if (host.length > 0) {
                out.bytesField(SKETCH_HOST, host);
            }
            for (byte[] tag : tags) {
                out.bytesField(SKETCH_TAGS, tag);
            }
            for (int i = 0; i < points.size(); i++) {
                Sketch point = points.get(i);
                out.lengthDelimited(SKETCH_DOGSKETCHES, (int) pointSizes[i]);
                out.varintField(DOGSKETCH_TS, point.timestamp());
                out.varintField(DOGSKETCH_CNT, point.count());
                out.doubleField(DOGSKETCH_MIN, point.min());
                out.doubleField(DOGSKETCH_MAX, point.max());
                out.doubleField(DOGSKETCH_AVG, point.avg());
                out.doubleField(DOGSKETCH_SUM, point.sum());
                int[] keys = point.keys();
                if (keys.length > 0) {
                    int[] counts = point.counts();
                    out.lengthDelimited(DOGSKETCH_K, keyBytes[i]);
                    for (int key : keys) {
                        out.sint32(key);
                    }
                    out.lengthDelimited(DOGSKETCH_N, countBytes[i]);
                    for (int count : counts) {
                        out.varint(count);
                    }
                }
            }
            // After the points, where the Agent writes it.
            out.bytesField(SKETCH_METADATA, METADATA);
        }
    }
}
