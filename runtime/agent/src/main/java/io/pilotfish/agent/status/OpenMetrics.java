package io.pilotfish.agent.status;

import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.signal.TagSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The agent's own figures in the OpenMetrics text format ({@code GET /metrics} on the status port), for Prometheus or
 * the Datadog OpenMetrics check. Names become {@code pilotfish_<name with dots as underscores>}; counters are
 * {@code counter} families whose samples end in {@code _total}; tags {@code key:value} become labels
 * {@code key="value"} (a tag without a value becomes {@code tag="<tag>"}). Nothing here is shipped to Datadog.
 */
public final class OpenMetrics {

    public static final String CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private OpenMetrics() {
    }

    public static String render(List<TelemetryRegistry.Reading> readings) {
        Map<String, List<TelemetryRegistry.Reading>> families = new TreeMap<>();
        Map<String, Boolean> counterFamily = new TreeMap<>();
        for (TelemetryRegistry.Reading reading : readings) {
            String family = familyName(reading.name());
            // A name used both as counter and gauge would make an invalid family; the first kind seen keeps it.
            Boolean counter = counterFamily.putIfAbsent(family, reading.counter());
            if (counter != null && counter != reading.counter()) {
                family = family + (reading.counter() ? "_count" : "_value");
                counterFamily.putIfAbsent(family, reading.counter());
            }
            families.computeIfAbsent(family, f -> new ArrayList<>()).add(reading);
        }
        StringBuilder out = new StringBuilder(4096);
        families.forEach((family, members) -> {
            boolean counter = counterFamily.get(family);
            out.append("# TYPE ").append(family).append(counter ? " counter" : " gauge").append('\n');
            for (TelemetryRegistry.Reading reading : members) {
                out.append(family).append(counter ? "_total" : "");
                labels(reading.tags(), out);
                out.append(' ').append(number(reading.value())).append('\n');
            }
        });
        out.append("# EOF\n");
        return out.toString();
    }

    static String familyName(String name) {
        StringBuilder out = new StringBuilder("pilotfish_");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            out.append(Character.isLetterOrDigit(c) && c < 128 ? c : '_');
        }
        String family = out.toString();
        // "_total" belongs to the sample, never to the family name.
        return family.endsWith("_total") ? family.substring(0, family.length() - "_total".length()) : family;
    }

    private static void labels(TagSet tags, StringBuilder out) {
        Map<String, String> labels = new TreeMap<>();
        for (String tag : tags) {
            int colon = tag.indexOf(':');
            String key = colon < 0 ? "tag" : tag.substring(0, colon);
            String value = colon < 0 ? tag : tag.substring(colon + 1);
            labels.merge(labelName(key), value, (a, b) -> a + "," + b);
        }
        if (labels.isEmpty()) {
            return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            out.append(label.getKey()).append("=\"");
            escape(label.getValue(), out);
            out.append('"');
        }
        out.append('}');
    }

    private static String labelName(String key) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            out.append(Character.isLetterOrDigit(c) && c < 128 ? c : '_');
        }
        if (out.isEmpty() || Character.isDigit(out.charAt(0))) {
            out.insert(0, '_');
        }
        return out.toString();
    }

    private static void escape(String value, StringBuilder out) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    private static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%s", value);
    }
}
