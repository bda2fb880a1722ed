package io.pilotfish.collector.apm.filter;

import io.pilotfish.processing.regex.GoRegex;
import io.pilotfish.spi.SafeText;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@code DD_APM_FILTER_TAGS_*} filters on the root span's string tags ({@code meta}; numeric tags are not
 * looked at), with the Agent's semantics ({@code filteredByTags} in {@code pkg/trace/agent/agent.go}): a chunk is
 * dropped when its root carries any rejected tag, or lacks any required one. A rule is {@code key} (any value) or
 * {@code key:value} (that exact value; for the regex lists, a value matching the expression anywhere). Immutable
 * and thread-safe.
 */
public final class TagFilters {

    public static final String REQUIRE = "DD_APM_FILTER_TAGS_REQUIRE";
    public static final String REJECT = "DD_APM_FILTER_TAGS_REJECT";
    public static final String REGEX_REQUIRE = "DD_APM_FILTER_TAGS_REGEX_REQUIRE";
    public static final String REGEX_REJECT = "DD_APM_FILTER_TAGS_REGEX_REJECT";

    private static final TagFilters EMPTY = new TagFilters(List.of(), List.of(), List.of(), List.of(), List.of());

    private final List<Tag> require;
    private final List<Tag> reject;
    private final List<TagPattern> requireRegex;
    private final List<TagPattern> rejectRegex;
    private final List<String> warnings;
    private final LongAdder abandonedMatches = new LongAdder();

    private TagFilters(List<Tag> require, List<Tag> reject, List<TagPattern> requireRegex,
                       List<TagPattern> rejectRegex, List<String> warnings) {
        this.require = require;
        this.reject = reject;
        this.requireRegex = requireRegex;
        this.rejectRegex = rejectRegex;
        this.warnings = warnings;
    }

    /**
     * An exact-match rule.
     *
     * @param key   the tag's key
     * @param value the required or rejected value; empty for any value
     */
    public record Tag(String key, String value) {
        public Tag {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        /** As the Agent prints it in {@code /info}: {@code key:value}, or {@code key}. */
        @Override
        public String toString() {
            return value.isEmpty() ? key : key + ":" + value;
        }
    }

    /**
     * A regular-expression rule.
     *
     * @param key     the tag's key
     * @param pattern the expression the value must match somewhere; null for any value
     */
    record TagPattern(String key, GoRegex pattern) {
        @Override
        public String toString() {
            return pattern == null ? key : key + ":" + pattern.source();
        }
    }

    /** No filter. */
    public static TagFilters empty() {
        return EMPTY;
    }

    /**
     * The four variables, each a JSON array of strings ({@code ["http.url:/a b"]}) or entries separated by spaces
     * ({@code env:prod version}). Entries of a regex list whose key is already in the exact list of the same kind
     * are skipped, as the Agent does.
     *
     * @throws FilterConfigException for an entry without a key, a malformed JSON array or an invalid regular
     *                               expression
     */
    public static TagFilters fromEnvironment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        List<String> warnings = new ArrayList<>();
        List<Tag> require = tags(env, REQUIRE);
        List<Tag> reject = tags(env, REJECT);
        List<TagPattern> requireRegex = patterns(env, REGEX_REQUIRE, require, REQUIRE, warnings);
        List<TagPattern> rejectRegex = patterns(env, REGEX_REJECT, reject, REJECT, warnings);
        if (require.isEmpty() && reject.isEmpty() && requireRegex.isEmpty() && rejectRegex.isEmpty()) {
            return EMPTY;
        }
        return new TagFilters(require, reject, requireRegex, rejectRegex, List.copyOf(warnings));
    }

    private static List<Tag> tags(Map<String, String> env, String variable) {
        FilterEnv.Setting setting = FilterEnv.first(env, variable);
        if (setting == null) {
            return List.of();
        }
        List<Tag> tags = new ArrayList<>();
        for (String entry : FilterEnv.tagList(variable, setting.value())) {
            String[] kv = split(variable, entry);
            tags.add(new Tag(kv[0], kv[1] == null ? "" : kv[1]));
        }
        return List.copyOf(tags);
    }

    private static List<TagPattern> patterns(Map<String, String> env, String variable, List<Tag> exact,
                                             String exactVariable, List<String> warnings) {
        FilterEnv.Setting setting = FilterEnv.first(env, variable);
        if (setting == null) {
            return List.of();
        }
        List<TagPattern> patterns = new ArrayList<>();
        for (String entry : FilterEnv.tagList(variable, setting.value())) {
            String[] kv = split(variable, entry);
            if (exact.stream().anyMatch(tag -> tag.key().equals(kv[0]))) {
                warnings.add(variable + ": " + SafeText.quote(entry, 120) + " is ignored because " + exactVariable
                        + " already has a rule for the key " + SafeText.quote(kv[0], 120) + ", as in the Agent");
                continue;
            }
            GoRegex pattern = null;
            if (kv[1] != null) {
                try {
                    pattern = GoRegex.compile(kv[1]);
                } catch (IllegalArgumentException e) {
                    throw new FilterConfigException(variable, "the value of " + SafeText.quote(entry, 120)
                            + " is not a valid regular expression (" + e.getMessage() + "); write key:regex in "
                            + "Go's syntax, e.g. http.route:^/api/v[0-9]+/health$");
                }
            }
            patterns.add(new TagPattern(kv[0], pattern));
        }
        return List.copyOf(patterns);
    }

    /**
     * The Agent's {@code splitTag}: key and value around the first colon, blanks trimmed; no value (null) when
     * there is no colon. An exact rule's empty value ({@code key:}) means any value.
     */
    private static String[] split(String variable, String entry) {
        int colon = entry.indexOf(':');
        String key = FilterEnv.goTrimSpace(colon < 0 ? entry : entry.substring(0, colon));
        String value = colon < 0 ? null : FilterEnv.goTrimSpace(entry.substring(colon + 1));
        if (key.isEmpty()) {
            throw new FilterConfigException(variable, "the entry " + SafeText.quote(entry, 120) + " has no tag "
                    + "key; write key or key:value, separated by spaces, or a JSON array of them");
        }
        return new String[] {key, value};
    }

    /**
     * Whether a chunk whose root span has these string tags is to be dropped: a rejected tag present, or a
     * required one missing or with another value. A regular expression given up as too costly counts as not
     * matching.
     */
    public boolean drops(Map<String, String> rootMeta) {
        for (Tag tag : reject) {
            String v = rootMeta.get(tag.key());
            if (v != null && (tag.value().isEmpty() || v.equals(tag.value()))) {
                return true;
            }
        }
        for (TagPattern tag : rejectRegex) {
            String v = rootMeta.get(tag.key());
            if (v != null && (tag.pattern() == null || find(tag.pattern(), v))) {
                return true;
            }
        }
        for (Tag tag : require) {
            String v = rootMeta.get(tag.key());
            if (v == null || (!tag.value().isEmpty() && !v.equals(tag.value()))) {
                return true;
            }
        }
        for (TagPattern tag : requireRegex) {
            String v = rootMeta.get(tag.key());
            if (v == null || (tag.pattern() != null && !find(tag.pattern(), v))) {
                return true;
            }
        }
        return false;
    }

    private boolean find(GoRegex pattern, String value) {
        try {
            return pattern.find(value);
        } catch (GoRegex.Abandoned e) {
            abandonedMatches.increment();
            return false;
        }
    }

    public boolean isEmpty() {
        return require.isEmpty() && reject.isEmpty() && requireRegex.isEmpty() && rejectRegex.isEmpty();
    }

    public List<Tag> require() {
        return require;
    }

    public List<Tag> reject() {
        return reject;
    }

    /** The {@code filter_tags} object of {@code /info}: {@code require} and {@code reject}, each when not empty. */
    public Map<String, Object> describeExact() {
        return describe(require.stream().map(Tag::toString).toList(), reject.stream().map(Tag::toString).toList());
    }

    /** The {@code filter_tags_regex} object of {@code /info}, as {@link #describeExact()}. */
    public Map<String, Object> describeRegex() {
        return describe(requireRegex.stream().map(TagPattern::toString).toList(),
                rejectRegex.stream().map(TagPattern::toString).toList());
    }

    private static Map<String, Object> describe(List<String> require, List<String> reject) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (!require.isEmpty()) {
            out.put("require", require);
        }
        if (!reject.isEmpty()) {
            out.put("reject", reject);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Settings accepted but probably not meant, one sentence each, for a warning at start-up. */
    public List<String> warnings() {
        return warnings;
    }

    /** Regular-expression matches given up because they needed too much work on a tag value. */
    public long abandonedMatches() {
        return abandonedMatches.sum();
    }
}
