package io.pilotfish.config.ssm;

import io.pilotfish.core.config.ConfigProblem;
import io.pilotfish.core.config.ConfigValue;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The result of reading the SSM paths: the {@code pilotfish.*} values (the more specific path winning per key), the
 * keys whose values are secret and must be masked, every problem found, and how each path went.
 */
public record SsmLoad(Map<String, ConfigValue> values, Set<String> secretKeys, List<ConfigProblem> problems,
                      List<PathStatus> paths, Instant fetchedAt) {

    public SsmLoad {
        values = Map.copyOf(values);
        secretKeys = Set.copyOf(secretKeys);
        problems = List.copyOf(problems);
        paths = List.copyOf(paths);
    }

    public boolean isSecret(String key) {
        return secretKeys.contains(key);
    }

    /** True when every path was read (or is simply empty). */
    public boolean allPathsReadable() {
        return paths.stream().allMatch(PathStatus::ok);
    }

    /** Values are masked: secret keys show only their source. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("SsmLoad[fetchedAt=").append(fetchedAt).append(", values={");
        values.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> s.append(e.getKey()).append('=')
                .append(secretKeys.contains(e.getKey()) ? "****" : e.getValue().value())
                .append(" (").append(e.getValue().source()).append("), "));
        return s.append("}, problems=").append(problems).append(", paths=").append(paths).append(']').toString();
    }
}
