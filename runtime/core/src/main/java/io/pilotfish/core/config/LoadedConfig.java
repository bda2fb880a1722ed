package io.pilotfish.core.config;

import java.util.List;
import java.util.Map;

/** The whole validated configuration, or the list of every problem found. */
public record LoadedConfig(AgentConfig agent, List<CollectorSpec> collectors, List<SinkSpec> sinks,
                           List<ConfigProblem> problems, Map<String, MapPluginConfig.Effective> effective) {

    public boolean valid() {
        return problems.isEmpty();
    }

    /** Every problem, one per line, for a log or an exception. */
    public String describeProblems() {
        StringBuilder out = new StringBuilder("Configuration has " + problems.size() + " error(s):");
        for (ConfigProblem problem : problems) {
            out.append("\n  - ").append(problem.describe());
        }
        return out.toString();
    }
}
