package io.pilotfish.collector.apm.filter;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.pilotfish.processing.regex.GoRegex;
import io.pilotfish.spi.SafeText;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanEvent.AttributeType;
import io.pilotfish.spi.trace.SpanEvent.AttributeValue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code DD_APM_REPLACE_TAGS}: rules that rewrite tag values with a regular expression, e.g. to scrub tokens from
 * URLs, applied in order to every span of a chunk as the Agent's {@code Replacer} does
 * ({@code pkg/trace/filters/replacer.go}). A rule names what it rewrites:
 * <ul>
 *   <li>a tag key: that string tag, the numeric tag of that key and that attribute of every span event;</li>
 *   <li>{@code resource.name}: the resource;</li>
 *   <li>{@code *}: the resource and every tag and span-event attribute whose key does not start with {@code _}.</li>
 * </ul>
 * Numbers are rewritten as text (Go's formatting) and read back: a numeric tag that no longer reads as a number
 * becomes a string tag; a span-event attribute takes the type its new text reads as (integer, float, boolean or
 * string), so a {@code *} rule turns a whole float such as {@code 42.0} into the integer {@code 42}, as in the
 * Agent. {@code DD_APM_OBFUSCATION_REMOVE_STACK_TRACES=true} adds, after the user's rules, one that replaces
 * {@code error.stack} with {@code ?} (the Agent's {@code comp/trace/config/setup.go}). Immutable and thread-safe.
 */
public final class TagReplacer {

    public static final String VARIABLE = "DD_APM_REPLACE_TAGS";
    public static final String REMOVE_STACK_TRACES = "DD_APM_OBFUSCATION_REMOVE_STACK_TRACES";
    /** The rule name that targets every tag and the resource. */
    public static final String ALL_TAGS = "*";
    /** The rule name that targets the resource. */
    public static final String RESOURCE = "resource.name";
    /** The rule {@value #REMOVE_STACK_TRACES} adds. */
    public static final ReplaceRule STACK_TRACE_RULE = new ReplaceRule("error.stack", "(?s).*", "?");

    private static final String HIDDEN_PREFIX = "_"; // the Agent's internal tags, which "*" leaves alone
    private static final TagReplacer EMPTY = new TagReplacer(List.of(), List.of());

    private final List<CompiledRule> rules;
    private final List<String> warnings;
    private final LongAdder abandonedMatches = new LongAdder();
    /** What a value becomes when a rule's match on it is abandoned (as the Agent's stack trace scrubbing writes). */
    static final String ABANDONED_VALUE = "?";

    private TagReplacer(List<CompiledRule> rules, List<String> warnings) {
        this.rules = rules;
        this.warnings = warnings;
    }

    /**
     * One rule as configured.
     *
     * @param name    a tag key, {@code resource.name} or {@code *}
     * @param pattern a Go regular expression
     * @param repl    the replacement; {@code $1}, {@code ${1}} and {@code ${name}} insert groups, {@code $$} a
     *                dollar; empty to delete what matched
     */
    public record ReplaceRule(String name, String pattern, String repl) {
        public ReplaceRule {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(repl, "repl");
        }
    }

    private record CompiledRule(ReplaceRule rule, GoRegex regex, GoRegex.Replacement replacement) {
        String name() {
            return rule.name();
        }
    }

    /** No rule. */
    public static TagReplacer empty() {
        return EMPTY;
    }

    /**
     * The rules of {@code DD_APM_REPLACE_TAGS} (a JSON array of {@code {"name", "pattern", "repl"}} objects), then
     * the stack-trace rule if {@code DD_APM_OBFUSCATION_REMOVE_STACK_TRACES} is true.
     *
     * @throws FilterConfigException for JSON that is not such an array, a rule without a name or pattern, an
     *                               unknown field or an invalid regular expression (the Agent would log the first
     *                               two and drop all the rules, and start without them after the others)
     */
    public static TagReplacer fromEnvironment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        List<ReplaceRule> rules = new ArrayList<>();
        FilterEnv.Setting setting = FilterEnv.first(env, VARIABLE);
        if (setting != null) {
            rules.addAll(parseRules(setting.value()));
        }
        if (FilterEnv.bool(env, REMOVE_STACK_TRACES, false)) {
            rules.add(STACK_TRACE_RULE);
        }
        return compile(VARIABLE, rules);
    }

    /**
     * Rules from another source (e.g. YAML), checked as those of the variable are.
     *
     * @param variable the setting's name, for the error messages
     */
    static TagReplacer compile(String variable, List<ReplaceRule> rules) {
        if (rules.isEmpty()) {
            return EMPTY;
        }
        List<CompiledRule> compiled = new ArrayList<>(rules.size());
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            ReplaceRule rule = rules.get(i);
            if (rule.name().isEmpty()) {
                throw new FilterConfigException(variable, "rule " + (i + 1) + " has no \"name\"; give the tag to "
                        + "change, resource.name for the resource, or * for every tag and the resource");
            }
            String which = "rule " + (i + 1) + " (" + SafeText.quote(rule.name(), 60) + ")";
            if (rule.pattern().isEmpty()) {
                throw new FilterConfigException(variable, which + " has no \"pattern\"; give the regular "
                        + "expression to replace, e.g. \"(?s).*\" for the whole value");
            }
            GoRegex regex;
            try {
                regex = GoRegex.compile(rule.pattern());
            } catch (IllegalArgumentException e) {
                throw new FilterConfigException(variable, "the pattern " + SafeText.quote(rule.pattern(), 120)
                        + " of " + which + " is not a valid regular expression (" + e.getMessage() + "); write it "
                        + "in Go's syntax");
            }
            if (rule.name().equals("env")) {
                warnings.add(variable + ": " + which + " rewrites the env tag, which the Agent warns against "
                        + "(stats and sampling keep the old env); set DD_ENV on the tracer instead");
            }
            compiled.add(new CompiledRule(rule, regex, regex.replacement(rule.repl())));
        }
        return new TagReplacer(List.copyOf(compiled), List.copyOf(warnings));
    }

    /** {@code [{"name": ..., "pattern": ..., "repl": ...}, ...]}; field names in any case, as the Agent's decoder. */
    private static List<ReplaceRule> parseRules(String raw) {
        List<ReplaceRule> rules = new ArrayList<>();
        try (JsonParser parser = FilterEnv.JSON.createParser(raw)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw notRules(raw, "it is not a JSON array");
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.START_OBJECT) {
                int number = rules.size() + 1;
                String name = "";
                String pattern = "";
                String repl = "";
                while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    String field = parser.getText();
                    if (parser.nextToken() != JsonToken.VALUE_STRING) {
                        throw new FilterConfigException(VARIABLE, "the field " + SafeText.quote(field, 60)
                                + " of rule " + number + " is not a string; write every value in double quotes");
                    }
                    switch (field.toLowerCase(Locale.ROOT)) {
                        case "name" -> name = parser.getText();
                        case "pattern" -> pattern = parser.getText();
                        case "repl" -> repl = parser.getText();
                        default -> throw new FilterConfigException(VARIABLE, "rule " + number + " has an unknown "
                                + "field " + SafeText.quote(field, 60) + "; a rule has \"name\", \"pattern\" and "
                                + "\"repl\" (the Agent would ignore it, and a misspelt \"repl\" deletes matches)");
                    }
                }
                if (token != JsonToken.END_OBJECT) {
                    throw notRules(raw, "a rule is not a JSON object of strings");
                }
                rules.add(new ReplaceRule(name, pattern, repl));
            }
            if (token != JsonToken.END_ARRAY) {
                throw notRules(raw, "an element is not a JSON object");
            }
            if (parser.nextToken() != null) {
                throw notRules(raw, "there is text after the array");
            }
        } catch (IOException e) {
            throw notRules(raw, "it is not valid JSON");
        }
        return rules;
    }

    private static FilterConfigException notRules(String raw, String problem) {
        return new FilterConfigException(VARIABLE, "cannot read " + SafeText.quote(raw, 120) + ": " + problem
                + "; write [{\"name\": \"http.url\", \"pattern\": \"token=[^&]*\", \"repl\": \"token=?\"}]");
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** The rules in the order they apply. */
    public List<ReplaceRule> rules() {
        return rules.stream().map(CompiledRule::rule).toList();
    }

    /** The {@code config.obfuscation.tag_replace_rules} of {@code /info}: name, pattern and repl of each rule. */
    public List<Map<String, String>> describe() {
        List<Map<String, String>> out = new ArrayList<>(rules.size());
        for (CompiledRule rule : rules) {
            Map<String, String> one = new LinkedHashMap<>();
            one.put("name", rule.rule().name());
            one.put("pattern", rule.rule().pattern());
            one.put("repl", rule.rule().repl());
            out.add(Collections.unmodifiableMap(one));
        }
        return List.copyOf(out);
    }

    /**
     * Every span with the rules applied. The list given is returned when nothing changed; else a new list in which
     * the unchanged spans are the same instances.
     */
    public List<Span> replace(List<Span> spans) {
        if (rules.isEmpty()) {
            return spans;
        }
        List<Span> out = null;
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            Span replaced = replace(span);
            if (replaced != span) {
                if (out == null) {
                    out = new ArrayList<>(spans);
                }
                out.set(i, replaced);
            }
        }
        return out == null ? spans : Collections.unmodifiableList(out);
    }

    /** One span with the rules applied; the same instance when nothing changed. */
    public Span replace(Span span) {
        if (rules.isEmpty()) {
            return span;
        }
        SpanDraft draft = new SpanDraft(span);
        for (CompiledRule rule : rules) {
            switch (rule.name()) {
                case ALL_TAGS -> {
                    for (Map.Entry<String, String> tag : new ArrayList<>(draft.meta.entrySet())) {
                        if (!tag.getKey().startsWith(HIDDEN_PREFIX)) {
                            draft.putMeta(tag.getKey(), apply(rule, tag.getValue()));
                        }
                    }
                    for (String key : new ArrayList<>(draft.metrics.keySet())) {
                        if (!key.startsWith(HIDDEN_PREFIX)) {
                            replaceNumeric(rule, draft, key);
                        }
                    }
                    draft.resource = apply(rule, draft.resource);
                    replaceEventAttributes(rule, draft, null);
                }
                case RESOURCE -> draft.resource = apply(rule, draft.resource);
                default -> {
                    String key = rule.name();
                    if (draft.meta.containsKey(key)) {
                        draft.putMeta(key, apply(rule, draft.meta.get(key)));
                    }
                    if (draft.metrics.containsKey(key)) {
                        replaceNumeric(rule, draft, key);
                    }
                    replaceEventAttributes(rule, draft, key);
                }
            }
        }
        return draft.build();
    }

    /** Matches given up because a pattern needed too much work on a value (the value was left as it was). */
    public long abandonedMatches() {
        return abandonedMatches.sum();
    }

    /** Settings accepted but probably not meant, one sentence each, for a warning at start-up. */
    public List<String> warnings() {
        return warnings;
    }

    private String apply(CompiledRule rule, String text) {
        try {
            return rule.regex().replaceAll(text, rule.replacement());
        } catch (GoRegex.Abandoned e) {
            // A rule is most often there to scrub a secret: a value it could not finish reading is not let through.
            abandonedMatches.increment();
            return ABANDONED_VALUE;
        }
    }

    /** A numeric tag, rewritten as text; kept numeric if the result reads as a number, else moved to meta. */
    private void replaceNumeric(CompiledRule rule, SpanDraft draft, String key) {
        String replaced = apply(rule, GoNumbers.formatFloat(draft.metrics.get(key)));
        Double number = GoNumbers.parseFloat(replaced);
        if (number != null) {
            draft.putMetric(key, number);
        } else {
            draft.putMeta(key, replaced);
            draft.removeMetric(key);
        }
    }

    /** The attributes of every span event: those of {@code key}, or every visible one when key is null. */
    private void replaceEventAttributes(CompiledRule rule, SpanDraft draft, String key) {
        for (int i = 0; i < draft.events.size(); i++) {
            SpanEvent event = draft.events.get(i);
            Map<String, AttributeValue> changed = null;
            for (Map.Entry<String, AttributeValue> attribute : event.attributes().entrySet()) {
                String name = attribute.getKey();
                if (key == null ? name.startsWith(HIDDEN_PREFIX) : !name.equals(key)) {
                    continue;
                }
                AttributeValue value = replaceAttribute(rule, attribute.getValue());
                if (!value.equals(attribute.getValue())) {
                    if (changed == null) {
                        changed = new LinkedHashMap<>(event.attributes());
                    }
                    changed.put(name, value);
                }
            }
            if (changed != null) {
                draft.setEvent(i, new SpanEvent(event.timeUnixNano(), event.name(), changed));
            }
        }
    }

    private AttributeValue replaceAttribute(CompiledRule rule, AttributeValue value) {
        return switch (value.type()) {
            case STRING -> AttributeValue.of(apply(rule, value.stringValue()));
            case ARRAY -> {
                List<AttributeValue> elements = new ArrayList<>(value.arrayValue().size());
                for (AttributeValue element : value.arrayValue()) {
                    // the Agent has no nested arrays and writes "?" for a type it does not know
                    elements.add(element.type() == AttributeType.ARRAY ? AttributeValue.of("?")
                            : replaceAttribute(rule, element));
                }
                yield new AttributeValue(AttributeType.ARRAY, null, false, 0, 0, elements);
            }
            case INT -> typed(apply(rule, Long.toString(value.intValue())));
            case DOUBLE -> typed(apply(rule, GoNumbers.formatFloat(value.doubleValue())));
            case BOOL -> typed(apply(rule, Boolean.toString(value.boolValue())));
        };
    }

    /** The Agent's {@code attributeAnyValFromString}: an integer, else a float, else a boolean, else a string. */
    private static AttributeValue typed(String text) {
        Long integer = GoNumbers.parseInt(text);
        if (integer != null) {
            return AttributeValue.of(integer.longValue());
        }
        Double number = GoNumbers.parseFloat(text);
        if (number != null) {
            return AttributeValue.of(number.doubleValue());
        }
        if (text.equals("true") || text.equals("false")) {
            return AttributeValue.of(text.equals("true"));
        }
        return AttributeValue.of(text);
    }

    /** A span being rewritten: its maps and events copied on first change, so an untouched span is kept. */
    private static final class SpanDraft {
        private final Span span;
        String resource;
        Map<String, String> meta;
        Map<String, Double> metrics;
        List<SpanEvent> events;
        private boolean metaCopied;
        private boolean metricsCopied;
        private boolean eventsCopied;

        SpanDraft(Span span) {
            this.span = span;
            this.resource = span.resource();
            this.meta = span.meta();
            this.metrics = span.metrics();
            this.events = span.events();
        }

        void putMeta(String key, String value) {
            if (value.equals(meta.get(key))) {
                return;
            }
            if (!metaCopied) {
                meta = new LinkedHashMap<>(meta);
                metaCopied = true;
            }
            meta.put(key, value);
        }

        void putMetric(String key, double value) {
            Double old = metrics.get(key);
            if (old != null && Double.compare(old, value) == 0) {
                return;
            }
            copyMetrics();
            metrics.put(key, value);
        }

        void removeMetric(String key) {
            copyMetrics();
            metrics.remove(key);
        }

        private void copyMetrics() {
            if (!metricsCopied) {
                metrics = new LinkedHashMap<>(metrics);
                metricsCopied = true;
            }
        }

        void setEvent(int index, SpanEvent event) {
            if (!eventsCopied) {
                events = new ArrayList<>(events);
                eventsCopied = true;
            }
            events.set(index, event);
        }

        Span build() {
            if (!metaCopied && !metricsCopied && !eventsCopied && resource.equals(span.resource())) {
                return span;
            }
            return new Span(span.service(), span.name(), resource, span.traceId(), span.spanId(), span.parentId(),
                    span.start(), span.duration(), span.error(), meta, metrics, span.type(), span.metaStruct(),
                    span.links(), events);
        }
    }
}
