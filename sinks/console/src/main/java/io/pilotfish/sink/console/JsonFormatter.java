package io.pilotfish.sink.console;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * One JSON object per signal, with the field names the Datadog intake uses: a metric as a v2 {@code MetricSeries}
 * with one point, an event as a v1 event, a service check as a v1 check run, a sketch as the fields of its
 * protobuf {@code Sketch} and {@code Dogsketch} plus two quantiles. {@code "signal"} (our own field) says which one a
 * line is.
 */
final class JsonFormatter implements ConsoleSink.SignalFormatter {

    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public void append(Signal signal, TagSet globalTags, StringBuilder line) {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(text)) {
            json.writeStartObject();
            switch (signal) {
                case Metric metric -> metric(metric, globalTags, json);
                case Event event -> event(event, globalTags, json);
                case ServiceCheck check -> serviceCheck(check, globalTags, json);
                case Sketch sketch -> sketch(sketch, globalTags, json);
                default -> {
                    json.writeStringField("signal", signal.kind().name().toLowerCase(Locale.ROOT));
                    json.writeStringField("value", String.valueOf(signal));
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        line.append(text);
    }

    private static void metric(Metric metric, TagSet globalTags, JsonGenerator json) throws IOException {
        json.writeStringField("signal", "metric");
        json.writeStringField("metric", metric.name());
        json.writeNumberField("type", switch (metric.type()) {
            case COUNT -> 1;
            case RATE -> 2;
            case GAUGE -> 3;
        });
        if (metric.type() != MetricType.GAUGE && metric.intervalSeconds() > 0) {
            json.writeNumberField("interval", metric.intervalSeconds());
        }
        json.writeArrayFieldStart("points");
        json.writeStartObject();
        json.writeNumberField("timestamp", metric.timestamp());
        // NaN and infinities come out as strings ("NaN"): still valid JSON, and visibly wrong.
        json.writeNumberField("value", metric.value());
        json.writeEndObject();
        json.writeEndArray();
        if (!metric.host().isEmpty()) {
            json.writeArrayFieldStart("resources");
            json.writeStartObject();
            json.writeStringField("type", "host");
            json.writeStringField("name", metric.host());
            json.writeEndObject();
            json.writeEndArray();
        }
        tags(metric.tags().with(globalTags), json);
        if (!metric.unit().isEmpty()) {
            json.writeStringField("unit", metric.unit());
        }
    }

    private static void event(Event event, TagSet globalTags, JsonGenerator json) throws IOException {
        json.writeStringField("signal", "event");
        json.writeStringField("title", event.title());
        json.writeStringField("text", event.text());
        json.writeNumberField("date_happened", event.timestamp());
        json.writeStringField("priority", event.priority().name().toLowerCase(Locale.ROOT));
        json.writeStringField("alert_type", event.alertType().name().toLowerCase(Locale.ROOT));
        optional("host", event.host(), json);
        optional("aggregation_key", event.aggregationKey(), json);
        optional("source_type_name", event.sourceTypeName(), json);
        tags(event.tags().with(globalTags), json);
    }

    private static void serviceCheck(ServiceCheck check, TagSet globalTags, JsonGenerator json) throws IOException {
        json.writeStringField("signal", "service_check");
        json.writeStringField("check", check.name());
        json.writeNumberField("status", check.status().code());
        json.writeNumberField("timestamp", check.timestamp());
        optional("host_name", check.host(), json);
        optional("message", check.message(), json);
        tags(check.tags().with(globalTags), json);
    }

    /**
     * The sketch intake's field names (a {@code Sketch} with its one {@code Dogsketch} flattened in), plus our own
     * {@code p50} and {@code p99} estimated from the bins.
     */
    private static void sketch(Sketch sketch, TagSet globalTags, JsonGenerator json) throws IOException {
        json.writeStringField("signal", "sketch");
        json.writeStringField("metric", sketch.name());
        optional("host", sketch.host(), json);
        tags(sketch.tags().with(globalTags), json);
        json.writeNumberField("ts", sketch.timestamp());
        json.writeNumberField("cnt", sketch.count());
        // As for metrics, NaN and infinities come out as strings ("NaN"): still valid JSON, and visibly wrong.
        json.writeNumberField("min", sketch.min());
        json.writeNumberField("max", sketch.max());
        json.writeNumberField("avg", sketch.avg());
        json.writeNumberField("sum", sketch.sum());
        json.writeNumberField("p50", sketch.quantile(0.5));
        json.writeNumberField("p99", sketch.quantile(0.99));
        int[] keys = sketch.keys();
        int[] counts = sketch.counts();
        json.writeFieldName("k");
        json.writeArray(keys, 0, keys.length);
        json.writeFieldName("n");
        json.writeArray(counts, 0, counts.length);
    }

    private static void optional(String field, String value, JsonGenerator json) throws IOException {
        if (!value.isEmpty()) {
            json.writeStringField(field, value);
        }
    }

    private static void tags(TagSet tags, JsonGenerator json) throws IOException {
        json.writeArrayFieldStart("tags");
        for (String tag : tags) {
            json.writeString(tag);
        }
        json.writeEndArray();
    }
}
