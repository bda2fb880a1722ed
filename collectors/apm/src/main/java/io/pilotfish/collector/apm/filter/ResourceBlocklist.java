package io.pilotfish.collector.apm.filter;

import io.pilotfish.processing.regex.GoRegex;
import io.pilotfish.spi.SafeText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code DD_APM_IGNORE_RESOURCES}: regular expressions for resources whose traces are not wanted, e.g. health
 * checks. A chunk whose root span's resource matches any of them, anywhere in the text, is dropped whole, before
 * it is counted in the stats (the Agent's {@code Blacklister}, {@code pkg/trace/filters/blacklister.go}).
 * Immutable and thread-safe.
 */
public final class ResourceBlocklist {

    public static final String VARIABLE = "DD_APM_IGNORE_RESOURCES";
    /** The Agent's older name for the same setting, read when the newer one is unset. */
    public static final String LEGACY_VARIABLE = "DD_IGNORE_RESOURCE";

    private static final ResourceBlocklist EMPTY = new ResourceBlocklist(List.of(), List.of());

    private final List<GoRegex> patterns;
    private final List<String> warnings;
    private final LongAdder abandonedMatches = new LongAdder();

    private ResourceBlocklist(List<GoRegex> patterns, List<String> warnings) {
        this.patterns = patterns;
        this.warnings = warnings;
    }

    /** Nothing is ignored. */
    public static ResourceBlocklist empty() {
        return EMPTY;
    }

    /**
     * The patterns of {@code DD_APM_IGNORE_RESOURCES} (or {@code DD_IGNORE_RESOURCE}): separated by commas, a
     * pattern holding a comma in double quotes, as the Agent reads them.
     *
     * @throws FilterConfigException for a pattern that is empty or not a valid Go regular expression (the Agent
     *                               would skip it with an error in its log)
     */
    public static ResourceBlocklist fromEnvironment(Map<String, String> env) {
        FilterEnv.Setting setting = FilterEnv.first(Objects.requireNonNull(env, "env"), VARIABLE, LEGACY_VARIABLE);
        if (setting == null) {
            return EMPTY;
        }
        return compile(setting.variable(), setting.value(), FilterEnv.csvRecord(setting.variable(), setting.value()));
    }

    /**
     * Patterns from another source (e.g. a YAML list), checked as those of a variable are.
     *
     * @param variable the setting's name, for the error messages
     * @param written  the setting's value as written, for the error messages
     */
    static ResourceBlocklist compile(String variable, String written, List<String> sources) {
        List<GoRegex> patterns = new ArrayList<>(sources.size());
        List<String> warnings = new ArrayList<>();
        for (String source : sources) {
            if (source.isEmpty()) {
                throw new FilterConfigException(variable, SafeText.quote(written, 120) + " holds an empty pattern, "
                        + "which would match every resource and drop every trace; remove the extra comma");
            }
            try {
                patterns.add(GoRegex.compile(source));
            } catch (IllegalArgumentException e) {
                throw new FilterConfigException(variable, "the pattern " + SafeText.quote(source, 120)
                        + " is not a valid regular expression (" + e.getMessage() + "); write it in Go's syntax, "
                        + "e.g. GET /health$, and put a pattern holding a comma in double quotes");
            }
            if (FilterEnv.isGoSpace(source.codePointBefore(source.length()))) {
                warnings.add(variable + ": the pattern " + SafeText.quote(source, 120) + " ends with a space, "
                        + "which it requires in the resource (only spaces before a pattern are dropped)");
            }
        }
        return patterns.isEmpty() ? EMPTY : new ResourceBlocklist(List.copyOf(patterns), List.copyOf(warnings));
    }

    /**
     * Whether a trace whose root span has this resource is to be dropped. A match given up as too costly counts
     * as no match (see {@link #abandonedMatches()}).
     */
    public boolean blocks(String resource) {
        for (GoRegex pattern : patterns) {
            try {
                if (pattern.find(resource)) {
                    return true;
                }
            } catch (GoRegex.Abandoned e) {
                abandonedMatches.increment();
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** The patterns as written, in order (the {@code ignore_resources} of {@code /info}). */
    public List<String> patterns() {
        return patterns.stream().map(GoRegex::source).toList();
    }

    /** Settings accepted but probably not meant, one sentence each, for a warning at start-up. */
    public List<String> warnings() {
        return warnings;
    }

    /** Matches given up because a pattern needed too much work on a resource (Java backtracks, RE2 does not). */
    public long abandonedMatches() {
        return abandonedMatches.sum();
    }
}
