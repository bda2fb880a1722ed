package io.pilotfish.sink.console;

import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * One readable line per signal, e.g.
 * {@code METRIC ecs.fargate.cpu.percent gauge 0.87 @1700000000 [cluster_name:x,env:prod]}. Control characters are
 * escaped so one signal is always one line.
 */
final class TextFormatter implements ConsoleSink.SignalFormatter {

    @Override
    public void append(Signal signal, TagSet globalTags, StringBuilder line) {
        switch (signal) {
            case Metric metric -> metric(metric, globalTags, line);
            case Event event -> event(event, globalTags, line);
            case ServiceCheck check -> serviceCheck(check, globalTags, line);
            case Sketch sketch -> sketch(sketch, globalTags, line);
            default -> line.append(signal.kind()).append(' ').append(clean(String.valueOf(signal)));
        }
    }

    private static void metric(Metric metric, TagSet globalTags, StringBuilder line) {
        line.append("METRIC ").append(clean(metric.name()))
                .append(' ').append(metric.type().name().toLowerCase(Locale.ROOT))
                .append(' ').append(number(metric.value()))
                .append(" @").append(metric.timestamp());
        tags(metric.tags().with(globalTags), line);
        if (metric.type() != MetricType.GAUGE && metric.intervalSeconds() > 0) {
            line.append(" interval=").append(metric.intervalSeconds()).append('s');
        }
        if (!metric.host().isEmpty()) {
            line.append(" host=").append(clean(metric.host()));
        }
        if (!metric.unit().isEmpty()) {
            line.append(" unit=").append(clean(metric.unit()));
        }
    }

    private static void event(Event event, TagSet globalTags, StringBuilder line) {
        line.append("EVENT ").append(event.alertType().name().toLowerCase(Locale.ROOT))
                .append(' ').append(quote(event.title()))
                .append(" @").append(event.timestamp());
        tags(event.tags().with(globalTags), line);
        line.append(" priority=").append(event.priority().name().toLowerCase(Locale.ROOT));
        if (!event.sourceTypeName().isEmpty()) {
            line.append(" source=").append(clean(event.sourceTypeName()));
        }
        if (!event.aggregationKey().isEmpty()) {
            line.append(" aggregation_key=").append(clean(event.aggregationKey()));
        }
        if (!event.host().isEmpty()) {
            line.append(" host=").append(clean(event.host()));
        }
        if (!event.text().isEmpty()) {
            line.append(" text=").append(quote(event.text()));
        }
    }

    private static void serviceCheck(ServiceCheck check, TagSet globalTags, StringBuilder line) {
        line.append("SERVICE_CHECK ").append(clean(check.name()))
                .append(' ').append(check.status().name())
                .append(" @").append(check.timestamp());
        tags(check.tags().with(globalTags), line);
        if (!check.host().isEmpty()) {
            line.append(" host=").append(clean(check.host()));
        }
        if (!check.message().isEmpty()) {
            line.append(" message=").append(quote(check.message()));
        }
    }

    /** A distribution's summary: exact count, min and max; mean and quantiles to six significant digits. */
    private static void sketch(Sketch sketch, TagSet globalTags, StringBuilder line) {
        line.append("SKETCH ").append(clean(sketch.name()))
                .append(" @").append(sketch.timestamp());
        tags(sketch.tags().with(globalTags), line);
        line.append(" count=").append(sketch.count())
                .append(" min=").append(number(sketch.min()))
                .append(" max=").append(number(sketch.max()))
                .append(" avg=").append(estimate(sketch.avg()))
                .append(" p50=").append(estimate(sketch.quantile(0.5)))
                .append(" p99=").append(estimate(sketch.quantile(0.99)));
        if (!sketch.host().isEmpty()) {
            line.append(" host=").append(clean(sketch.host()));
        }
    }

    private static void tags(TagSet tags, StringBuilder line) {
        line.append(" [");
        for (int i = 0; i < tags.size(); i++) {
            if (i > 0) {
                line.append(',');
            }
            line.append(clean(tags.get(i)));
        }
        line.append(']');
    }

    /** Whole numbers without a trailing {@code .0}; everything else as Java prints doubles (NaN, Infinity too). */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    /**
     * A derived value (a mean, a quantile estimate) to six significant digits: the sketch's bins are only 1/128
     * accurate, so more digits would be noise.
     */
    static String estimate(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        return number(new BigDecimal(value).round(new MathContext(6)).doubleValue());
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else {
                escape(c, quoted);
            }
        }
        return quoted.append('"').toString();
    }

    private static String clean(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                StringBuilder cleaned = new StringBuilder(text.length() + 8);
                for (int j = 0; j < text.length(); j++) {
                    escape(text.charAt(j), cleaned);
                }
                return cleaned.toString();
            }
        }
        return text;
    }

    private static void escape(char c, StringBuilder out) {
        switch (c) {
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            default -> {
                if (Character.isISOControl(c)) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
    }
}
