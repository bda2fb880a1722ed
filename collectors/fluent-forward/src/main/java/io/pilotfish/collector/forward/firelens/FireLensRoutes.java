package io.pilotfish.collector.forward.firelens;

import io.pilotfish.spi.signal.TagSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What the FireLens configuration asks of the log router, per container: ECS turns each app container's
 * {@code awsfirelens} {@code logConfiguration.options} into one {@code [OUTPUT]} whose {@code Match} is
 * {@code <container>-firelens*}. Pilotfish honours the {@code datadog} outputs (their {@code dd_service},
 * {@code dd_source}, {@code dd_tags}, {@code dd_message_key}, {@code provider}) and reports the others, which it cannot
 * send anywhere but Datadog. Like Fluent Bit, a record no output matches is not sent.
 */
public final class FireLensRoutes {

    /** The health check ECS adds for Fluent Bit: its records go nowhere. */
    static final String HEALTH_CHECK_TAG = "firelens-healthcheck";

    private final List<DatadogRoute> routes;
    private final List<Filter> filters;
    private final List<String> ignored;

    private FireLensRoutes(List<DatadogRoute> routes, List<Filter> filters, List<String> ignored) {
        this.routes = List.copyOf(routes);
        this.filters = List.copyOf(filters);
        this.ignored = List.copyOf(ignored);
    }

    /** No FireLens configuration: every record goes to Datadog with nothing added (a plain forward receiver). */
    public static FireLensRoutes none() {
        return new FireLensRoutes(List.of(DatadogRoute.everything()), List.of(), List.of());
    }

    /**
     * The filters ECS generates, in file order, as Fluent Bit applies them before the outputs: {@code record_modifier}
     * adds the task's fields ({@code ecs_cluster}, {@code ecs_task_arn}, {@code ecs_task_definition}: the log driver
     * sends only {@code log}, {@code source}, {@code container_id}, {@code container_name}); {@code grep} keeps or drops
     * records by a field's match (the {@code include-pattern} and {@code exclude-pattern} log options).
     */
    public sealed interface Filter permits RecordModifier, Grep {
        String match();

        /** The record after the filter, or null when the filter drops it. */
        Map<String, Object> apply(Map<String, Object> fields);
    }

    /** {@code record_modifier}: {@code Record <key> <value>} entries added to every record it matches. */
    public record RecordModifier(String match, Map<String, String> records) implements Filter {
        @Override
        public Map<String, Object> apply(Map<String, Object> fields) {
            Map<String, Object> out = new LinkedHashMap<>(fields);
            records.forEach(out::putIfAbsent);
            return out;
        }
    }

    /**
     * {@code grep}: every {@code Regex <key> <pattern>} must match the key's text, no {@code Exclude <key> <pattern>}
     * may; a record without the key fails a {@code Regex} and passes an {@code Exclude}, as in Fluent Bit.
     */
    public record Grep(String match, List<Map.Entry<String, Pattern>> regex, List<Map.Entry<String, Pattern>> exclude)
            implements Filter {
        @Override
        public Map<String, Object> apply(Map<String, Object> fields) {
            for (Map.Entry<String, Pattern> rule : regex) {
                if (!(fields.get(rule.getKey()) instanceof String text) || !rule.getValue().matcher(text).find()) {
                    return null;
                }
            }
            for (Map.Entry<String, Pattern> rule : exclude) {
                if (fields.get(rule.getKey()) instanceof String text && rule.getValue().matcher(text).find()) {
                    return null;
                }
            }
            return fields;
        }
    }

    /** The record after the filters whose Match takes {@code fluentTag}; null when one of them drops it. */
    public Map<String, Object> filter(String fluentTag, Map<String, Object> fields) {
        Map<String, Object> current = fields;
        for (Filter f : filters) {
            if (glob(f.match(), 0, fluentTag, 0)) {
                current = f.apply(current);
                if (current == null) {
                    return null;
                }
            }
        }
        return current;
    }

    public List<Filter> filters() {
        return filters;
    }

    public static FireLensRoutes of(FluentBitConfig config) throws FluentBitConfigException {
        List<DatadogRoute> routes = new ArrayList<>();
        List<Filter> filters = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (FluentBitConfig.Section filter : config.sections("FILTER")) {
            String name = filter.get("name").orElse("").toLowerCase(Locale.ROOT);
            String match = filter.get("match").orElse("");
            switch (name) {
                case "record_modifier" -> {
                    Map<String, String> records = new LinkedHashMap<>();
                    for (String record : filter.values("record")) {
                        String[] kv = record.split("\\s+", 2);
                        if (kv.length == 2) {
                            records.put(kv[0], kv[1]);
                        }
                    }
                    filters.add(new RecordModifier(match, records));
                }
                case "grep" -> filters.add(new Grep(match, rules(filter, "regex"), rules(filter, "exclude")));
                // AWS's recipe to lift JSON lines: the processing lifts every JSON line, as the Datadog Agent does.
                case "parser" -> {
                    boolean jsonOfLog = filter.get("key_name").map(key -> key.trim().equals("log")).orElse(false)
                            && filter.values("parser").stream().anyMatch(p -> p.trim().equalsIgnoreCase("json"));
                    if (!jsonOfLog) {
                        ignored.add("[FILTER] parser for '" + match + "' at " + filter.where() + " (not applied)");
                    }
                }
                // AWS's recipe to join the pieces of lines the driver cut: the forward receiver always does it.
                case "multiline" -> {
                    boolean partialMessages = filter.get("mode")
                            .map(mode -> mode.trim().equalsIgnoreCase("partial_message")).orElse(false);
                    if (!partialMessages) {
                        ignored.add("[FILTER] multiline for '" + match + "' at " + filter.where() + " (not applied)");
                    }
                }
                default -> ignored.add("[FILTER] " + (name.isEmpty() ? "(no Name)" : name) + " for '" + match
                        + "' at " + filter.where() + " (not applied)");
            }
        }
        for (FluentBitConfig.Section output : config.sections("OUTPUT")) {
            String name = output.get("name").orElse("").toLowerCase(Locale.ROOT);
            String match = output.get("match").orElse("");
            if (name.equals("null")) {
                continue; // ECS's own sink for the health check's records
            }
            if (!name.equals("datadog")) {
                ignored.add("[OUTPUT] " + (name.isEmpty() ? "(no Name)" : name) + " for '" + match + "' at "
                        + output.where());
                continue;
            }
            if (output.get("match_regex").isPresent()) {
                throw new FluentBitConfigException(output.where() + ": Match_Regex is not supported; use Match with "
                        + "* wildcards, as ECS generates it");
            }
            if (match.isEmpty()) {
                throw new FluentBitConfigException(output.where() + ": a datadog [OUTPUT] without Match sends nothing "
                        + "in Fluent Bit; add Match (ECS writes <container>-firelens*)");
            }
            routes.add(new DatadogRoute(match,
                    output.get("dd_service").orElse(""),
                    output.get("dd_source").orElse(""),
                    tags(output.get("dd_tags").orElse("")),
                    output.get("dd_message_key").orElse(""),
                    output.get("provider").map(p -> p.equalsIgnoreCase("ecs")).orElse(false),
                    output.get("dd_hostname").orElse("")));
        }
        return new FireLensRoutes(routes, filters, ignored);
    }

    private static List<Map.Entry<String, Pattern>> rules(FluentBitConfig.Section filter, String key)
            throws FluentBitConfigException {
        List<Map.Entry<String, Pattern>> rules = new ArrayList<>();
        for (String rule : filter.values(key)) {
            String[] kv = rule.split("\\s+", 2);
            if (kv.length != 2) {
                throw new FluentBitConfigException(filter.where() + ": a grep " + key + " needs a key and a pattern, "
                        + "e.g. '" + key + " log [Ee]rror'");
            }
            try {
                rules.add(Map.entry(kv[0], Pattern.compile(kv[1])));
            } catch (PatternSyntaxException e) {
                throw new FluentBitConfigException(filter.where() + ": the grep " + key + " pattern for '" + kv[0]
                        + "' does not compile: " + e.getDescription());
            }
        }
        return rules;
    }

    /** The first datadog output whose Match covers {@code fluentTag}; empty when none does. */
    public Optional<DatadogRoute> route(String fluentTag) {
        if (fluentTag.equals(HEALTH_CHECK_TAG)) {
            return Optional.empty();
        }
        for (DatadogRoute route : routes) {
            if (route.matches(fluentTag)) {
                return Optional.of(route);
            }
        }
        return Optional.empty();
    }

    public List<DatadogRoute> routes() {
        return routes;
    }

    /** Outputs Pilotfish does not send to (cloudwatch_logs, firehose, ...), one line each for the start-up log. */
    public List<String> ignoredOutputs() {
        return ignored;
    }

    @Override
    public boolean equals(Object o) {
        // Patterns have no equality of their own: filters compare by what they were written as.
        return o instanceof FireLensRoutes other && routes.equals(other.routes) && ignored.equals(other.ignored)
                && filters.toString().equals(other.filters.toString());
    }

    @Override
    public int hashCode() {
        return routes.hashCode() * 31 + ignored.hashCode();
    }

    @Override
    public String toString() {
        return routes.size() + " datadog outputs " + routes + (ignored.isEmpty() ? "" : ", ignored " + ignored);
    }

    /** {@code dd_tags} as Fluent Bit reads it: comma-separated, spaces around each tag dropped. */
    static TagSet tags(String ddTags) {
        List<String> tags = new ArrayList<>();
        for (String tag : ddTags.split(",")) {
            String t = tag.strip();
            if (!t.isEmpty()) {
                tags.add(t);
            }
        }
        return TagSet.of(tags);
    }

    /**
     * One datadog output.
     *
     * @param match       Fluent Bit's Match: {@code *} matches any run of characters
     * @param messageKey  the record field that holds the message ({@code dd_message_key}); "" for Fluent Bit's
     *                    default, the whole record as JSON unless the record has {@code log} or {@code message}
     * @param ecsProvider {@code provider ecs}: the ECS fields become Datadog tags ({@link EcsProviderTags})
     * @param hostname    {@code dd_hostname}; "" for the agent's
     *                    (the output's {@code apikey}, {@code Host}, {@code TLS} and {@code compress} are not read:
     *                    Pilotfish sends with its own key to its own intake)
     */
    public record DatadogRoute(String match, String service, String source, TagSet tags, String messageKey,
                               boolean ecsProvider, String hostname) {

        private static final DatadogRoute EVERYTHING = new DatadogRoute("*", "", "", TagSet.EMPTY, "", false, "");

        /** The route of a record no output names: every record, nothing set. One instance. */
        public static DatadogRoute everything() {
            return EVERYTHING;
        }

        public boolean matches(String fluentTag) {
            return glob(match, 0, fluentTag, 0);
        }

        @Override
        public String toString() {
            return "datadog output for '" + match + "' (service '" + service + "', source '" + source + "', tags "
                    + tags + (ecsProvider ? ", provider ecs" : "") + ")";
        }
    }

    /** Fluent Bit's Match: one level of backtracking per star, so no pattern costs more than O(n·m). */
    static boolean glob(String pattern, int p, String text, int t) {
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
