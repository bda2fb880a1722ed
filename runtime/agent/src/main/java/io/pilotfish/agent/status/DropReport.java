package io.pilotfish.agent.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every drop the agent counted, for status: each drop figure of every part ({@link TelemetryRegistry#isDrop}, so a
 * new plugin's drops show without a change here) with its reason and count since start; and, while a part's drops
 * still grow, a problem naming the part and the reasons.
 */
final class DropReport {

    /** A drop whose count grew this recently is happening now: a problem until it stops for this long. */
    static final Duration NOW = Duration.ofSeconds(60);

    private DropReport() {
    }

    /** One drop as status shows it: the part it belongs to ({@code collector dogstatsd}, or {@code agent}). */
    record Line(String part, String figure, String reason, List<String> otherTags, long count, Long bytes,
                boolean growing) {

        /** {@code figure reason count}, with the bytes and other tags when there are any. */
        String describe() {
            return figure + (reason.isEmpty() ? "" : " " + reason) + " " + count
                    + (bytes == null ? "" : " (" + bytes + " bytes)")
                    + (otherTags.isEmpty() ? "" : " [" + String.join(", ", otherTags) + "]");
        }
    }

    /** Adds {@code drops} to the report, and to {@code problems} a line per part whose drops grow now. */
    static void add(ObjectNode root, TelemetryRegistry telemetry, List<String> problems) {
        List<Line> lines = lines(telemetry.drops());
        ArrayNode node = root.putArray("drops");
        Map<String, List<Line>> growing = new LinkedHashMap<>();
        for (Line line : lines) {
            ObjectNode drop = node.addObject();
            drop.put("part", line.part());
            drop.put("figure", line.figure());
            drop.put("reason", line.reason());
            ArrayNode tags = drop.putArray("tags");
            line.otherTags().forEach(tags::add);
            drop.put("count", line.count());
            if (line.bytes() == null) {
                drop.putNull("bytes");
            } else {
                drop.put("bytes", line.bytes());
            }
            drop.put("growing", line.growing());
            if (line.growing()) {
                growing.computeIfAbsent(line.part(), part -> new ArrayList<>()).add(line);
            }
        }
        growing.forEach((part, now) -> problems.add(part + " is dropping data (within the last " + NOW.toSeconds()
                + " s): " + String.join("; ", now.stream().map(line -> line.describe() + " since start").toList())
                + ". The reasons are explained in the part's README; its log says what to change"));
    }

    static List<Line> lines(List<TelemetryRegistry.Drop> drops) {
        List<Line> out = new ArrayList<>();
        for (TelemetryRegistry.Drop drop : drops) {
            String part = part(drop.tags());
            List<String> other = new ArrayList<>();
            for (String tag : drop.tags()) {
                if (!tag.startsWith("reason:") && !isScope(tag, drop.tags())) {
                    other.add(tag);
                }
            }
            out.add(new Line(part, drop.name(), drop.reason(), other, drop.count(),
                    drop.bytes().isPresent() ? drop.bytes().getAsLong() : null, drop.growingWithin(NOW)));
        }
        out.sort(java.util.Comparator.comparing(Line::part).thenComparing(Line::figure).thenComparing(Line::reason));
        return out;
    }

    /**
     * The part a figure belongs to: every plugin's figures carry {@code role:name} and {@code role_type:type}
     * (collector, sink); the agent's own (the pipeline's) carry neither.
     */
    static String part(TagSet tags) {
        for (String tag : tags) {
            int colon = tag.indexOf(':');
            if (colon > 0 && isScope(tag, tags)) {
                return tag.substring(0, colon) + " " + tag.substring(colon + 1);
            }
        }
        return "agent";
    }

    /** Whether {@code tag} is one of the two scope tags of a plugin ({@code role:name} or {@code role_type:type}). */
    private static boolean isScope(String tag, TagSet tags) {
        int colon = tag.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String key = tag.substring(0, colon);
        if (key.endsWith("_type")) {
            String role = key.substring(0, key.length() - "_type".length());
            return tags.stream().anyMatch(other -> other.startsWith(role + ":"));
        }
        return tags.stream().anyMatch(other -> other.startsWith(key + "_type:"));
    }
}
