package io.pilotfish.processing.logs;

import io.pilotfish.spi.PluginConfig;
import java.util.List;
import java.util.Optional;

/**
 * A log collector's processing keys, read the same way by every collector:
 * <ul>
 *   <li>{@code log-processing-rules}: the Agent's JSON list of rules ({@link ProcessingRule#parseJson}); none by
 *       default;</li>
 *   <li>{@code stack-trace-aggregation}: join stack-trace lines onto their log, {@code true} by default;</li>
 *   <li>{@code auto-multi-line-detection}: the Agent's {@code auto_multi_line_detection}; when not set, the agent's
 *       ({@code DD_LOGS_CONFIG_AUTO_MULTI_LINE_DETECTION}, {@code false} by default).</li>
 * </ul>
 *
 * @param rules         all the rules, {@code multi_line} ones included ({@link #logRules()} and {@link #multiLine}
 *                      split them)
 * @param autoMultiLine the collector's own {@code auto-multi-line-detection}, empty when not set
 */
public record LogProcessingOptions(List<ProcessingRule> rules, boolean stackTraces, Optional<Boolean> autoMultiLine) {

    public static final String RULES_KEY = "log-processing-rules";
    public static final String STACK_TRACES_KEY = "stack-trace-aggregation";
    public static final String AUTO_MULTI_LINE_KEY = "auto-multi-line-detection";

    public LogProcessingOptions {
        rules = List.copyOf(rules);
        java.util.Objects.requireNonNull(autoMultiLine, "autoMultiLine");
    }

    /** The defaults: no rules, stack traces joined, no auto-detection. */
    public static LogProcessingOptions defaults() {
        return new LogProcessingOptions(List.of(), true, Optional.empty());
    }

    /**
     * Reads the keys; a problem (rules that do not parse, a value that is not a boolean) is reported through
     * {@link PluginConfig#problem} (or the reader's own report) and the key's default is used, so that validation
     * goes on and lists every error.
     */
    public static LogProcessingOptions read(PluginConfig config) {
        List<ProcessingRule> rules = List.of();
        // Read as a secret: a rule's pattern may be what it masks, so the value is never shown (status, errors).
        String json = config.secret(RULES_KEY).map(io.pilotfish.spi.Secret::reveal).orElse("");
        if (!json.isBlank()) {
            try {
                rules = ProcessingRule.parseJson(json, RULES_KEY);
            } catch (IllegalArgumentException e) {
                config.problem(RULES_KEY, reason(e.getMessage()));
            }
        }
        boolean stackTraces = config.bool(STACK_TRACES_KEY, true);
        Optional<Boolean> auto = config.string(AUTO_MULTI_LINE_KEY).isPresent()
                ? Optional.of(config.bool(AUTO_MULTI_LINE_KEY, false)) : Optional.empty();
        return new LogProcessingOptions(rules, stackTraces, auto);
    }

    /**
     * The agent-wide rules ({@code DD_LOGS_CONFIG_PROCESSING_RULES}), compiled; the agent validated them with its
     * configuration, so they parse.
     */
    public static LogRules globalRules(io.pilotfish.spi.AgentSettings agent) {
        if (agent == null || agent.logs().processingRules().isEmpty()) {
            return LogRules.NONE;
        }
        return LogRules.compile(ProcessingRule.parseJson(agent.logs().processingRules(), "logs.processing-rules"));
    }

    /** The agent's auto multi-line default ({@code DD_LOGS_CONFIG_AUTO_MULTI_LINE_DETECTION}). */
    public static boolean agentAutoMultiLine(io.pilotfish.spi.AgentSettings agent) {
        return agent != null && agent.logs().autoMultiLineDetection();
    }

    /** The exclude, include and mask rules, compiled. */
    public LogRules logRules() {
        return LogRules.compile(rules);
    }

    /**
     * How lines are joined: the first {@code multi_line} rule, stack traces, auto-detection (this collector's
     * setting, else {@code agentAutoMultiLine}).
     */
    public MultiLineSettings multiLine(boolean agentAutoMultiLine) {
        return MultiLineSettings.from(rules, stackTraces, autoMultiLine.orElse(agentAutoMultiLine));
    }

    /** The parser's message without the key it starts with: {@code problem} names the key itself. */
    private static String reason(String message) {
        String prefix = RULES_KEY + ": ";
        String rest = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        return "a JSON list of the Agent's processing rules (" + rest + ")";
    }
}
