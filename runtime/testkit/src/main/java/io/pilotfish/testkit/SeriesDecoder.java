package io.pilotfish.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.spi.signal.MetricOrigin;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a {@code /api/v2/series} JSON body strictly: whatever a real intake would refuse is an
 * {@link IllegalArgumentException} naming the place, e.g. {@code series[2].points[0].value: expected a number}.
 */
final class SeriesDecoder {

    private SeriesDecoder() {
    }

    static List<RecordedSeries> decode(byte[] body) {
        JsonNode root = Json.parse(body, "the series body");
        JsonNode series = root.get("series");
        if (!root.isObject() || series == null || !series.isArray()) {
            throw new IllegalArgumentException("expected {\"series\":[...]}");
        }
        List<RecordedSeries> decoded = new ArrayList<>(series.size());
        for (int i = 0; i < series.size(); i++) {
            decoded.add(decodeOne(series.get(i), "series[" + i + "]"));
        }
        return decoded;
    }

    private static RecordedSeries decodeOne(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected an object");
        }
        JsonNode metric = node.get("metric");
        if (metric == null || !metric.isTextual() || metric.textValue().isEmpty()) {
            throw new IllegalArgumentException(where + ".metric: expected a non-empty string");
        }
        int type = (int) integer(node, "type", where, 0);
        if (type < 0 || type > 3) {
            throw new IllegalArgumentException(where + ".type: expected 0-3 (unspecified, count, rate, gauge), got "
                    + type);
        }
        long interval = integer(node, "interval", where, 0);
        JsonNode points = node.get("points");
        if (points == null || !points.isArray()) {
            throw new IllegalArgumentException(where + ".points: expected an array");
        }
        List<RecordedSeries.Point> decodedPoints = new ArrayList<>(points.size());
        for (int p = 0; p < points.size(); p++) {
            JsonNode point = points.get(p);
            String at = where + ".points[" + p + "]";
            if (!point.isObject()) {
                throw new IllegalArgumentException(at + ": expected {\"timestamp\":..,\"value\":..}");
            }
            JsonNode value = point.get("value");
            if (value == null || !value.isNumber()) {
                throw new IllegalArgumentException(at + ".value: expected a number");
            }
            JsonNode timestamp = point.get("timestamp");
            if (timestamp == null || !timestamp.isIntegralNumber() || !timestamp.canConvertToLong()) {
                throw new IllegalArgumentException(at + ".timestamp: expected integer epoch seconds");
            }
            decodedPoints.add(new RecordedSeries.Point(timestamp.longValue(), value.doubleValue()));
        }
        List<String> tags = new ArrayList<>();
        JsonNode tagsNode = node.get("tags");
        if (tagsNode != null && !tagsNode.isNull()) {
            if (!tagsNode.isArray()) {
                throw new IllegalArgumentException(where + ".tags: expected an array of strings");
            }
            for (int t = 0; t < tagsNode.size(); t++) {
                if (!tagsNode.get(t).isTextual()) {
                    throw new IllegalArgumentException(where + ".tags[" + t + "]: expected a string");
                }
                tags.add(tagsNode.get(t).textValue());
            }
        }
        List<RecordedSeries.Resource> resources = new ArrayList<>();
        JsonNode resourcesNode = node.get("resources");
        if (resourcesNode != null && !resourcesNode.isNull()) {
            if (!resourcesNode.isArray()) {
                throw new IllegalArgumentException(where + ".resources: expected an array");
            }
            for (int r = 0; r < resourcesNode.size(); r++) {
                JsonNode resource = resourcesNode.get(r);
                if (!resource.isObject() || !resource.path("name").isTextual() || !resource.path("type").isTextual()) {
                    throw new IllegalArgumentException(where + ".resources[" + r
                            + "]: expected {\"name\":string,\"type\":string}");
                }
                resources.add(new RecordedSeries.Resource(resource.get("name").textValue(),
                        resource.get("type").textValue()));
            }
        }
        JsonNode unit = node.get("unit");
        if (unit != null && !unit.isNull() && !unit.isTextual()) {
            throw new IllegalArgumentException(where + ".unit: expected a string");
        }
        return new RecordedSeries(metric.textValue(), type, interval, decodedPoints, tags, resources,
                unit == null || unit.isNull() ? "" : unit.textValue(), origin(node, where));
    }

    /**
     * {@code metadata.origin}, whose codes JSON senders write as {@code origin_product}, {@code origin_sub_product}
     * and {@code origin_product_detail} (the protobuf's origin_product, origin_category, origin_service).
     */
    private static MetricOrigin origin(JsonNode series, String where) {
        JsonNode metadata = series.get("metadata");
        if (metadata == null || metadata.isNull()) {
            return MetricOrigin.UNSPECIFIED;
        }
        if (!metadata.isObject()) {
            throw new IllegalArgumentException(where + ".metadata: expected an object");
        }
        JsonNode origin = metadata.get("origin");
        if (origin == null || origin.isNull()) {
            return MetricOrigin.UNSPECIFIED;
        }
        if (!origin.isObject()) {
            throw new IllegalArgumentException(where + ".metadata.origin: expected an object");
        }
        String at = where + ".metadata.origin";
        return new MetricOrigin(originCode(origin, "origin_product", at),
                originCode(origin, "origin_sub_product", at), originCode(origin, "origin_product_detail", at));
    }

    private static int originCode(JsonNode origin, String field, String where) {
        long code = integer(origin, field, where, 0);
        if (code < 0 || code > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + "." + field + ": expected a code from 0 to "
                    + Integer.MAX_VALUE + ", got " + code);
        }
        return (int) code;
    }

    private static long integer(JsonNode node, String field, String where, long fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(where + "." + field + ": expected an integer");
        }
        return value.longValue();
    }
}
