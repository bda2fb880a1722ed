package io.pilotfish.spi;

import io.pilotfish.spi.signal.TagSet;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Agent-wide settings every plugin may read.
 *
 * @param version     the agent's version
 * @param hostname    the host name to report, empty on Fargate (tasks have no host)
 * @param globalTags  tags added to everything ({@code DD_TAGS}, {@code DD_ENV}, ...)
 * @param site        the Datadog site, e.g. {@code datadoghq.com}
 * @param ddUrl       an explicit metrics intake URL ({@code DD_DD_URL}), overriding the site
 * @param apiKey      the current API key; a supplier because it may be rotated while running
 * @param logs        what applies to every log collector
 */
public record AgentSettings(String version, String hostname, TagSet globalTags, String site, Optional<URI> ddUrl,
                            Supplier<Optional<Secret>> apiKey, Logs logs) {

    public AgentSettings {
        Objects.requireNonNull(logs, "logs");
    }

    /** Settings without agent-wide log settings. */
    public AgentSettings(String version, String hostname, TagSet globalTags, String site, Optional<URI> ddUrl,
                         Supplier<Optional<Secret>> apiKey) {
        this(version, hostname, globalTags, site, ddUrl, apiKey, Logs.NONE);
    }

    /**
     * Agent-wide log settings, validated by the agent before any plugin sees them.
     *
     * @param processingRules       the Agent's global {@code processing_rules} as their JSON list
     *                              ({@code DD_LOGS_CONFIG_PROCESSING_RULES}); "" for none. They run before a source's
     *                              own rules
     * @param autoMultiLineDetection {@code DD_LOGS_CONFIG_AUTO_MULTI_LINE_DETECTION}: the default of every log
     *                              collector's {@code auto-multi-line-detection}
     */
    public record Logs(String processingRules, boolean autoMultiLineDetection) {
        public static final Logs NONE = new Logs("", false);

        public Logs {
            processingRules = processingRules == null ? "" : processingRules;
        }
    }
}
