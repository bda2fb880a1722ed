package io.pilotfish.config.ssm;

import io.pilotfish.spi.ecs.TaskMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SSM paths to read, least specific first, as templates resolved from task metadata. Placeholders:
 * {@code {cluster}} (short cluster name), {@code {family}}, {@code {service}}, {@code {region}}, {@code {account}}.
 */
public record SsmPaths(List<String> templates) {

    public static final List<String> DEFAULT_TEMPLATES =
            List.of("/pilotfish/defaults", "/pilotfish/{cluster}", "/pilotfish/{cluster}/{family}");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");
    /** What SSM accepts in a parameter path (letters, digits, {@code _ . -} and slashes). */
    private static final Pattern VALID_PATH = Pattern.compile("(/[A-Za-z0-9_.\\-]+)+");

    private static final Map<String, Function<TaskMetadata, String>> VARIABLES = Map.of(
            "cluster", TaskMetadata::clusterName,
            "family", TaskMetadata::family,
            "service", TaskMetadata::serviceName,
            "region", TaskMetadata::region,
            "account", TaskMetadata::accountId);

    public SsmPaths {
        templates = List.copyOf(templates);
    }

    public static SsmPaths defaults() {
        return new SsmPaths(DEFAULT_TEMPLATES);
    }

    /** A template whose path could not be built, with the reason. */
    public record Skipped(String template, String reason) {
    }

    /** @param paths the resolved paths, least specific first; more specific ones win per key */
    public record Resolved(List<String> paths, List<Skipped> skipped) {
        public Resolved {
            paths = List.copyOf(paths);
            skipped = List.copyOf(skipped);
        }
    }

    public Resolved resolve(TaskMetadata task) {
        List<String> paths = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (String template : templates) {
            StringBuilder path = new StringBuilder();
            Matcher m = PLACEHOLDER.matcher(template);
            String problem = null;
            while (m.find() && problem == null) {
                Function<TaskMetadata, String> variable = VARIABLES.get(m.group(1));
                if (variable == null) {
                    problem = "unknown placeholder {" + m.group(1) + "}; use {cluster}, {family}, {service}, "
                            + "{region} or {account}";
                    break;
                }
                String value = task == null ? null : variable.apply(task);
                if (value == null || value.isBlank()) {
                    problem = "{" + m.group(1) + "} is not known for this task"
                            + (task == null ? " (task metadata unavailable)" : "");
                    break;
                }
                m.appendReplacement(path, Matcher.quoteReplacement(value));
            }
            if (problem == null) {
                m.appendTail(path);
                String resolved = stripTrailingSlash(path.toString());
                if (!VALID_PATH.matcher(resolved).matches()) {
                    problem = "resolved to '" + resolved + "', not a valid SSM path (start with '/', use letters, "
                            + "digits, '_', '.', '-')";
                } else if (!paths.contains(resolved)) {
                    paths.add(resolved);
                }
            }
            if (problem != null) {
                skipped.add(new Skipped(template, problem));
            }
        }
        return new Resolved(paths, skipped);
    }

    static String stripTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
