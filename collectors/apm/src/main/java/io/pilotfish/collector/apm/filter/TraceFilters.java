package io.pilotfish.collector.apm.filter;

import io.pilotfish.spi.trace.Span;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The trace-agent's user-configured filters, in the order it runs them on each chunk
 * ({@code Agent.Process}, {@code pkg/trace/agent/agent.go}):
 * <ol>
 *   <li>after normalisation, {@link #check} on the root span: a chunk whose resource is ignored, or whose root
 *       fails the tag filters, is dropped whole and counted as filtered (it reaches neither stats nor sampling);</li>
 *   <li>after obfuscation and truncation, {@link #replaceTags} on every span of the chunks kept.</li>
 * </ol>
 * Built once from the environment and immutable; thread-safe.
 */
public final class TraceFilters {

    /**
     * Every variable {@link #fromEnvironment} reads, for the README's table of honoured variables
     * ({@code DD_IGNORE_RESOURCE} is the older name of {@code DD_APM_IGNORE_RESOURCES}).
     */
    public static final List<String> ENVIRONMENT_VARIABLES = List.of(
            ResourceBlocklist.VARIABLE, ResourceBlocklist.LEGACY_VARIABLE,
            TagFilters.REQUIRE, TagFilters.REJECT, TagFilters.REGEX_REQUIRE, TagFilters.REGEX_REJECT,
            TagReplacer.VARIABLE, TagReplacer.REMOVE_STACK_TRACES);

    private static final TraceFilters NONE =
            new TraceFilters(ResourceBlocklist.empty(), TagFilters.empty(), TagReplacer.empty());

    private final ResourceBlocklist ignoredResources;
    private final TagFilters tagFilters;
    private final TagReplacer tagReplacer;

    public TraceFilters(ResourceBlocklist ignoredResources, TagFilters tagFilters, TagReplacer tagReplacer) {
        this.ignoredResources = Objects.requireNonNull(ignoredResources, "ignoredResources");
        this.tagFilters = Objects.requireNonNull(tagFilters, "tagFilters");
        this.tagReplacer = Objects.requireNonNull(tagReplacer, "tagReplacer");
    }

    /** No filter and no replacement: every chunk kept as it is. */
    public static TraceFilters none() {
        return NONE;
    }

    /**
     * The filters the Agent would build from these variables ({@link #ENVIRONMENT_VARIABLES}); an empty value
     * counts as unset.
     *
     * @throws FilterConfigException for a value the Agent would reject, skip or misread, naming the variable
     */
    public static TraceFilters fromEnvironment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        TraceFilters filters = new TraceFilters(ResourceBlocklist.fromEnvironment(env),
                TagFilters.fromEnvironment(env), TagReplacer.fromEnvironment(env));
        return filters.isEmpty() ? NONE : filters;
    }

    /** True when nothing is filtered or replaced, so the pipeline can skip both steps. */
    public boolean isEmpty() {
        return ignoredResources.isEmpty() && tagFilters.isEmpty() && tagReplacer.isEmpty();
    }

    /**
     * Whether the chunk with this root span is to be dropped, and why; null to keep it. The resource is checked
     * first, then the root's string tags.
     */
    public DropReason check(Span root) {
        if (ignoredResources.blocks(root.resource())) {
            return DropReason.IGNORED_RESOURCE;
        }
        if (tagFilters.drops(root.meta())) {
            return DropReason.FILTERED_TAGS;
        }
        return null;
    }

    /**
     * The chunk's spans with the replace rules applied: the same list instance when nothing changed, else a new
     * list in which the spans left alone are the same instances.
     */
    public List<Span> replaceTags(List<Span> spans) {
        return tagReplacer.replace(spans);
    }

    /**
     * The filter fields of the Agent's {@code /info} document ({@code pkg/trace/api/info.go}): {@code filter_tags}
     * and {@code filter_tags_regex} always, each with {@code require} and {@code reject} when not empty, and
     * {@code ignore_resources} when there are patterns.
     */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("filter_tags", tagFilters.describeExact());
        out.put("filter_tags_regex", tagFilters.describeRegex());
        if (!ignoredResources.isEmpty()) {
            out.put("ignore_resources", ignoredResources.patterns());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The {@code config.obfuscation.tag_replace_rules} of {@code /info}, the stack-trace rule included; the Agent
     * writes {@code null} when there is none.
     */
    public List<Map<String, String>> tagReplaceRules() {
        return tagReplacer.describe();
    }

    /** Settings accepted but probably not meant, one sentence each, for warnings at start-up. */
    public List<String> warnings() {
        List<String> all = new ArrayList<>(ignoredResources.warnings());
        all.addAll(tagFilters.warnings());
        all.addAll(tagReplacer.warnings());
        return List.copyOf(all);
    }

    /**
     * Regular-expression matches given up because they needed too much work (Java's engine backtracks where the
     * Agent's RE2 does not): counted as no match for the filters, and the value left as it was by the replacer.
     */
    public long abandonedMatches() {
        return ignoredResources.abandonedMatches() + tagFilters.abandonedMatches() + tagReplacer.abandonedMatches();
    }

    public ResourceBlocklist ignoredResources() {
        return ignoredResources;
    }

    public TagFilters tagFilters() {
        return tagFilters;
    }

    public TagReplacer tagReplacer() {
        return tagReplacer;
    }
}
