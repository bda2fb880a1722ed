package io.pilotfish.processing.logs;

import io.pilotfish.processing.regex.GoRegex;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One rule as the Agent reads {@code log_processing_rules} (a source's) or {@code processing_rules} /
 * {@code DD_LOGS_CONFIG_PROCESSING_RULES} (global): its type, name, Go regular expression and, for
 * {@code mask_sequences}, the replacement (which may refer to the pattern's groups: {@code $1}, {@code ${name}}).
 *
 * @param replacePlaceholder the replacement of {@code mask_sequences}; {@code null} for the other types
 */
public record ProcessingRule(Type type, String name, String pattern, String replacePlaceholder) {

    /** The rule types the Agent's regular-expression rules have, as written in its configuration. */
    public enum Type {
        EXCLUDE_AT_MATCH, INCLUDE_AT_MATCH, MASK_SEQUENCES, MULTI_LINE;

        /** The name in the Agent's configuration, e.g. {@code exclude_at_match}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Set<String> FIELDS = Set.of("type", "name", "pattern", "replace_placeholder");
    private static final int MAX_JSON_DEPTH = 4;

    public ProcessingRule {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pattern, "pattern");
    }

    /**
     * The Agent's JSON list form:
     * {@code [{"type":"mask_sequences","name":"cards","replace_placeholder":"[masked]","pattern":"..."}]}. Every rule
     * needs a name (as the Agent requires), a known type and a pattern Go would compile; {@code mask_sequences}
     * needs {@code replace_placeholder} (empty is allowed: the match is removed). Blank text is an empty list.
     *
     * @param key where the JSON came from (a variable or key), named by every error
     * @throws IllegalArgumentException naming {@code key}, the rule's index and name and what is wrong; the JSON and
     *                                  the patterns are never echoed (a pattern may hold a secret it masks)
     */
    public static List<ProcessingRule> parseJson(String json, String key) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        Object document;
        try {
            document = Json.parse(json, MAX_JSON_DEPTH);
        } catch (Json.Malformed e) {
            throw new IllegalArgumentException(key + ": not valid JSON (" + e.getMessage()
                    + "); expected a list of rules such as [{\"type\":\"exclude_at_match\",\"name\":\"...\","
                    + "\"pattern\":\"...\"}]");
        }
        if (!(document instanceof List<?> list)) {
            throw new IllegalArgumentException(key + ": expected a JSON list of rules, [{...}, ...]");
        }
        List<ProcessingRule> rules = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            rules.add(rule(list.get(i), i, key));
        }
        return List.copyOf(rules);
    }

    private static ProcessingRule rule(Object element, int index, String key) {
        String where = key + ": rule " + index;
        if (!(element instanceof Map<?, ?> fields)) {
            throw new IllegalArgumentException(where + " is not a JSON object");
        }
        Object name = fields.get("name");
        if (!(name instanceof String n) || n.isEmpty()) {
            throw new IllegalArgumentException(where + " has no name (every rule needs one, as the Agent requires)");
        }
        where = where + " ('" + printable(n) + "')";
        for (Object field : fields.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + " has an unknown field '" + printable(field)
                        + "' (known: type, name, pattern, replace_placeholder)");
            }
        }
        Object typeValue = fields.get("type");
        if (!(typeValue instanceof String typeName)) {
            throw new IllegalArgumentException(where + " has no type (exclude_at_match, include_at_match,"
                    + " mask_sequences or multi_line)");
        }
        Type type = null;
        for (Type t : Type.values()) {
            if (t.configName().equals(typeName)) {
                type = t;
            }
        }
        if (type == null) {
            throw new IllegalArgumentException(where + " has an unknown type '" + printable(typeName)
                    + "' (exclude_at_match, include_at_match, mask_sequences or multi_line)");
        }
        Object patternValue = fields.get("pattern");
        if (!(patternValue instanceof String pattern) || pattern.isEmpty()) {
            throw new IllegalArgumentException(where + " has no pattern");
        }
        try {
            GoRegex.compile(type == Type.MULTI_LINE ? "^" + pattern : pattern);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " has a pattern that Go would not compile: "
                    + e.getMessage());
        }
        Object placeholder = fields.get("replace_placeholder");
        if (type == Type.MASK_SEQUENCES && !(placeholder instanceof String)) {
            throw new IllegalArgumentException(where + " (mask_sequences) has no replace_placeholder string");
        }
        if (placeholder != null && !(placeholder instanceof String)) {
            throw new IllegalArgumentException(where + " has a replace_placeholder that is not a string");
        }
        return new ProcessingRule(type, n, pattern, type == Type.MASK_SEQUENCES ? (String) placeholder : null);
    }

    /** A name or field as an error may show it: short, one line. */
    private static String printable(Object value) {
        String s = String.valueOf(value).replaceAll("\\p{Cntrl}", "?");
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
